/**
 * The benchmark harness in smoke mode: every benchmark runs with tiny iterations (numbers meaningless, never
 * asserted) to prove it measures something real and that its ratios and target checks come from those measurements.
 */
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, type ExpectStatic, expect, it } from "vitest";
import { BENCHMARKS } from "../../bench/index.js";
import { fakeClockInstalls } from "../../bench/lib/fake-clock.js";
import { ROOT } from "../../bench/lib/proc.js";
import { markdownTable } from "../../bench/lib/report.js";
import { pairRatios, summarize, targetMet } from "../../bench/lib/stats.js";
import type { BenchResult, Row } from "../../bench/lib/types.js";
import { loadGenerator, parseWrk, SMOKE_REQUESTS } from "../../bench/mock.js";
import { runBenchmarks } from "../../bench/run.js";

const quiet = { log: () => {}, print: () => {} };

describe("stats", () => {
  it.each([
    ["odd count", { given: [3, 1, 2], want: { median: 2, min: 1, max: 3, n: 3 } }],
    ["even count", { given: [4, 1, 3, 2], want: { median: 2.5, min: 1, max: 4, n: 4 } }],
    ["one sample", { given: [7], want: { median: 7, min: 7, max: 7, n: 1 } }],
  ])("summarize: %s", (_name, { given, want }) => {
    expect(summarize(given)).toEqual(want);
  });

  it("refuses to summarise nothing or a non-finite sample", () => {
    expect(() => summarize([])).toThrow(/no samples/);
    expect(() => summarize([1, Number.NaN])).toThrow(/non-finite/);
  });

  it("pairs ratios sample by sample and refuses a zero baseline or unequal lengths", () => {
    expect(pairRatios([2, 3], [1, 2])).toEqual([2, 1.5]);
    expect(() => pairRatios([1], [0])).toThrow(/nothing to compare/);
    expect(() => pairRatios([1, 2], [1])).toThrow(/cannot pair/);
  });

  const row = (values: number[], ratio: number[] | undefined, target: Row["target"]): Row => ({
    measure: "m",
    ours: { label: "ours", unit: "x", values },
    ...(ratio ? { ratio } : {}),
    ...(target ? { target } : {}),
  });
  it.each([
    ["ratio median meets <=", { given: row([1], [1, 1.2, 1.05], { on: "ratio", op: "<=", value: 1.1 }), want: true }],
    ["ratio median misses <=", { given: row([1], [1.2, 1.3, 1], { on: "ratio", op: "<=", value: 1.1 }), want: false }],
    [
      "max must meet: one sample over",
      { given: row([10, 13], undefined, { on: "ours", of: "max", op: "<=", value: 12 }), want: false },
    ],
    ["strict >", { given: row([1], [1], { on: "ratio", op: ">", value: 1 }), want: false }],
    ["no target", { given: row([1], undefined, undefined), want: null }],
  ])("targetMet: %s", (_name, { given, want }) => {
    expect(targetMet(given)).toBe(want);
  });
});

describe("wrk output", () => {
  // Captured from Debian's wrk 4.1.0 against a local server.
  const ok = `Running 1s test @ http://127.0.0.1:35931/ok
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   511.71us    1.30ms  24.79ms   94.91%
    Req/Sec    36.03k    15.69k   48.15k    81.82%
  39299 requests in 1.10s, 4.65MB read
Requests/sec:  35736.11
Transfer/sec:      4.23MB`;
  it.each([
    ["all 2xx", { given: ok, want: { rps: 35736.11, bad: 0 } }],
    [
      "non-2xx responses count as bad",
      {
        given: ok.replace("Requests/sec", "  Non-2xx or 3xx responses: 40542\nRequests/sec"),
        want: { rps: 35736.11, bad: 40542 },
      },
    ],
    [
      "socket errors count as bad",
      {
        given: ok.replace("Requests/sec", "  Socket errors: connect 1, read 2, write 0, timeout 3\nRequests/sec"),
        want: { rps: 35736.11, bad: 6 },
      },
    ],
  ])("parseWrk: %s", (_name, { given, want }) => {
    expect(parseWrk(given)).toEqual(want);
  });

  it("refuses output without a rate", () => {
    expect(() => parseWrk("unable to connect to 127.0.0.1:1 Connection refused")).toThrow(/no Requests\/sec/);
  });
});

