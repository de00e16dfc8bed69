/**
 * 7. How cost grows (issue 18), not just points:
 * - GETs per task against the task's duration (10 s to 30 min) for the adaptive schedule, a fixed 5 s interval and a
 *   callback-first job (callback delivered, and callback lost), each through the real wait loop (src/wait.ts
 *   `waitForTask`, schedule src/poll.ts `nextPollDelayMs`) on a fake clock against the mock's task timeline;
 * - the mock holding 100,000 tasks: its memory and GET requests/s, against the same mock holding one;
 * - `jobs.resumeAll()` with 10,000 stored jobs after a restart: how long it takes (simulated clock), its CPU time and
 *   memory, against looking at each task once with `tasks.get`;
 * Queue throughput against workers is bench/queue.ts's (real Redis and worker processes).
 */
import { readFile } from "node:fs/promises";
import autocannon from "autocannon";
import { operations } from "../generated/operations.js";
import { DEFAULT_RESUME_DOWNLOADS, DEFAULT_RESUME_POLLS } from "../src/defaults.js";
import { MockEngine } from "../src/mock/engine.js";
import type { Task } from "../src/types.js";
import { type WaitHooks, waitForTask } from "../src/wait.js";
import { onFakeClock } from "./lib/fake-clock.js";
import { bundledNode, finish, firstJsonLine, freePort, start, stop, waitFor200 } from "./lib/proc.js";
import { median, pairRatios } from "./lib/stats.js";
import type { Benchmark, Measure, Row } from "./lib/types.js";
import { compileMock, loadGenerator } from "./mock.js";

/** Task durations in seconds: 10 s to 30 min. */
export const SCALING_DURATIONS_S = [10, 30, 60, 120, 300, 600, 1200, 1800];
/** Completions off any poll grid: each duration plus these (s); the figure per duration is their median. */
const OFFSETS_S = [0.625, 1.875, 3.125, 4.375];
/** How long after completion the API's callback arrives (the job confirms it with one GET). */
const CALLBACK_DELAY_MS = 1_000;
const FIXED_INTERVAL_MS = 5_000;

/** The schedules compared. */
export const SCHEDULES = ["adaptive", "fixed 5 s", "callback-first", "callback-first, callback lost"] as const;
export type Schedule = (typeof SCHEDULES)[number];

/** What one simulated wait cost. */
interface WaitCost {
  gets: number;
  lagMs: number;
}

/** One wait through the real loop on a fake clock; the API is the mock's engine at fake-clock time. */
export async function simulateWait(durationS: number, schedule: Schedule): Promise<WaitCost> {
  return onFakeClock(async () => {
    const engine = new MockEngine({ clock: { now: () => Date.now() }, seed: 1, speed: 1 });
    const durationMs = durationS * 1000;
    const example = operations.createVideoGeneration.requestBody.examples.video_edit;
    const task = engine.create({ ...example, video_urls: [...example.video_urls] } as never);
    task.pendingMs = Math.min(5000, durationMs * 0.1);
    task.processingMs = durationMs - task.pendingMs;
    const completedAt = engine.terminalAt(task);
    // The honest estimate (the mock's own), as the create's answer gives it.
    const created = engine.createdBody(task);
    if (created.task_info) created.task_info = { ...created.task_info, estimated_time: Math.round(durationS) };
    let gets = 0;
    const hooks: WaitHooks = { created };
    if (schedule.startsWith("callback-first")) {
      hooks.callbackExpected = true;
      if (schedule === "callback-first") {
        hooks.watch = (listener) => {
          const timer = setTimeout(
            () => {
              gets++; // jobs.handleCallback confirms a callback with one GET before trusting it
              listener(engine.detail(task) as Task);
            },
            completedAt + CALLBACK_DELAY_MS - Date.now(),
          );
          return () => clearTimeout(timer);
        };
      }
    }
    const found = await waitForTask(
      {
        get: async (id) => {
          gets++;
          const t = engine.get(id);
          if (!t) throw new Error(`no task ${id}`);
          const detail = engine.detail(t) as Task;
          if (detail.task_info) detail.task_info = { ...detail.task_info, estimated_time: Math.round(durationS) };
          return detail;
        },
        callTimeoutMs: 60_000,
        log: { info: () => {} },
      },
      task.id,
      { timeoutMs: 3 * 3_600_000, ...(schedule === "fixed 5 s" ? { pollIntervalMs: FIXED_INTERVAL_MS } : {}) },
      hooks,
    );
    if (found.status !== "completed") throw new Error(`wait ended with ${found.status}`);
    return { gets, lagMs: Date.now() - completedAt };
  });
}

