/**
 * 5. Mock server: requests per second on `GET /v1/tasks/{id}` for our mock against Prism (`prism mock` on the same
 * spec) in the same run, and each one's start-up time (spawn to first 200). Both run as compiled JavaScript in their
 * own process (ours transpiled by esbuild file by file, as `tsc` builds dist/; Prism as installed); the load comes
 * from wrk when installed (/usr/bin/wrk), else autocannon (or with BENCH_LOAD=autocannon). Target: ours faster on both.
 */
import { constants } from "node:fs";
import { access, readdir } from "node:fs/promises";
import path from "node:path";
import autocannon from "autocannon";
import { build } from "esbuild";
import { operations } from "../generated/operations.js";
import {
  BUILD_DIR,
  finish,
  freePort,
  packageVersion,
  ROOT,
  run,
  start,
  stop,
  tsxNode,
  waitFor200,
} from "./lib/proc.js";
import { nowMs, pairRatios } from "./lib/stats.js";
import type { Benchmark, Measure } from "./lib/types.js";

const AUTH = { Authorization: "Bearer bench-key" };
const CONNECTIONS = 10;
const WRK = "/usr/bin/wrk";
const PRISM = path.join(ROOT, "node_modules/.bin/prism");
const SPEC = "spec/kling-o1-video-edit.yaml";
const COMPILED = path.join(BUILD_DIR, "mock-js");

type Server = "ours" | "prism" | "ours-tsx";

let compiled: Promise<string> | undefined;

/**
 * Transpiles src/ and generated/ file by file (no bundling), like `npm run build`, without touching dist/, and returns
 * the compiled file of `source` (a path under src/ or generated/, `.ts`). Once per process: the sources do not change
 * during a run (the mock and scaling benchmarks start the compiled mock, the queue's smoke run the compiled CLI).
 */
export async function compiledSource(source: string): Promise<string> {
  compiled ??= compileSources();
  return path.join(await compiled, source.replace(/\.ts$/, ".js"));
}

/** The compiled mock server's command line entry (src/mock/server-cli.ts). */
export function compileMock(): Promise<string> {
  return compiledSource("src/mock/server-cli.ts");
}

async function compileSources(): Promise<string> {
  const files: string[] = [];
  for (const dir of ["src", "generated"]) {
    for (const entry of await readdir(path.join(ROOT, dir), { recursive: true })) {
      if (entry.endsWith(".ts") && !entry.endsWith(".d.ts")) files.push(path.join(ROOT, dir, entry));
    }
  }
  await build({
    entryPoints: files,
    outdir: COMPILED,
    outbase: ROOT,
    bundle: false,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
  });
  return COMPILED;
}

/** A load generator run: requests per second, and responses that were not 2xx (which would void the figure). */
export interface Load {
  rps: number;
  bad: number;
}

/** Reads wrk's summary: `Requests/sec:`, plus `Non-2xx or 3xx responses:` and `Socket errors:` when present. */
export function parseWrk(out: string): Load {
  const rps = Number(/Requests\/sec:\s*([\d.]+)/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s*(\d+)/.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  if (!(rps > 0)) throw new Error(`wrk printed no Requests/sec: ${out}`);
  return { rps, bad: non2xx + socketErrors };
}

async function loadWithWrk(url: string, seconds: number): Promise<Load> {
  return parseWrk(
    await run(WRK, [
      "-t1",
      `-c${CONNECTIONS}`,
      `-d${Math.max(1, Math.round(seconds))}s`,
      "-H",
      `Authorization: ${AUTH.Authorization}`,
      url,
    ]),
  );
}

async function loadWithAutocannon(url: string, seconds: number): Promise<Load> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers: AUTH });
  return { rps: result.requests.average, bad: result.non2xx + result.errors + result.timeouts };
}

/** Requests one smoke-mode load sends. */
export const SMOKE_REQUESTS = 200;

/**
 * Smoke mode's load: a fixed number of requests (autocannon's `amount`), timed here. A short duration can end with no
 * response at all while the test process is busy (and then no ratio can be computed); a count always yields a rate.
 * autocannon ends a run only at a sample tick (every second by default), so the ticks come every 10 ms here.
 */
