/**
 * Where the per-call time of `tasks.get` goes, against bare openapi-fetch on the same server: two CPU profiles
 * (`node --cpu-prof`), one per contender, each N sequential calls after a warm-up, compared by where the samples
 * land (our src/, the validators, openapi-fetch, Node's fetch (undici), abort/event machinery, GC). Not part of
 * `npm run bench` (a profile is a diagnosis, not a figure); run it by hand:
 *
 *   npx tsx bench/profile-overhead.ts [--calls 20000]
 *   npx tsx bench/profile-overhead.ts --parts [--calls 1000] [--rounds 5]
 *   npx tsx bench/profile-overhead.ts --stub [--sets 100]
 *
 * Prints, per contender, microseconds per call spent in each category (self time of the sampled frames), and the
 * top functions by self time where the two differ most. Profiles taken one after the other feel the machine's load;
 * `--parts` is the load-proof view: the request loop's path (`fetch(url, init)`, the body read as text and parsed)
 * with its pieces added one at a time (a signal, the deadline scope's timer, validation), then tasks.get itself,
 * timed side by side with bare openapi-fetch in interleaved blocks, each as a ratio to it. `--stub` takes the network
 * away (a fetch stub building the same Request) and counts CPU time: the client's own cost, steady under load.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import createClient from "openapi-fetch";
import { operations } from "../generated/operations.js";
import type { paths } from "../generated/schema.js";
import { validateTaskDetail } from "../generated/validators.js";
import { createKlingClient, DEFAULT_TIMEOUT_MS } from "../src/index.js";
import { CallScope } from "../src/internal/scope.js";
import { timeInterleaved } from "./lib/interleave.js";
import { bundledNode, finish, firstJsonLine, ROOT, start, stop, tsxNode } from "./lib/proc.js";
import { pairRatios, summarize } from "./lib/stats.js";

const TASK = operations.getTaskDetail.responses["200"].body.examples.video_completed;
const KEY = "bench-key";

/** One node of a V8 `.cpuprofile`. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which part of the stack a frame belongs to. */
export function categorize(frame: ProfileNode["callFrame"]): string {
  const { url, functionName } = frame;
  if (functionName === "(garbage collector)") return "GC";
  if (functionName === "(idle)" || functionName === "(program)") return functionName;
  if (url.includes("/generated/validators")) return "validators (generated/)";
  if (url.includes("/src/internal/scope")) return "src/internal/scope.ts (deadline)";
  if (url.includes("/src/api-promise")) return "src/api-promise.ts";
  if (url.includes("/src/")) return "src/ (client, errors, retry)";
  if (url.includes("openapi-fetch")) return "openapi-fetch";
  if (url.includes("undici")) return "Node fetch (undici)";
  if (/node:internal\/(event_target|abort_controller|events)/.test(url) || url === "node:events") {
    return "AbortSignal / events";
  }
  if (url.startsWith("node:internal/") || url.startsWith("node:")) return "other Node internals";
  if (url === "") return "native / builtins";
  return "other";
}

