/**
 * 2. Polling efficiency: `client.edits.createAndWait` (the client's real polling loop) against tasks of known
 * durations, 10 s to 600 s, whose `estimated_time` is honest, 3x too low or 3x too high; requests per task and the lag
 * between completion and detection, ours against a fixed 5 s interval (`pollIntervalMs: 5000`, what hand-written
 * loops do). Time is a fake clock (@sinonjs/fake-timers), so a 600 s task takes milliseconds and every run gives the
 * same numbers; the tasks' timelines are the mock's own (MockEngine: pending, then processing with linear progress).
 * Targets: at most 12 polls for a 300 s task; median lag at most 5% of the task's duration.
 */
import { operations } from "../generated/operations.js";
// The entry Node resolves the package to: the wait loop and validators are loaded at import, so nothing waits on a
// module load under the fake clock (through src/index.ts the first wait would, and the clock would find no timer).
import { createKlingClient } from "../src/index.node.js";
import { MockEngine } from "../src/mock/engine.js";
import { onFakeClock } from "./lib/fake-clock.js";
import { median, pairRatios } from "./lib/stats.js";
import type { Benchmark, Measure, Row } from "./lib/types.js";

/** Simulated task durations in seconds. */
const DURATIONS_S = [10, 20, 30, 60, 120, 180, 300, 450, 600];
/** What `estimated_time` says, relative to the truth. */
const ESTIMATES = {
  honest: 1,
  "3x too low": 1 / 3,
  "3x too high": 3,
  absent: null,
} as const;
type EstimateMode = keyof typeof ESTIMATES;
/** The baseline: a fixed interval, as in most hand-written loops. */
const FIXED_INTERVAL_MS = 5000;
/**
 * Added to each duration: real completions do not fall on a 5 s grid, and round durations would give the fixed
 * interval a lag of exactly 0. Spread evenly over one 5 s interval, so the fixed loop's lags are representative.
 */
const OFFSETS_S = [0.625, 1.875, 3.125, 4.375];

interface Outcome {
  polls: number;
  lagMs: number;
}

interface Scenario {
  /** The nominal duration (10 s ... 600 s) the results are grouped by. */
  nominalS: number;
  /** The actual duration: nominal plus an offset. */
  durationS: number;
  estimate: EstimateMode;
  /** `reported`: the mock's linear progress; `hidden`: the API reports 0 until done. */
  progress: "reported" | "hidden";
}

/** Runs one createAndWait on the fake clock; returns the GET count and the detection lag. */
async function simulate(scenario: Scenario, pollIntervalMs: number | undefined): Promise<Outcome> {
  let completedAt = Number.NaN;
  const polls: number[] = [];
  const task = await onFakeClock(async () => {
    const engine = new MockEngine({ clock: { now: () => Date.now() }, seed: 1, speed: 1 });
    const durationMs = scenario.durationS * 1000;
    const factor = ESTIMATES[scenario.estimate];
    const withEstimate = <T extends { task_info?: { estimated_time?: number } }>(body: T): T => {
      if (!body.task_info || body.task_info.estimated_time === undefined) return body;
      const info = { ...body.task_info };
      if (factor === null) delete info.estimated_time;
      else info.estimated_time = Math.max(1, Math.round(scenario.durationS * factor));
      return { ...body, task_info: info };
    };
    // The API, in memory: the mock's engine answers create and get at the fake clock's time.
    const fakeFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const request = input instanceof Request ? input : new Request(input, init);
      if (request.method === "POST") {
        const task = engine.create((await request.json()) as never);
        task.pendingMs = Math.min(5000, durationMs * 0.1);
        task.processingMs = durationMs - task.pendingMs;
        completedAt = engine.terminalAt(task);
        return Response.json(withEstimate(engine.createdBody(task)));
      }
      polls.push(Date.now());
      const task = engine.get(decodeURIComponent(new URL(request.url).pathname.split("/").pop() ?? ""));
      if (!task)
        return Response.json({ error: { code: 404, message: "no task", type: "not_found_error" } }, { status: 404 });
      const detail = withEstimate(engine.detail(task));
      if (scenario.progress === "hidden" && detail.status !== "completed") detail.progress = 0;
      return Response.json(detail);
    };
    const client = createKlingClient({ apiKey: "bench-key", baseUrl: "http://api.invalid", fetch: fakeFetch });
    const example = operations.createVideoGeneration.requestBody.examples.video_edit;
    const params = { ...example, video_urls: [...example.video_urls] };
    const waitOptions = { timeoutMs: 3 * 3_600_000, ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }) };
    return client.edits.createAndWait(params, waitOptions);
  });
  if (task.status !== "completed") throw new Error(`wait returned ${JSON.stringify(task)}`);
  const detectedAt = polls.at(-1) as number;
  if (!(detectedAt >= completedAt)) throw new Error(`detected at ${detectedAt}, before completion at ${completedAt}`);
  return { polls: polls.length, lagMs: detectedAt - completedAt };
}