async function loadSmoke(url: string, _seconds: number): Promise<Load> {
  const t0 = nowMs();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount: SMOKE_REQUESTS,
    sampleInt: 10,
    headers: AUTH,
  });
  const seconds = (nowMs() - t0) / 1000;
  return { rps: result.requests.total / seconds, bad: result.non2xx + result.errors + result.timeouts };
}

/**
 * The load generator: wrk when installed (unless BENCH_LOAD=autocannon), else autocannon for the given duration; in
 * smoke mode autocannon sending {@link SMOKE_REQUESTS} requests.
 */
export async function loadGenerator(smoke: boolean): Promise<{ name: string; load: typeof loadWithWrk }> {
  if (smoke) return { name: `autocannon, ${SMOKE_REQUESTS} requests (smoke)`, load: loadSmoke };
  const useWrk =
    process.env.BENCH_LOAD !== "autocannon" &&
    (await access(WRK, constants.X_OK).then(
      () => true,
      () => false,
    ));
  return useWrk ? { name: "wrk", load: loadWithWrk } : { name: "autocannon", load: loadWithAutocannon };
}

export const mock: Benchmark = {
  name: "mock",
  title: "mock server vs Prism: GET task requests/s and start-up time",
  async run(ctx) {
    const seconds = 4; // of load per server and round (smoke mode: a fixed number of requests instead)
    const warmSeconds = ctx.smoke ? 0 : 1;
    // wrk runs whole seconds; smoke mode sends a few requests with autocannon (always installed), and parseWrk is
    // unit-tested on wrk's real output. BENCH_LOAD=autocannon forces the fallback (what a machine without wrk runs).
    const { name: generator, load } = await loadGenerator(ctx.smoke);
    const useWrk = generator === "wrk";
    const compiledCli = await compileMock();
    const taskPath = `/v1/tasks/${operations.getTaskDetail.responses["200"].body.examples.video_completed.id}`;

    // Smoke mode proves the harness, not Prism: a second instance of our mock stands in for it (Prism's start-up, a
    // second or more of CPU, was the smoke test's largest cost; contract-tests/ start the real Prism anyway).
    const realPrism = !ctx.smoke;
    const prismLabel = realPrism
      ? `Prism ${packageVersion("@stoplight/prism-cli")}`
      : "our mock again (smoke: no Prism)";
    const startServer = async (which: Server) => {
      const port = await freePort();
      const [cmd, args] =
        which === "prism" && realPrism
          ? [PRISM, ["mock", "-h", "127.0.0.1", "-p", String(port), SPEC]]
          : which !== "ours-tsx"
            ? [process.execPath, [compiledCli, "--port", String(port), "--seed", "1"]]
            : tsxNode("src/mock/server-cli.ts", ["--port", String(port), "--seed", "1"]);
      const t0 = nowMs();
      // Prism logs every request to stdout: ignore it, or a full pipe would stall the server under load.
      const child = start(cmd as string, args as string[], { stdio: ["ignore", "ignore", "pipe"] });
      const stderr = finish(child);
      const base = `http://127.0.0.1:${port}`;
      try {
        const readyPath = which === "prism" && realPrism ? taskPath : "/__mock/tasks";
        const startupMs = await waitFor200(`${base}${readyPath}`, { sinceMs: t0, headers: AUTH, child });
        return { child, base, startupMs };
      } catch (err) {
        await stop(child);
        throw new Error(`${which} did not start: ${(err as Error).message}; ${(await stderr).stderr.slice(-1500)}`);
      }
    };

    const rps = { ours: [] as number[], prism: [] as number[] };
    const startup = { ours: [] as number[], prism: [] as number[], "ours-tsx": [] as number[] };
    let bad = 0;
    for (let round = 0; round < ctx.rounds; round++) {
      // Smoke mode leaves out the tsx start-up: it proves nothing the compiled start-up does not.
      const all: Server[] = round % 2 === 0 ? ["ours", "prism", "ours-tsx"] : ["prism", "ours-tsx", "ours"];
      const order = ctx.smoke ? all.filter((w) => w !== "ours-tsx") : all;
      const started = new Map<Server, Awaited<ReturnType<typeof startServer>>>();
      try {
        for (const which of order) {
          const server = await startServer(which);
          started.set(which, server);
          startup[which].push(server.startupMs);
          if (which === "ours-tsx") {
            await stop(server.child);
            started.delete(which);
          }
        }
        for (const which of order.filter((w): w is "ours" | "prism" => w !== "ours-tsx")) {
          const server = started.get(which);
          if (!server) continue;
          let url = `${server.base}${taskPath}`;
          if (which === "ours" || !realPrism) {
            const created = await fetch(`${server.base}${operations.createVideoGeneration.path}`, {
              method: "POST",
              headers: { ...AUTH, "content-type": "application/json" },
              body: JSON.stringify(operations.createVideoGeneration.requestBody.examples.video_edit),
            });
            const task = (await created.json()) as { id?: string };
            if (!created.ok || !task.id)
              throw new Error(`mock create failed: ${created.status} ${JSON.stringify(task)}`);
            url = `${server.base}/v1/tasks/${task.id}`;
          }
          if (warmSeconds > 0) await load(url, warmSeconds);
          const result = await load(url, seconds);
          bad += result.bad;
          rps[which].push(result.rps);
        }
      } finally {
        for (const server of started.values()) await stop(server.child);
      }
      ctx.log(
        `round ${round + 1}/${ctx.rounds}: rps ours ${rps.ours.at(-1)?.toFixed(0)}, prism ${rps.prism.at(-1)?.toFixed(0)}; start-up ours ${startup.ours.at(-1)?.toFixed(0)} ms, tsx ${startup["ours-tsx"].at(-1)?.toFixed(0)} ms, prism ${startup.prism.at(-1)?.toFixed(0)} ms`,
      );
    }
    if (bad > 0) throw new Error(`${bad} responses were not 2xx (or failed): requests/s would be meaningless`);
    const m = (label: string, unit: string, values: number[]): Measure => ({ label, unit, values });
    const oursRps = m("our mock", "req/s", rps.ours);
    const prismRps = m(prismLabel, "req/s", rps.prism);
    const oursUp = m("our mock (compiled JS)", "ms", startup.ours);
    const prismUp = m(prismLabel, "ms", startup.prism);
    const tsxUp = m("our mock under tsx (npm run mock)", "ms", startup["ours-tsx"]);
    return {
      runs: `${ctx.rounds} rounds, order alternating; ${ctx.smoke ? `${SMOKE_REQUESTS} requests` : `${seconds} s`} of load per server per round after ${warmSeconds} s of warm-up`,
      notes: [
        `Load generator: ${generator} (${useWrk ? "Debian's wrk, 1 thread" : "autocannon npm package, in the bench process"}), ${CONNECTIONS} keep-alive connections, loopback. Every response was 2xx.`,
        "Ours answers the task it created (its state computed per request); Prism answers the spec's static 200 example. Each server is one Node process.",
        "Start-up: spawn to the first 200 (polled every 5 ms): Prism on GET task, ours on GET /__mock/tasks (it has no task before the first create). Ours runs as compiled JS (esbuild, file by file, as npm run build does), like Prism.",
      ],
      rows: [
        {
          measure: `GET task requests/s (${CONNECTIONS} connections)`,
          ours: oursRps,
          baseline: prismRps,
          ratio: pairRatios(oursRps.values, prismRps.values),
          // Issue 18: keep at least 4x Prism's rate and at most 0.2x its start-up.
          target: { on: "ratio", op: ">=", value: 4 },
        },
        {
          measure: "start-up, spawn to first 200",
          ours: oursUp,
          baseline: prismUp,
          ratio: pairRatios(oursUp.values, prismUp.values),
          target: { on: "ratio", op: "<=", value: 0.2 },
        },
        ...(ctx.smoke
          ? []
          : [
              {
                measure: "start-up under tsx, as `npm run mock` runs it (without npm's own start-up)",
                ours: tsxUp,
                baseline: prismUp,
                ratio: pairRatios(tsxUp.values, prismUp.values),
              },
            ]),
      ],
    };
  },
};
