/**
 * The polling schedule of `tasks.wait`: a pure function of what the polls have seen so far.
 *
 * Goal (issue 7's target): few polls (at most 12 for a 300 s task) and a small detection lag (median at most 5% of
 * the task's duration), even when `task_info.estimated_time` is wrong. How:
 * - predict when the task ends: from the progress rate seen across polls (most reliable), else from one progress
 *   reading, else from `estimated_time`, else not at all;
 * - before the predicted end, poll at most `MAX_POLL_INTERVAL_MS` apart (each poll refreshes the prediction); look
 *   once at half the estimate when only the estimate is known, to learn the real speed early, and once half-way
 *   to an end predicted from a single reading, to aim with a rate instead (a queue at 0% skews one reading);
 * - aim one poll just after the predicted end;
 * - when the task runs late, poll at 4% of the predicted duration, backing off by 30% of the overrun, up to the cap;
 * - with no hint at all, back off exponentially from 2 s to the cap.
 */

import { FIRST_UNKNOWN_POLL_MS, MAX_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS } from "./defaults.js";

export {
  DEFAULT_WAIT_TIMEOUT_MS,
  FIRST_UNKNOWN_POLL_MS,
  MAX_POLL_INTERVAL_MS,
  MIN_POLL_INTERVAL_MS,
} from "./defaults.js";

/** How far past the predicted end the "end" poll aims, as a share of the prediction (absorbs rounding). */
const END_MARGIN = 0.02;
/** The cadence around the predicted end, as a share of the predicted duration. */
const NEAR_SHARE = 0.04;
/** How fast polls back off once the task is late, as a share of the overrun. */
const OVERDUE_SHARE = 0.3;
/** Past an unconfirmed estimate, the interval is at least this share of the time waited so far. */
const ESTIMATE_OVERDUE_SHARE = 0.15;

/** A progress reading: `progress` percent seen `atMs` after the wait started. */
export interface ProgressReading {
  atMs: number;
  progress: number;
}

/** What the schedule knows: all times in ms since the wait started. */
export interface PollState {
  /** Time since the wait started. */
  elapsedMs: number;
  /** Polls made so far (the create response counts as none). */
  polls: number;
  /** The task's `task_info.estimated_time` in ms, from the latest response that had one. */
  estimatedMs?: number | undefined;
  /** The first reading with progress above 0. */
  firstProgress?: ProgressReading | undefined;
  /** The latest reading with progress above 0. */
  lastProgress?: ProgressReading | undefined;
  /** A fixed interval chosen by the caller (`pollIntervalMs`): used as is. */
  fixedIntervalMs?: number | undefined;
  /**
   * A callback is expected to end the wait: no looks before the predicted end to refine it (the callback will say),
   * one look just after it, then the overdue back-off, so a lost callback still ends the wait with a small lag.
   */
  callbackExpected?: boolean | undefined;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** Where the prediction of {@link predictEndMs} came from; the estimate is the least trusted. */
export type PredictionSource = "rate" | "progress" | "estimate";

/**
 * When the task should finish, in ms since the wait started, and what that is based on; `undefined` when nothing
 * hints at it.
 */
export function predictEndMs(state: PollState): { endMs: number; source: PredictionSource } | undefined {
  const { firstProgress: first, lastProgress: last, estimatedMs } = state;
  if (first && last && last.atMs > first.atMs && last.progress > first.progress) {
    const rate = (last.progress - first.progress) / (last.atMs - first.atMs);
    return { endMs: last.atMs + (100 - last.progress) / rate, source: "rate" };
  }
  if (last && last.progress > 0) {
    // One reading: if the wait started mid-task (atMs 0), only the estimate can scale the remaining share.
    if (last.atMs > 0) return { endMs: (last.atMs * 100) / last.progress, source: "progress" };
    if (estimatedMs !== undefined) return { endMs: (estimatedMs * (100 - last.progress)) / 100, source: "progress" };
  }
  if (estimatedMs !== undefined && estimatedMs > 0) return { endMs: estimatedMs, source: "estimate" };
  return undefined;
}

/** Milliseconds to sleep before the next poll. */
export function nextPollDelayMs(state: PollState): number {
  if (state.fixedIntervalMs !== undefined) return Math.max(0, state.fixedIntervalMs);
  const prediction = predictEndMs(state);
  if (!prediction) {
    return clamp(
      FIRST_UNKNOWN_POLL_MS * 1.5 ** Math.max(0, state.polls - 1),
      MIN_POLL_INTERVAL_MS,
      MAX_POLL_INTERVAL_MS,
    );
  }
  const { endMs, source } = prediction;
  const e = state.elapsedMs;
  const near = clamp(endMs * NEAR_SHARE, MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS);
  const target = endMs * (1 + END_MARGIN);
  if (target - e > MIN_POLL_INTERVAL_MS / 2) {
    let delay = target - e;
    // Only an estimate, which may be wrong: look at half of it first, to learn the real speed from progress.
    if (state.callbackExpected) return Math.max(MIN_POLL_INTERVAL_MS, delay);
    if (source === "estimate" && e < endMs / 2) delay = Math.min(delay, endMs / 2 - e);
    // One progress reading assumes the task started when the wait did (a queue makes it late): look again
    // half-way, so that the end poll is aimed with the rate of two readings.
    if (source === "progress" && target - e > 4 * near) delay = Math.min(delay, (endMs - e) / 2);
    return clamp(delay, MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS);
  }
  const overrun = Math.max(0, e - endMs);
  // Well past an estimate that no progress confirms, the estimate is wrong: back off with the time waited too.
  const distrust = source === "estimate" && overrun > endMs / 4 ? ESTIMATE_OVERDUE_SHARE * e : 0;
  return clamp(Math.max(near, OVERDUE_SHARE * overrun, distrust), MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS);
}