export const polling: Benchmark = {
  name: "polling",
  fakeClock: true,
  title: "polling efficiency: adaptive schedule vs fixed 5 s interval (fake clock, mock task timelines)",
  async run(ctx) {
    const durations = ctx.smoke ? [10, 300] : DURATIONS_S;
    const scenarios: Scenario[] = [];
    for (const progress of ["reported", "hidden"] as const) {
      for (const estimate of Object.keys(ESTIMATES) as EstimateMode[]) {
        for (const nominalS of durations) {
          for (const offset of ctx.smoke ? [1.875] : OFFSETS_S) {
            scenarios.push({ nominalS, durationS: nominalS + offset, estimate, progress });
          }
        }
      }
    }
    const results: { scenario: Scenario; ours: Outcome; fixed: Outcome }[] = [];
    for (const scenario of scenarios) {
      results.push({
        scenario,
        ours: await simulate(scenario, undefined),
        fixed: await simulate(scenario, FIXED_INTERVAL_MS),
      });
    }
    ctx.log(`simulated ${results.length * 2} waits`);
    const pick = (filter: (s: Scenario) => boolean) => results.filter((r) => filter(r.scenario));
    const polls = (rs: typeof results, side: "ours" | "fixed", label: string): Measure => ({
      label,
      unit: "polls",
      values: rs.map((r) => r[side].polls),
    });
    const lagShare = (rs: typeof results, side: "ours" | "fixed", label: string): Measure => ({
      label,
      unit: "% of duration",
      values: rs.map((r) => (100 * r[side].lagMs) / (r.scenario.durationS * 1000)),
    });
    const spec = pick((s) => s.progress === "reported" && s.estimate !== "absent");
    const at300 = spec.filter((r) => r.scenario.nominalS === 300);
    const worst = [...spec].sort(
      (a, b) => b.ours.lagMs / b.scenario.durationS - a.ours.lagMs / a.scenario.durationS,
    )[0];
    const worstNote = worst
      ? `Worst single task: ${worst.scenario.durationS} s, estimate ${worst.scenario.estimate}: detected ${(worst.ours.lagMs / 1000).toFixed(1)} s late (${((100 * worst.ours.lagMs) / (worst.scenario.durationS * 1000)).toFixed(0)}% of its duration) after ${worst.ours.polls} polls.`
      : undefined;
    const rows: Row[] = [];
    const p300 = polls(at300, "ours", "adaptive"),
      f300 = polls(at300, "fixed", "fixed 5 s");
    rows.push({
      measure: `polls for a 300 s task (${at300.length} tasks: estimate honest, 3x too low, 3x too high)`,
      ours: p300,
      baseline: f300,
      ratio: pairRatios(p300.values, f300.values),
      target: { on: "ours", of: "max", op: "<=", value: 12 },
    });
    const pAll = polls(spec, "ours", "adaptive"),
      fAll = polls(spec, "fixed", "fixed 5 s");
    rows.push({
      measure: `polls per task, all ${spec.length} tasks (${durations[0]}-${durations.at(-1)} s; estimate honest, 3x low, 3x high)`,
      ours: pAll,
      baseline: fAll,
      ratio: pairRatios(pAll.values, fAll.values),
    });
    rows.push({
      measure: `detection lag, all ${spec.length} tasks`,
      ours: lagShare(spec, "ours", "adaptive"),
      baseline: lagShare(spec, "fixed", "fixed 5 s"),
      target: { on: "ours", op: "<=", value: 5 },
      ...(worstNote ? { note: worstNote } : {}),
    });
    for (const estimate of ["honest", "3x too low", "3x too high"] as const) {
      const rs = spec.filter((r) => r.scenario.estimate === estimate);
      rows.push({
        measure: `detection lag, estimate ${estimate}`,
        ours: lagShare(rs, "ours", "adaptive"),
        baseline: lagShare(rs, "fixed", "fixed 5 s"),
        target: { on: "ours", op: "<=", value: 5 },
      });
    }
    const extra = pick((s) => s.progress === "hidden" || s.estimate === "absent");
    const pExtra = polls(extra, "ours", "adaptive"),
      fExtra = polls(extra, "fixed", "fixed 5 s");
    rows.push({
      measure: `polls per task, harder cases: no estimate, or progress hidden (${extra.length} tasks; no target)`,
      ours: pExtra,
      baseline: fExtra,
      ratio: pairRatios(pExtra.values, fExtra.values),
    });
    rows.push({
      measure: "detection lag, harder cases (no target)",
      ours: lagShare(extra, "ours", "adaptive"),
      baseline: lagShare(extra, "fixed", "fixed 5 s"),
    });
    const table = durations
      .map((d) => {
        const rs = spec.filter((r) => r.scenario.estimate === "honest" && r.scenario.nominalS === d);
        const lags = rs.map((r) => r.ours.lagMs / 1000);
        return `${d} s: ${median(rs.map((r) => r.ours.polls))} polls, lag ${median(lags).toFixed(1)} s`;
      })
      .join("; ");
    return {
      runs: `deterministic (fake clock): one sample per simulated task, ${results.length} tasks x 2 schedules`,
      notes: [
        "Driven through the client's real createAndWait loop with an in-memory fetch answered by the mock's MockEngine at fake-clock time; polls = GET requests (the create is not counted); lag = time of the detecting GET minus the task's completion.",
        `Tasks: ${durations.join(", ")} s, each plus ${ctx.smoke ? "1.875" : OFFSETS_S.join(", ")} s (completions off the 5 s grid); pending min(5 s, 10%) then processing with linear progress; estimated_time as labelled.`,
        `Adaptive, honest estimate (median over offsets): ${table}.`,
        `Median lag, adaptive: ${(median(spec.map((r) => r.ours.lagMs)) / 1000).toFixed(1)} s; fixed 5 s: ${(median(spec.map((r) => r.fixed.lagMs)) / 1000).toFixed(1)} s.`,
      ],
      rows,
      details: results.map((r) => ({ ...r.scenario, ours: r.ours, fixed: r.fixed })),
    };
  },
};
