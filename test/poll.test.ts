import { describe, expect, it } from "vitest";
import { MAX_POLL_INTERVAL_MS, nextPollDelayMs, type PollState, predictEndMs } from "../src/poll.js";

describe("predictEndMs", () => {
  const table: [string, { given: PollState; want: ReturnType<typeof predictEndMs> }][] = [
    ["nothing known", { given: { elapsedMs: 0, polls: 0 }, want: undefined }],
    [
      "estimate only",
      { given: { elapsedMs: 0, polls: 0, estimatedMs: 300_000 }, want: { endMs: 300_000, source: "estimate" } },
    ],
    [
      "one progress reading scales elapsed time",
      {
        given: { elapsedMs: 30_000, polls: 1, estimatedMs: 600_000, lastProgress: { atMs: 30_000, progress: 10 } },
        want: { endMs: 300_000, source: "progress" },
      },
    ],
    [
      "a reading at the start of the wait scales the estimate's remaining share",
      {
        given: { elapsedMs: 0, polls: 1, estimatedMs: 100_000, lastProgress: { atMs: 0, progress: 40 } },
        want: { endMs: 60_000, source: "progress" },
      },
    ],
    [
      "two readings give the rate (a queue before processing does not mislead it)",
      {
        given: {
          elapsedMs: 100_000,
          polls: 3,
          estimatedMs: 60_000,
          firstProgress: { atMs: 60_000, progress: 10 },
          lastProgress: { atMs: 100_000, progress: 30 },
        },
        want: { endMs: 100_000 + 70 * 2_000, source: "rate" },
      },
    ],
    [
      "stalled progress falls back to one reading",
      {
        given: {
          elapsedMs: 50_000,
          polls: 3,
          firstProgress: { atMs: 20_000, progress: 50 },
          lastProgress: { atMs: 50_000, progress: 50 },
        },
        want: { endMs: 100_000, source: "progress" },
      },
    ],
  ];
  it.each(table)("%s", (_name, { given, want }) => {
    expect(predictEndMs(given)).toEqual(want);
  });
});

describe("nextPollDelayMs", () => {
  const table: [string, { given: PollState; want: number }][] = [
    ["a fixed interval is used as is", { given: { elapsedMs: 0, polls: 0, fixedIntervalMs: 250 }, want: 250 }],
    ["no hint: first poll after 2 s", { given: { elapsedMs: 0, polls: 1 }, want: 2_000 }],
    ["no hint: backs off by 1.5x", { given: { elapsedMs: 2_000, polls: 2 }, want: 3_000 }],
    ["no hint: capped", { given: { elapsedMs: 600_000, polls: 30 }, want: MAX_POLL_INTERVAL_MS }],
    [
      "short estimate: first look at half of it",
      { given: { elapsedMs: 0, polls: 0, estimatedMs: 10_000 }, want: 5_000 },
    ],
    [
      "long estimate: never more than the cap",
      { given: { elapsedMs: 0, polls: 0, estimatedMs: 300_000 }, want: 30_000 },
    ],
    [
      "predicted end close: aim just after it",
      {
        given: {
          elapsedMs: 80_000,
          polls: 4,
          firstProgress: { atMs: 20_000, progress: 20 },
          lastProgress: { atMs: 80_000, progress: 80 },
        },
        want: 22_000,
      },
    ],
    [
      "slightly late: poll at 4% of the predicted duration",
      {
        given: {
          elapsedMs: 102_000,
          polls: 5,
          firstProgress: { atMs: 20_000, progress: 20 },
          lastProgress: { atMs: 80_000, progress: 80 },
        },
        want: 4_000,
      },
    ],
    [
      "very late: back off by 30% of the overrun, capped",
      {
        given: {
          elapsedMs: 150_000,
          polls: 9,
          firstProgress: { atMs: 20_000, progress: 20 },
          lastProgress: { atMs: 80_000, progress: 80 },
        },
        want: 15_000,
      },
    ],
    ["never below 1 s", { given: { elapsedMs: 0, polls: 0, estimatedMs: 1_000 }, want: 1_000 }],
    [
      "one reading far from its predicted end: look again half-way, to get a rate",
      { given: { elapsedMs: 10_000, polls: 1, lastProgress: { atMs: 10_000, progress: 10 } }, want: 30_000 },
    ],
    [
      "one reading: half-way, under the cap",
      { given: { elapsedMs: 10_000, polls: 1, lastProgress: { atMs: 10_000, progress: 50 } }, want: 5_000 },
    ],
  ];
  it.each(table)("%s", (_name, { given, want }) => {
    expect(nextPollDelayMs(given)).toBe(want);
  });
});