/** `10.4 h`, `12 min` or `40 s`. */
function hours(seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return seconds >= 60 ? `${(seconds / 60).toFixed(0)} min` : `${seconds.toFixed(0)} s`;
}

/** RSS of a process in MiB, from /proc (Linux). */
async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
  if (!(kb > 0)) throw new Error(`no VmRSS for ${pid}`);
  return kb / 1024;
}

export const scaling: Benchmark = {
  name: "scaling",
  fakeClock: true,
  title: "how cost grows: polls vs task duration, the mock with 100,000 tasks, resumeAll with 10,000 jobs",
  async run(ctx) {
    const rows: Row[] = [];
    const notes: string[] = [];

    // 1. GETs per task against duration.
    const durations = ctx.smoke ? [10, 300] : SCALING_DURATIONS_S;
    const offsets = ctx.smoke ? [1.875] : OFFSETS_S;
    const curve: { schedule: Schedule; durationS: number; gets: number; lagS: number }[] = [];
    const perTask = new Map<Schedule, WaitCost[]>(SCHEDULES.map((s) => [s, []]));
    for (const schedule of SCHEDULES) {
      for (const d of durations) {
        const costs: WaitCost[] = [];
        for (const offset of offsets) costs.push(await simulateWait(d + offset, schedule));
        perTask.get(schedule)?.push(...costs);
        curve.push({
          schedule,
          durationS: d,
          gets: median(costs.map((c) => c.gets)),
          lagS: median(costs.map((c) => c.lagMs)) / 1000,
        });
      }
    }
    const gets = (s: Schedule): Measure => ({
      label: s,
      unit: "GETs/task",
      values: (perTask.get(s) ?? []).map((c) => c.gets),
    });
    const longest = durations.at(-1) as number;
    const at = (s: Schedule, d: number) => curve.find((c) => c.schedule === s && c.durationS === d);
    const fixed = gets("fixed 5 s");
    for (const s of ["adaptive", "callback-first", "callback-first, callback lost"] as const) {
      const m = gets(s);
      rows.push({
        measure: `GETs per task, ${s}, tasks of ${durations[0]} s to ${longest / 60} min (${m.values.length} tasks)`,
        ours: m,
        baseline: fixed,
        ratio: pairRatios(m.values, fixed.values),
        note: `At ${longest / 60} min: ${at(s, longest)?.gets} GETs (lag ${at(s, longest)?.lagS.toFixed(1)} s) against ${at("fixed 5 s", longest)?.gets} for a fixed 5 s interval.`,
      });
    }
    notes.push(
      `GETs per task (median over ${offsets.length} completion offsets), by duration: ${SCHEDULES.map(
        (s) => `${s}: ${durations.map((d) => `${d >= 60 ? `${d / 60} min` : `${d} s`} ${at(s, d)?.gets}`).join(", ")}`,
      ).join("; ")}.`,
      `Waits run through src/wait.ts waitForTask with an honest estimated_time, on a fake clock; tasks pending min(5 s, 10%) then processing with linear progress (the mock's timeline), completions offset by ${offsets.join(", ")} s. Callback-first: the job expects a callback (PollState.callbackExpected) that arrives ${CALLBACK_DELAY_MS / 1000} s after completion and is confirmed with one GET (counted); "callback lost": none arrives.`,
    );

    // 2. The mock holding many tasks.
    const held = ctx.smoke ? 50 : 100_000;
    const { name: generator, load } = await loadGenerator(ctx.smoke);
    const seconds = 3; // of load per server and round (smoke mode: a fixed number of requests instead)
    const warmSeconds = ctx.smoke ? 0 : 1;
    const cli = await compileMock();
    const children: ReturnType<typeof start>[] = [];
    const rps = { one: [] as number[], many: [] as number[] };
    const rss = { one: [] as number[], many: [] as number[] };
    const createBody = JSON.stringify(operations.createVideoGeneration.requestBody.examples.video_edit);
    const auth = "Bearer bench-key";
    /** Starts a compiled mock and fills it with `count` tasks; its first task is the one the load GETs. */
    const startMock = async (count: number) => {
      const port = await freePort();
      const child = start(process.execPath, [cli, "--port", String(port), "--seed", "1"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      children.push(child);
      finish(child).catch(() => {});
      const base = `http://127.0.0.1:${port}`;
      await waitFor200(`${base}/__mock/tasks`, { sinceMs: performance.now(), child });
      const create = async () => {
        const res = await fetch(`${base}${operations.createVideoGeneration.path}`, {
          method: "POST",
          headers: { Authorization: auth, "content-type": "application/json" },
          body: createBody,
        });
        const body = (await res.json()) as { id?: string };
        if (!res.ok || !body.id) throw new Error(`mock create failed: ${res.status} ${JSON.stringify(body)}`);
        return body.id;
      };
      const id = await create();
      const t0 = performance.now();
      if (count > 1 && ctx.smoke) {
        // A few tasks: 10 at a time with fetch (autocannon's own start-up would cost more than the creates).
        for (let made = 1; made < count; made += 10) {
          await Promise.all(Array.from({ length: Math.min(10, count - made) }, create));
        }
      } else if (count > 1) {
        const result = await autocannon({
          url: `${base}${operations.createVideoGeneration.path}`,
          method: "POST",
          headers: { authorization: auth, "content-type": "application/json" },
          body: createBody,
          amount: count - 1,
          connections: 10,
        });
        if (result.non2xx + result.errors + result.timeouts > 0 || result.requests.total !== count - 1) {
          throw new Error(`creating ${count - 1} tasks: ${result.requests.total} sent, ${result.non2xx} non-2xx`);
        }
      }
      if (count > 1) {
        ctx.log(
          `mock: created ${count.toLocaleString("en-US")} tasks in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
      }
      return { base, child, taskId: id };
    };
    type Mock = Awaited<ReturnType<typeof startMock>>;
    try {
      // Both start (and fill up) at the same time: nothing is measured before both are ready. Settled, not raced,
      // so that when one fails the other's process is already in `children` to be stopped.
      const settled = await Promise.allSettled([startMock(1), startMock(held)]);
      const [one, many] = settled.map((r) => {
        if (r.status === "rejected") throw r.reason;
        return r.value;
      }) as [Mock, Mock];
      // One warm-up per server, as the mock benchmark gives (there once per round: its servers restart each round).
      // Without it the first round measured a cold JIT and the median sat at half the mock benchmark's rate.
      for (const server of [one, many]) {
        if (warmSeconds > 0) await load(`${server.base}/v1/tasks/${server.taskId}`, warmSeconds);
      }
      for (let round = 0; round < ctx.rounds; round++) {
        const order = round % 2 === 0 ? (["one", "many"] as const) : (["many", "one"] as const);
        for (const which of order) {
          const server = which === "one" ? one : many;
          const result = await load(`${server.base}/v1/tasks/${server.taskId}`, seconds);
          if (result.bad > 0) throw new Error(`${result.bad} failed GETs against the mock holding ${which}`);
          rps[which].push(result.rps);
          if (server.child.pid === undefined) throw new Error("mock has no pid");
          rss[which].push(await rssMiB(server.child.pid));
        }
        ctx.log(
          `mock round ${round + 1}: req/s 1 task ${rps.one.at(-1)?.toFixed(0)}, ${held} tasks ${rps.many.at(-1)?.toFixed(0)}`,
        );
      }
    } finally {
      for (const child of children) await stop(child);
    }
    const heldText = held.toLocaleString("en-US");
    const rpsMany: Measure = { label: `${heldText} tasks held`, unit: "req/s", values: rps.many };
    const rpsOne: Measure = { label: "1 task held", unit: "req/s", values: rps.one };
    const rssMany: Measure = { label: `${heldText} tasks held`, unit: "MiB RSS", values: rss.many };
    const rssOne: Measure = { label: "1 task held", unit: "MiB RSS", values: rss.one };
    rows.push(
      {
        measure: `mock GET task requests/s holding ${heldText} tasks`,
        ours: rpsMany,
        baseline: rpsOne,
        ratio: pairRatios(rpsMany.values, rpsOne.values),
      },
      {
        measure: `mock memory (RSS) holding ${heldText} tasks`,
        ours: rssMany,
        baseline: rssOne,
        ratio: pairRatios(rssMany.values, rssOne.values),
        note: `${(((median(rss.many) - median(rss.one)) * 1024) / held).toFixed(2)} KiB per task held.`,
      },
    );
    notes.push(
      `Mock: compiled JS (as in the mock benchmark), two processes side by side, one holding 1 task and one holding ${heldText} (created with POSTs before measuring, no callbacks); ${ctx.smoke ? "" : `${warmSeconds} s of warm-up per server, then ${seconds} s of `}${generator} load per server per round, order alternating; RSS read from /proc after each load.`,
    );

    // 3. resumeAll with many stored jobs, in fresh processes (memory of its own), against tasks.get once per task.
    const jobs = ctx.smoke ? 20 : 10_000;
    const jobRounds = ctx.smoke ? 1 : Math.min(ctx.rounds, 3);
    type Resume = { simulatedS: number; cpuMs: number; rssGrowthMiB: number; heapGrowthMiB: number };
    const resume: Resume[] = [];
    const getsOnce: Resume[] = [];
    for (let round = 0; round < jobRounds; round++) {
      for (const mode of round % 2 === 0 ? ["resume", "gets"] : ["gets", "resume"]) {
        const child = start(
          ...(await bundledNode("bench/fixtures/resume-jobs.ts", ["--jobs", String(jobs), "--mode", mode])),
        );
        const [result, exit] = await Promise.all([firstJsonLine<Resume>(child, 600_000), finish(child)]);
        if (exit.code !== 0) throw new Error(`resume-jobs ${mode} failed: ${exit.stderr.slice(-1500)}`);
        (mode === "resume" ? resume : getsOnce).push(result);
      }
      ctx.log(
        `resumeAll round ${round + 1}: ${JSON.stringify(resume.at(-1))} vs gets ${JSON.stringify(getsOnce.at(-1))}`,
      );
    }
    const jobsText = jobs.toLocaleString("en-US");
    const simulated: Measure = {
      label: "resumeAll()",
      unit: "s (simulated clock)",
      values: resume.map((r) => r.simulatedS),
    };
    const cpu = (rs: Resume[], label: string): Measure => ({ label, unit: "ms", values: rs.map((r) => r.cpuMs) });
    const mem = (rs: Resume[], label: string): Measure => ({
      label,
      unit: "MiB RSS growth",
      values: rs.map((r) => Math.max(0, r.rssGrowthMiB)),
    });
    const getsLabel = `${jobsText} tasks.get, 8 at a time`;
    rows.push(
      {
        measure: `resumeAll() of ${jobsText} stored jobs whose tasks have ended: time until all settled`,
        ours: simulated,
        note: `resumeAll follows every job at once, its GETs taking turns (${DEFAULT_RESUME_POLLS} in flight) and its downloads too (${DEFAULT_RESUME_DOWNLOADS} at a time); each job's first poll after the restart waits the interval its stored create answer predicts (capped at 30 s), although every task ended long ago: ${hours(median(simulated.values))} for ${jobsText} jobs. Looking at each task at once would take ${jobsText} GETs (next row).`,
      },
      {
        measure: `resumeAll() of ${jobsText} jobs: real time spent (no sleeping)`,
        ours: cpu(resume, "resumeAll()"),
        baseline: cpu(getsOnce, getsLabel),
        ratio: pairRatios(
          resume.map((r) => r.cpuMs),
          getsOnce.map((r) => r.cpuMs),
        ),
      },
      {
        measure: `resumeAll() of ${jobsText} jobs: memory`,
        ours: mem(resume, "resumeAll()"),
        baseline: mem(getsOnce, getsLabel),
      },
    );
    notes.push(
      `resumeAll: ${jobsText} jobs submitted through jobs.submit into a memory store against an in-memory API (MockEngine behind fetch, no HTTP), then a new client resumes them an hour later; each run in a fresh process (bench/fixtures/resume-jobs.ts, bundled by esbuild), on a fake clock (the real time includes its stepping); ${jobRounds} round(s), alternating with the tasks.get baseline. The file store (fsync per write) is not measured here.`,
      "Queue throughput against workers: the queue benchmark's rows (real Redis, kling-edit worker processes).",
    );
    return {
      runs: `polls: deterministic (fake clock), one sample per simulated task; mock: ${ctx.rounds} rounds; resumeAll: ${jobRounds} round(s)`,
      notes,
      rows,
      details: { curve, mock: { held, rps, rss }, resume: { jobs, resume, gets: getsOnce } },
    };
  },
};
