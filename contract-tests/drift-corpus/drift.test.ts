/**
 * Proof that the suite catches drift: the suite's own probes (the ones run against Prism, the mock and the live API)
 * run against the drift server once faithfully (no violation allowed) and once per deviation in the corpus (the
 * deviation's rule must be reported). The count caught goes into contract-tests/reports/drift-corpus.md.
 */
import { afterAll, describe, expect, it } from "vitest";
import { BAD_REQUESTS } from "../lib/bad-requests.js";
import type { Target } from "../lib/http.js";
import {
  type ProbeResult,
  probeAuth,
  probeBadRequest,
  probeLifecycle,
  probeMalformedTaskId,
  probeUnknownTask,
  queryOnDelivery,
} from "../lib/probes.js";
import { ContractReport } from "../lib/report.js";
import { startCallbackSink } from "../lib/sink.js";
import { formatViolation, operationTable } from "../lib/types.js";
import { DRIFT_CASES } from "./cases.js";
import { type Deviation, DRIFT_TOKEN, startDriftServer } from "./server.js";

const noSleep = async () => {};
const BAD = ["prompt missing", "aspect_ratio not offered", "callback_url not HTTPS", "body not JSON"].map((name) => {
  const found = BAD_REQUESTS.find((c) => c.name === name);
  if (!found) throw new Error(`no bad-request case "${name}"`);
  return found;
});

/** Runs the suite's probes against a drift server with `deviation`; returns every probe's result. */
async function runSuite(name: string, deviation: Deviation): Promise<ProbeResult[]> {
  const server = await startDriftServer(deviation);
  const target: Target = { name, baseUrl: server.url, token: DRIFT_TOKEN, requestTimeoutMs: 5000 };
  const sink = await startCallbackSink({ onDelivery: queryOnDelivery(target) });
  try {
    const results: ProbeResult[] = [];
    for (const operationId of Object.keys(operationTable)) {
      results.push(await probeAuth(target, operationId, "missing"));
      results.push(await probeAuth(target, operationId, "invalid"));
    }
    for (const testCase of BAD) results.push(await probeBadRequest(target, testCase, { expectParam: true }));
    results.push(await probeUnknownTask(target));
    results.push(await probeMalformedTaskId(target));
    const lifecycle = { sleep: noSleep, pollIntervalMs: 0, maxPolls: 12, sink, callbackTimeoutMs: 200 };
    results.push(await probeLifecycle(target, { ...lifecycle, expectOutcome: "completed" }));
    results.push(
      await probeLifecycle(target, { ...lifecycle, headers: { prefer: "scenario=fails" }, expectOutcome: "failed" }),
    );
    return results;
  } finally {
    await sink.close();
    await server.close();
  }
}

const report = new ContractReport("drift-corpus", { what: "the suite's probes against one deliberate deviation each" });
let caught = 0;

describe("drift corpus: the suite reports each deliberate deviation", () => {
  afterAll(async () => {
    report.details.caught = `${caught} of ${DRIFT_CASES.length} deviations`;
    await report.write();
  });

  it("the faithful drift server passes every check", async () => {
    const results = await runSuite("faithful", {});
    for (const result of results) report.add({ ...result, name: `faithful: ${result.name}` });
    expect(results.flatMap((r) => r.violations).map(formatViolation)).toEqual([]);
    // It did exercise the whole lifecycle, both outcomes, and the callbacks.
    expect(results.flatMap((r) => r.notes).join("\n")).toMatch(/ended completed[\s\S]*ended failed/);
    expect(results.reduce((n, r) => n + r.exchanges.length, 0)).toBeGreaterThan(20);
  });

  // Each case has its own server and sink, so the cases run concurrently (they wait on sockets, not the CPU).
  it.concurrent.for(DRIFT_CASES.map((c) => [c.name, c] as const))("%s", async ([, driftCase], { expect }) => {
    const results = await runSuite(driftCase.name, driftCase.deviation);
    const violations = results.flatMap((r) => r.violations);
    const rules = [...new Set(violations.map((v) => v.rule))];
    const hit = rules.includes(driftCase.rule);
    if (hit) caught += 1;
    report.add(
      {
        name: `${driftCase.name}: ${driftCase.description}`,
        exchanges: results.flatMap((r) => r.exchanges),
        violations: violations.filter((v) => v.rule === driftCase.rule),
        notes: [],
      },
      [driftCase.rule],
    );
    expect(rules, `${driftCase.description}\n${violations.map(formatViolation).join("\n")}`).toContain(driftCase.rule);
  });

  it("every case's rule is distinct from a faithful run's output (the corpus is not vacuous)", () => {
    expect(new Set(DRIFT_CASES.map((c) => c.name)).size).toBe(DRIFT_CASES.length);
    expect(DRIFT_CASES.length).toBeGreaterThanOrEqual(30);
  });
});