describe("smoke-mode load", () => {
  it("sends exactly SMOKE_REQUESTS requests and reports their rate", async () => {
    let served = 0;
    const server = http.createServer((_req, res) => {
      served++;
      res.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { name, load } = await loadGenerator(true);
      const { port } = server.address() as AddressInfo;
      const result = await load(`http://127.0.0.1:${port}/`, 60);
      expect(name).toMatch(/autocannon/);
      expect(served).toBe(SMOKE_REQUESTS);
      expect(result.bad).toBe(0);
      expect(Number.isFinite(result.rps) && result.rps > 0).toBe(true);
    } finally {
      server.close();
    }
  });
});

describe("benchmarks in smoke mode", () => {
  it("every benchmark has a unique name", () => {
    const names = BENCHMARKS.map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining(["overhead", "validators", "polling", "download", "bundle", "mock", "npm-test"]),
    );
  });

  /** Runs one benchmark in smoke mode and checks that its rows are measurements and its ratios come from them. */
  const smokeRun = async (name: string, expect: ExpectStatic) => {
    const { results, failures } = await runBenchmarks({
      names: [name],
      // Two rounds prove the pairing of samples; one for the benchmarks that start processes per round.
      rounds: ["mock", "download"].includes(name) ? 1 : 2,
      smoke: true,
      write: false,
      ...quiet,
    });
    expect(failures).toEqual([]);
    const [result] = results as [BenchResult];
    expect(result.name).toBe(name);
    expect(result.rows.length).toBeGreaterThan(0);
    for (const row of result.rows) {
      for (const m of [row.ours, ...(row.baseline ? [row.baseline] : [])]) {
        expect(m.values.length).toBeGreaterThan(0);
        for (const v of m.values) expect(Number.isFinite(v) && v >= 0).toBe(true);
      }
      if (row.ratio) {
        const baseline = row.baseline?.values ?? [];
        expect(row.ratio).toEqual(row.ours.values.map((v, i) => v / (baseline[i] as number)));
      }
      if (row.target) expect(typeof targetMet(row)).toBe("boolean");
    }
    const table = markdownTable(results);
    expect(table.split("\n")).toHaveLength(2 + result.rows.length);
  };
  const title = "%s measures, and its ratios are ours / baseline of those measurements";

  // Most benchmarks start servers and child processes and then wait on them (the queue's edits wait a second for
  // their first poll): they run at the same time, which costs no more CPU than one after another. At most 5 tests run
  // at once (vitest's maxConcurrency) and BENCHMARKS lists the longest (the queue) near the end, so they are started
  // in reverse order. A benchmark on a fake clock replaces the process's timers while it runs, so each of those runs
  // alone, after them.
  const beside = BENCHMARKS.filter((b) => !b.fakeClock).map((b) => b.name);
  it.concurrent.for(beside.reverse())(title, { timeout: 60_000 }, (name, { expect }) => smokeRun(name, expect));
  it("a benchmark on a fake clock imports the client through the Node entry, where nothing loads lazily", () => {
    // Through src/index.ts the first wait would load the wait loop with a dynamic import: real I/O the fake clock
    // cannot advance ("the code is waiting on nothing"). This file's other tests load those modules first, so the
    // smoke runs above would not show it; `npm run bench` in a fresh process did.
    const dir = path.join(ROOT, "bench");
    const onFakeClock = readdirSync(dir).filter(
      (f) => f.endsWith(".ts") && readFileSync(path.join(dir, f), "utf8").includes("fakeClock: true"),
    );
    expect(onFakeClock.length).toBeGreaterThan(0);
    for (const file of onFakeClock) {
      expect(readFileSync(path.join(dir, file), "utf8"), file).not.toMatch(/from "\.\.\/src\/index\.js"/);
    }
  });

  it("no benchmark run beside the others used a fake clock (those say `fakeClock: true`)", () => {
    expect(fakeClockInstalls()).toBe(0);
  });
  it.for(BENCHMARKS.filter((b) => b.fakeClock).map((b) => b.name))(title, { timeout: 60_000 }, (name, { expect }) =>
    smokeRun(name, expect),
  );
});