/** Microseconds of self time per category and per function, for a profile of `calls` calls. */
export function summarizeProfile(profile: Profile, calls: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const cat = categorize(node.callFrame);
    categories.set(cat, (categories.get(cat) ?? 0) + us / calls);
    const where = node.callFrame.url.replace(pathToFileURL(ROOT).href, "").replace(/^.*node_modules\//, "");
    const key = `${node.callFrame.functionName || "(anonymous)"} ${where}:${node.callFrame.lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + us / calls);
  }
  return { categories, functions, wallUsPerCall: (profile.endTime - profile.startTime) / calls };
}

/** The child's side: run `calls` calls of one contender against `baseUrl`. */
async function drive(which: string, baseUrl: string, calls: number): Promise<void> {
  const headers = { Authorization: `Bearer ${KEY}`, Accept: "application/json" };
  const ours = createKlingClient({ apiKey: KEY, baseUrl });
  const bare = createClient<paths>({ baseUrl });
  const call =
    which === "tasks.get"
      ? () => ours.tasks.get(TASK.id)
      : async () => {
          const { data } = await bare.GET("/v1/tasks/{task_id}", { params: { path: { task_id: TASK.id } }, headers });
          if (!data) throw new Error("no data");
          return data;
        };
  for (let i = 0; i < 2000; i++) await call();
  // Only the measured calls in the profile: the warm-up ran before the profiler started.
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 50 });
  await session.post("Profiler.start");
  for (let i = 0; i < calls; i++) await call();
  const { profile } = await session.post("Profiler.stop");
  process.stdout.write(`${JSON.stringify(profile)}\n`);
  session.disconnect();
}

/**
 * The request loop's path (src/request.ts sends `fetch(url, init)` under a deadline scope, reads the text, parses and
 * validates it), rebuilt piece by piece beside bare openapi-fetch and the client itself: what `--parts` times over
 * the network and `--stub` times without one.
 */
function pathContenders(base: string): Record<string, () => Promise<unknown>> {
  const headers = { Authorization: `Bearer ${KEY}`, Accept: "application/json" };
  const url = `${base}/v1/tasks/${TASK.id}`;
  const api = createClient<paths>({ baseUrl: base });
  const ours = createKlingClient({ apiKey: KEY, baseUrl: base });
  const unvalidated = createKlingClient({ apiKey: KEY, baseUrl: base, validateResponses: false });
  const raw = async (signal?: AbortSignal, validate = false) => {
    const response = await fetch(url, { method: "GET", headers, body: null, ...(signal ? { signal } : {}) });
    const data: unknown = JSON.parse(await response.text());
    if (!response.ok || (validate && !validateTaskDetail(data))) throw new Error("bad answer");
    return data;
  };
  const scoped = async (validate: boolean) => {
    const scope = new CallScope(undefined, DEFAULT_TIMEOUT_MS);
    try {
      return await raw(scope.signal, validate);
    } finally {
      scope.dispose();
    }
  };
  return {
    "bare openapi-fetch": async () => {
      const { data } = await api.GET("/v1/tasks/{task_id}", { params: { path: { task_id: TASK.id } }, headers });
      if (!data) throw new Error("no data");
      return data;
    },
    "fetch(url, init), text, JSON.parse": () => raw(),
    "+ an AbortController's signal": () => raw(new AbortController().signal),
    "+ deadline scope (CallScope: controller and timer)": () => scoped(false),
    "+ validation": () => scoped(true),
    "tasks.get, validateResponses false": () => unvalidated.tasks.get(TASK.id),
    "tasks.get": () => ours.tasks.get(TASK.id),
  };
}

/**
 * The request loop's path, rebuilt piece by piece beside bare openapi-fetch, side by side; ratios to bare. The loop
 * (src/request.ts) sends `fetch(url, init)` itself under a deadline scope, reads the text, parses and validates it.
 */
async function parts(base: string, calls: number, rounds: number): Promise<void> {
  const contenders = pathContenders(base);
  const { perCall } = await timeInterleaved(contenders, {
    calls,
    rounds,
    warmup: 300,
    log: (m) => process.stderr.write(`  .. ${m}\n`),
  });
  const bare = perCall["bare openapi-fetch"] ?? [];
  console.log(
    `${rounds} rounds of ${calls} calls per contender, interleaved; median (min-max) µs per call, ratio to bare\n`,
  );
  for (const [name, values] of Object.entries(perCall) as [string, number[]][]) {
    const s = summarize(values);
    const ratio = summarize(pairRatios(values, bare));
    console.log(
      `${name.padEnd(52)} ${s.median.toFixed(0).padStart(5)} µs (${s.min.toFixed(0)}-${s.max.toFixed(0)})  ${ratio.median.toFixed(3)}x (${ratio.min.toFixed(2)}-${ratio.max.toFixed(2)})`,
    );
  }
}

/**
 * The client's own CPU cost without a network: `globalThis.fetch` replaced by a stub that builds the `Request` Node's
 * fetch would build from its arguments (so a signal is followed, a Request copied, as for real) and answers the task
 * from memory. Each contender's process CPU time per call (user + system: other processes' load barely moves it),
 * the median over interleaved sets. What is left of tasks.get over "+ deadline scope" is ours alone.
 */
async function stubbed(sets: number): Promise<void> {
  const body = JSON.stringify(TASK);
  const base = "http://127.0.0.1:9";
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    new Request(input, init);
    return new Response(body, { headers: { "content-type": "application/json", "content-length": `${body.length}` } });
  }) as typeof fetch;
  try {
    const contenders = pathContenders(base);
    const names = Object.keys(contenders);
    const block = 200;
    for (const name of names) for (let i = 0; i < 3000; i++) await contenders[name]?.();
    const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
    for (let set = 0; set < sets; set++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + set) % names.length] as string;
        const call = contenders[name] as () => Promise<unknown>;
        const before = process.cpuUsage();
        for (let i = 0; i < block; i++) await call();
        const spent = process.cpuUsage(before);
        cpu.get(name)?.push((spent.user + spent.system) / block);
      }
    }
    const bare = cpu.get("bare openapi-fetch") ?? [];
    console.log(`${sets} interleaved sets of ${block} calls each; CPU µs per call, median (min-max), ratio to bare\n`);
    for (const [name, values] of cpu) {
      const s = summarize(values);
      const ratio = summarize(pairRatios(values, bare));
      console.log(
        `${name.padEnd(52)} ${s.median.toFixed(1).padStart(6)} µs (${s.min.toFixed(1)}-${s.max.toFixed(1)})  ${ratio.median.toFixed(3)}x`,
      );
    }
  } finally {
    globalThis.fetch = realFetch;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      parts: { type: "boolean", default: false },
      stub: { type: "boolean", default: false },
      sets: { type: "string", default: "100" },
      rounds: { type: "string", default: "5" },
      calls: { type: "string" },
      child: { type: "string" },
      base: { type: "string" },
    },
  });
  if (values.stub) {
    await stubbed(Number(values.sets));
    return;
  }
  const calls = Number(values.calls ?? (values.parts ? 1000 : 20000));
  if (values.child && values.base) {
    await drive(values.child, values.base, calls);
    return;
  }
  const server = start(...(await bundledNode("bench/fixtures/task-server.ts")));
  try {
    const { port } = await firstJsonLine<{ port: number }>(server);
    const base = `http://127.0.0.1:${port}`;
    if (values.parts) {
      await parts(base, calls, Number(values.rounds));
      return;
    }
    const summaries = new Map<string, ReturnType<typeof summarizeProfile>>();
    for (const which of ["bare openapi-fetch", "tasks.get"]) {
      const [cmd, args] = tsxNode("bench/profile-overhead.ts", [
        "--child",
        which,
        "--base",
        base,
        "--calls",
        `${calls}`,
      ]);
      const out = await finish(start(cmd, args, { stdio: ["ignore", "pipe", "pipe"] }));
      if (out.code !== 0) throw new Error(`${which}: ${out.stderr}`);
      summaries.set(which, summarizeProfile(JSON.parse(out.stdout) as Profile, calls));
    }
    const [bare, ours] = [summaries.get("bare openapi-fetch"), summaries.get("tasks.get")] as const;
    if (!bare || !ours) throw new Error("missing profile");
    const cats = [...new Set([...bare.categories.keys(), ...ours.categories.keys()])].sort(
      (a, b) => (ours.categories.get(b) ?? 0) - (ours.categories.get(a) ?? 0),
    );
    const f = (v: number | undefined) => (v ?? 0).toFixed(1).padStart(7);
    console.log(`${calls} sequential calls each, sampled every 50 µs; µs of self time per call\n`);
    console.log(`${"category".padEnd(36)} ${"bare".padStart(7)} ${"ours".padStart(7)} ${"diff".padStart(7)}`);
    for (const c of cats) {
      const b = bare.categories.get(c) ?? 0;
      const o = ours.categories.get(c) ?? 0;
      console.log(`${c.padEnd(36)} ${f(b)} ${f(o)} ${f(o - b)}`);
    }
    console.log(
      `${"wall per call (profiled)".padEnd(36)} ${f(bare.wallUsPerCall)} ${f(ours.wallUsPerCall)} ${f(ours.wallUsPerCall - bare.wallUsPerCall)}`,
    );
    const fns = [...new Set([...bare.functions.keys(), ...ours.functions.keys()])]
      .map((k) => ({ k, d: (ours.functions.get(k) ?? 0) - (bare.functions.get(k) ?? 0) }))
      .sort((a, b) => b.d - a.d)
      .slice(0, 25);
    console.log("\nfunctions with the most extra self time in tasks.get (µs/call: bare, ours, diff)");
    for (const { k } of fns)
      console.log(
        `${f(bare.functions.get(k))} ${f(ours.functions.get(k))} ${f((ours.functions.get(k) ?? 0) - (bare.functions.get(k) ?? 0))}  ${k}`,
      );
  } finally {
    await stop(server);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
