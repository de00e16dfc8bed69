/**
 * 1. Per-call overhead: sequential `client.tasks.get` calls (response validation on) against a minimal local server
 * answering a fixed task, side by side with raw `fetch` and bare openapi-fetch on the same server, alternating in
 * rotating order each round. Target: ours at most 1.10x raw fetch per call and 1.05x bare openapi-fetch.
 */
import createClient from "openapi-fetch";
import { operations } from "../generated/operations.js";
import type { paths } from "../generated/schema.js";
import { createKlingClient } from "../src/index.js";
import { firstJsonLine, start, stop, tsxNode } from "./lib/proc.js";
import { median, nowMs, pairRatios } from "./lib/stats.js";
import type { Benchmark, Measure } from "./lib/types.js";

const TASK = operations.getTaskDetail.responses["200"].body.examples.video_completed;
const KEY = "bench-key";

type Call = () => Promise<unknown>;
/** Calls per block; contenders alternate block by block. */
const BLOCK = 100;

export const overhead: Benchmark = {
  name: "overhead",
  title: "per-call overhead of tasks.get vs raw fetch and bare openapi-fetch",
  async run(ctx) {
    const calls = ctx.smoke ? 40 : 2000;
    const warmup = ctx.smoke ? 10 : 500;
    const server = start(...tsxNode("bench/fixtures/task-server.ts"));
    try {
      const { port } = await firstJsonLine<{ port: number }>(server);
      const baseUrl = `http://127.0.0.1:${port}`;
      const url = `${baseUrl}/v1/tasks/${TASK.id}`;
      const headers = { Authorization: `Bearer ${KEY}`, Accept: "application/json" };
      const ours = createKlingClient({ apiKey: KEY, baseUrl });
      const unvalidated = createKlingClient({ apiKey: KEY, baseUrl, validateResponses: false });
      const bare = createClient<paths>({ baseUrl });

      // Each contender does what a caller needs: one GET, the body parsed, failure detected.
      const contenders: Record<string, Call> = {
        "raw fetch": async () => {
          const res = await fetch(url, { headers });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.json();
        },
        // What a careful hand-written call does: the same GET with a timeout. A signal costs undici extra work per call.
        "raw fetch with a timeout signal": async () => {
          const res = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.json();
        },
        "bare openapi-fetch": async () => {
          const { data, error } = await bare.GET("/v1/tasks/{task_id}", {
            params: { path: { task_id: TASK.id } },
            headers,
          });
          if (!data) throw new Error(`error body ${JSON.stringify(error)}`);
          return data;
        },
        "tasks.get": () => ours.tasks.get(TASK.id),
        "tasks.get, validateResponses false": () => unvalidated.tasks.get(TASK.id),
      };
      const names = Object.keys(contenders);
      for (const name of names) {
        const call = contenders[name] as Call;
        const first = (await call()) as { id?: unknown };
        if (first.id !== TASK.id) throw new Error(`${name} returned ${JSON.stringify(first)}`);
        for (let i = 0; i < warmup; i++) await call();
      }

      // The machine is shared: each round's calls go in blocks, contenders interleaved block by block in rotating
      // order, so a burst of load from elsewhere hits every contender alike instead of whichever ran then.
      const perCall = new Map<string, number[]>(names.map((n) => [n, []]));
      const blocks = Math.max(1, Math.round(calls / BLOCK));
      for (let round = 0; round < ctx.rounds; round++) {
        const spent = new Map<string, number>(names.map((n) => [n, 0]));
        for (let block = 0; block < blocks; block++) {
          for (let k = 0; k < names.length; k++) {
            const name = names[(k + block + round) % names.length] as string;
            const call = contenders[name] as Call;
            const t0 = nowMs();
            for (let i = 0; i < calls / blocks; i++) await call();
            spent.set(name, (spent.get(name) ?? 0) + nowMs() - t0);
          }
        }
        for (const name of names) perCall.get(name)?.push(((spent.get(name) ?? 0) * 1000) / calls);
        ctx.log(
          `round ${round + 1}/${ctx.rounds}: ${names.map((n) => `${n} ${perCall.get(n)?.at(-1)?.toFixed(1)} µs`).join(", ")}`,
        );
      }
      const m = (label: string, values: number[]): Measure => ({ label, unit: "µs/call", values });
      const raw = m("raw fetch", perCall.get("raw fetch") ?? []);
      const oapi = m("bare openapi-fetch", perCall.get("bare openapi-fetch") ?? []);
      const our = m("tasks.get", perCall.get("tasks.get") ?? []);
      const noVal = m("tasks.get, validateResponses false", perCall.get("tasks.get, validateResponses false") ?? []);
      const rawTimeout = m("raw fetch with a timeout signal", perCall.get("raw fetch with a timeout signal") ?? []);
      const r = (a: Measure, b: Measure) => median(pairRatios(a.values, b.values)).toFixed(2);
      const limits = `In this run: bare openapi-fetch is ${r(oapi, raw)}x raw fetch; raw fetch with AbortSignal.timeout is ${r(rawTimeout, raw)}x raw fetch; tasks.get is ${r(our, rawTimeout)}x raw fetch with a timeout signal, and ${r(our, noVal)}x itself without response validation.`;
      return {
        runs: `${ctx.rounds} rounds of ${calls.toLocaleString("en-US")} sequential calls per contender, interleaved in blocks of ${calls / Math.max(1, Math.round(calls / BLOCK))} in rotating order`,
        notes: [
          "Server: node:http in a child process answering the spec's video_completed example; keep-alive; loopback.",
          "Every contender parses the JSON body and checks the status; tasks.get also validates the body against TaskDetail (precompiled ajv), sets up its deadline scope and error mapping.",
        ],
        rows: [
          {
            measure: `time per tasks.get (${calls.toLocaleString("en-US")} sequential calls, validation on) vs raw fetch`,
            ours: our,
            baseline: raw,
            ratio: pairRatios(our.values, raw.values),
            target: { on: "ratio", op: "<=", value: 1.1 },
            note: limits,
          },
          {
            measure: "time per tasks.get vs bare openapi-fetch",
            ours: our,
            baseline: oapi,
            ratio: pairRatios(our.values, oapi.values),
            target: { on: "ratio", op: "<=", value: 1.05 },
            note: `In this run tasks.get without response validation is ${r(noVal, oapi)}x bare openapi-fetch: the rest of the gap is the client's own per-call work (deadline scope and signal, response capture, retry and error mapping).`,
          },
          {
            measure: "time per tasks.get without response validation vs bare openapi-fetch (where the cost is)",
            ours: noVal,
            baseline: oapi,
            ratio: pairRatios(noVal.values, oapi.values),
          },
          {
            measure:
              "time per tasks.get vs raw fetch with AbortSignal.timeout (tasks.get always runs under a deadline)",
            ours: our,
            baseline: rawTimeout,
            ratio: pairRatios(our.values, rawTimeout.values),
          },
          {
            measure: "raw fetch with AbortSignal.timeout vs raw fetch (what a signal costs in Node's fetch)",
            ours: rawTimeout,
            baseline: raw,
            ratio: pairRatios(rawTimeout.values, raw.values),
          },
          {
            measure: "bare openapi-fetch vs raw fetch (the library we build on)",
            ours: oapi,
            baseline: raw,
            ratio: pairRatios(oapi.values, raw.values),
          },
        ],
      };
    } finally {
      await stop(server);
    }
  },
};
