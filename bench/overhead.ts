/**
 * 1. Per-call overhead: sequential `client.tasks.get` calls (response validation on) against a minimal local server
 * answering a fixed task, side by side with what a user would pick instead, on the same server, alternating in
 * rotating order each round: bare openapi-fetch (what we build on), openapi-fetch with a timeout middleware, ky and
 * ofetch with the same timeout and retry settings as ours, and raw `fetch`. Targets (issue 18): ours at most 1.05x
 * bare openapi-fetch, and no slower than ky or ofetch (ours validates the body; they do not).
 */
import ky from "ky";
import { ofetch } from "ofetch";
import createClient, { type Middleware } from "openapi-fetch";
import { operations } from "../generated/operations.js";
import type { paths } from "../generated/schema.js";
import { createKlingClient, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from "../src/index.js";
import { type Call, timeInterleaved } from "./lib/interleave.js";
import { bundledNode, firstJsonLine, packageVersion, start, stop } from "./lib/proc.js";
import { median, pairRatios } from "./lib/stats.js";
import type { Benchmark, Measure, Row } from "./lib/types.js";

const TASK = operations.getTaskDetail.responses["200"].body.examples.video_completed;
const KEY = "bench-key";

/** openapi-fetch's documented way to add a timeout: a middleware giving each request a timeout signal. */
const timeoutMiddleware = (ms: number): Middleware => ({
  onRequest: ({ request }) => new Request(request, { signal: AbortSignal.timeout(ms) }),
});

/** The contenders by name, in the order they are listed. */
export const CONTENDERS = [
  "tasks.get",
  "tasks.get, validateResponses false",
  "bare openapi-fetch",
  "openapi-fetch + timeout middleware",
  "ky",
  "ofetch",
  "raw fetch",
  "raw fetch with a timeout signal",
] as const;
type Contender = (typeof CONTENDERS)[number];

export const overhead: Benchmark = {
  name: "overhead",
  title: "per-call overhead of tasks.get vs openapi-fetch, ky, ofetch and raw fetch",
  async run(ctx) {
    const calls = ctx.smoke ? 20 : 2000;
    const warmup = ctx.smoke ? 5 : 500;
    const server = start(...(await bundledNode("bench/fixtures/task-server.ts")));
    try {
      const { port } = await firstJsonLine<{ port: number }>(server);
      const baseUrl = `http://127.0.0.1:${port}`;
      const url = `${baseUrl}/v1/tasks/${TASK.id}`;
      const headers = { Authorization: `Bearer ${KEY}`, Accept: "application/json" };
      const ours = createKlingClient({ apiKey: KEY, baseUrl });
      const unvalidated = createKlingClient({ apiKey: KEY, baseUrl, validateResponses: false });
      const bare = createClient<paths>({ baseUrl });
      const withTimeout = createClient<paths>({ baseUrl });
      withTimeout.use(timeoutMiddleware(DEFAULT_TIMEOUT_MS));
      // ky and ofetch set up the way a user replacing us would: our default total timeout and retry count, JSON.
      const kyClient = ky.create({
        prefixUrl: baseUrl,
        headers,
        timeout: DEFAULT_TIMEOUT_MS,
        retry: { limit: DEFAULT_MAX_RETRIES },
      });
      const ofetchClient = ofetch.create({
        baseURL: baseUrl,
        headers,
        timeout: DEFAULT_TIMEOUT_MS,
        retry: DEFAULT_MAX_RETRIES,
      });
      const viaOpenapiFetch = async (client: typeof bare) => {
        const { data, error } = await client.GET("/v1/tasks/{task_id}", {
          params: { path: { task_id: TASK.id } },
          headers,
        });
        if (!data) throw new Error(`error body ${JSON.stringify(error)}`);
        return data;
      };

      // Each contender does what a caller needs: one GET, the body parsed, failure detected (ky and ofetch throw on
      // a non-2xx status themselves).
      const contenders: Record<Contender, Call> = {
        "tasks.get": () => ours.tasks.get(TASK.id),
        "tasks.get, validateResponses false": () => unvalidated.tasks.get(TASK.id),
        "bare openapi-fetch": () => viaOpenapiFetch(bare),
        "openapi-fetch + timeout middleware": () => viaOpenapiFetch(withTimeout),
        ky: () => kyClient.get(`v1/tasks/${TASK.id}`).json(),
        ofetch: () => ofetchClient(`/v1/tasks/${TASK.id}`),
        "raw fetch": async () => {
          const res = await fetch(url, { headers });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.json();
        },
        // What a careful hand-written call does: the same GET with a timeout.
        "raw fetch with a timeout signal": async () => {
          const res = await fetch(url, { headers, signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.json();
        },
      };
      const { perCall, cpuPerCall, perBlock } = await timeInterleaved(contenders, {
        calls,
        rounds: ctx.rounds,
        warmup,
        check: (name, first) => {
          if ((first as { id?: unknown }).id !== TASK.id) throw new Error(`${name} returned ${JSON.stringify(first)}`);
        },
        log: ctx.log,
      });
      const m = (label: Contender): Measure => ({ label, unit: "µs/call", values: perCall[label] });
      const cpuOf = (label: Contender): Measure => ({ label, unit: "µs CPU/call", values: cpuPerCall[label] });
      const our = m("tasks.get");
      const noVal = m("tasks.get, validateResponses false");
      const oapi = m("bare openapi-fetch");
      const oapiTimeout = m("openapi-fetch + timeout middleware");
      const kyM = m("ky");
      const ofetchM = m("ofetch");
      const raw = m("raw fetch");
      const rawTimeout = m("raw fetch with a timeout signal");
      const r = (a: Measure, b: Measure) => median(pairRatios(a.values, b.values)).toFixed(2);
      const row = (measure: string, a: Measure, b: Measure, extra: Partial<Row> = {}): Row => ({
        measure,
        ours: a,
        baseline: b,
        ratio: pairRatios(a.values, b.values),
        ...extra,
      });
      const where = `In this run tasks.get without response validation is ${r(noVal, oapi)}x bare openapi-fetch and ${r(noVal, rawTimeout)}x raw fetch with a timeout signal; validation is ${r(our, noVal)}x; a timeout signal costs raw fetch ${r(rawTimeout, raw)}x and openapi-fetch (as middleware) ${r(oapiTimeout, oapi)}x.`;
      return {
        runs: `${ctx.rounds} rounds of ${calls.toLocaleString("en-US")} sequential calls per contender, interleaved in blocks of ${perBlock} in rotating order`,
        notes: [
          "Server: node:http in a child process answering the spec's video_completed example; keep-alive; loopback.",
          `Every contender parses the JSON body and checks the status. tasks.get sends fetch(url, init) itself (the URL from the generated route table, no Request to copy), also validates the body against TaskDetail (precompiled ajv), runs under a ${DEFAULT_TIMEOUT_MS / 1000} s total deadline with ${DEFAULT_MAX_RETRIES} retries, and maps errors. ky ${packageVersion("ky")} and ofetch ${packageVersion("ofetch")} get the same timeout (${DEFAULT_TIMEOUT_MS} ms) and retry limit (${DEFAULT_MAX_RETRIES}); openapi-fetch's timeout is a middleware returning new Request(request, { signal: AbortSignal.timeout(ms) }).`,
          "bench/profile-overhead.ts profiles tasks.get against bare openapi-fetch (where the difference goes); see docs/benchmarks.md.",
        ],
        rows: [
          row("time per tasks.get (validation on) vs bare openapi-fetch", our, oapi, {
            target: { on: "ratio", op: "<=", value: 1.05 },
            note: where,
          }),
          row("time per tasks.get vs ky (same timeout and retries, no validation)", our, kyM, {
            target: { on: "ratio", op: "<=", value: 1 },
          }),
          row("time per tasks.get vs ofetch (same timeout and retries, no validation)", our, ofetchM, {
            target: { on: "ratio", op: "<=", value: 1 },
            note: `In this run ofetch is ${r(ofetchM, raw)}x raw fetch and bare openapi-fetch ${r(oapi, raw)}x: ofetch, like tasks.get, calls fetch(url, init) with its own AbortController and timer, while openapi-fetch builds a Request that fetch then copies; bare openapi-fetch is ${r(oapi, ofetchM)}x ofetch here.`,
          }),
          row(
            "CPU time per tasks.get (validation on) vs bare openapi-fetch, in the calling process",
            cpuOf("tasks.get"),
            cpuOf("bare openapi-fetch"),
            {
              note: "User + system CPU of the benchmark's own process over the same blocks (Node's fetch included; the server is another process): the cost a call adds where it runs, which load from elsewhere disturbs far less than wall time.",
            },
          ),
          row("CPU time per tasks.get vs ofetch, in the calling process", cpuOf("tasks.get"), cpuOf("ofetch")),
          row("time per tasks.get vs openapi-fetch with a timeout middleware", our, oapiTimeout),
          row("time per tasks.get without response validation vs bare openapi-fetch (where the cost is)", noVal, oapi),
          row("time per tasks.get vs raw fetch", our, raw),
          row(
            "time per tasks.get vs raw fetch with AbortSignal.timeout (tasks.get always runs under a deadline)",
            our,
            rawTimeout,
          ),
          row("raw fetch with AbortSignal.timeout vs raw fetch (what a signal costs in Node's fetch)", rawTimeout, raw),
          row("bare openapi-fetch vs raw fetch (the library we build on)", oapi, raw),
        ],
      };
    } finally {
      await stop(server);
    }
  },
};