/**
 * Simulates the schedule against a task of `durationS` seconds whose progress is linear after an optional queue
 * (or never reported), started at the wait's start as `createAndWait` does. Returns the polls made and the detection
 * lag (time from completion to the poll that saw it).
 */
function simulate(durationS: number, estimateS: number | undefined, progress: "linear" | "queued" | "none" | "mock") {
  const end = durationS * 1000;
  const state: PollState = {
    elapsedMs: 0,
    polls: 0,
    estimatedMs: estimateS === undefined ? undefined : estimateS * 1000,
  };
  let t = 0;
  for (;;) {
    t += nextPollDelayMs({ ...state, elapsedMs: t });
    state.polls++;
    if (t >= end) return { polls: state.polls, lag: (t - end) / end };
    // "mock": like src/mock's engine, pending at 0% for a few percent of the time, then linear.
    const start = progress === "queued" ? 0.3 * end : progress === "mock" ? 0.06 * end : 0;
    const p = progress === "none" || t < start ? 0 : Math.floor((100 * (t - start)) / (end - start));
    if (p > 0) {
      state.firstProgress ??= { atMs: t, progress: p };
      state.lastProgress = { atMs: t, progress: p };
    }
    if (state.polls > 500) throw new Error("runaway schedule");
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const durationsAround300 = Array.from({ length: 21 }, (_, i) => 270 + i * 3);

describe("the schedule against issue 7's target (a 300 s task: at most 12 polls, median lag at most 5%)", () => {
  it.each([300, 150, 600, 60, 1200])("meets it with linear progress when estimated_time is %i s", (estimate) => {
    const runs = durationsAround300.map((d) => simulate(d, estimate, "linear"));
    expect(Math.max(...runs.map((r) => r.polls))).toBeLessThanOrEqual(12);
    expect(median(runs.map((r) => r.lag))).toBeLessThanOrEqual(0.05);
  });

  it.each([300, 150, 600, 1200])("meets it after a 90 s queue at 0%% when estimated_time is %i s", (estimate) => {
    const runs = durationsAround300.map((d) => simulate(d, estimate, "queued"));
    expect(Math.max(...runs.map((r) => r.polls))).toBeLessThanOrEqual(12);
    expect(median(runs.map((r) => r.lag))).toBeLessThanOrEqual(0.05);
  });

  it("degrades gracefully when a 90 s queue at 0% meets an estimate 5x too short (nothing to go on)", () => {
    const runs = durationsAround300.map((d) => simulate(d, 60, "queued"));
    expect(Math.max(...runs.map((r) => r.polls))).toBeLessThanOrEqual(20);
    expect(median(runs.map((r) => r.lag))).toBeLessThanOrEqual(0.05);
  });

  it("meets it against the mock's lifecycle (6% pending, honest estimate)", () => {
    const runs = durationsAround300.map((d) => simulate(d, Math.ceil(d), "mock"));
    expect(Math.max(...runs.map((r) => r.polls))).toBeLessThanOrEqual(12);
    expect(median(runs.map((r) => r.lag))).toBeLessThanOrEqual(0.05);
  });

  it("meets it with a right estimate and no progress at all", () => {
    const runs = durationsAround300.map((d) => simulate(d, 300, "none"));
    expect(Math.max(...runs.map((r) => r.polls))).toBeLessThanOrEqual(13);
    expect(median(runs.map((r) => r.lag))).toBeLessThanOrEqual(0.05);
  });

  it("keeps short tasks short: a 10 s task is seen within 1 s, in at most 3 polls", () => {
    for (const estimate of [10, 5, 20, undefined]) {
      const run = simulate(10, estimate, "linear");
      expect(run.polls).toBeLessThanOrEqual(3);
      expect(run.lag * 10).toBeLessThanOrEqual(1);
    }
  });

  it("never polls more often than once a second, nor less than every 30 s", () => {
    for (const estimate of [1, 30, 300, 3000, undefined]) {
      const state: PollState = {
        elapsedMs: 0,
        polls: 0,
        estimatedMs: estimate === undefined ? undefined : estimate * 1000,
      };
      for (let i = 0; i < 100; i++) {
        const delay = nextPollDelayMs(state);
        expect(delay).toBeGreaterThanOrEqual(1000);
        expect(delay).toBeLessThanOrEqual(30_000);
        state.elapsedMs += delay;
        state.polls++;
      }
    }
  });
});
