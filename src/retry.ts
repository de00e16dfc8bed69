/**
 * When to retry and how long to wait: pure functions, no clock and no I/O (the client supplies `now` and `random`).
 *
 * The create request is billed and the API has no idempotency key, so a retried create can pay twice for one edit.
 * Which outcomes may be retried is decided by src/policy.ts (the one place that knows what may have billed a task);
 * this file only decides when.
 */

import { INITIAL_RETRY_DELAY_MS, MAX_RETRY_AFTER_MS, MAX_RETRY_DELAY_MS } from "./defaults.js";
import { type AttemptOutcome, isRetryable } from "./policy.js";

export { DEFAULT_MAX_RETRIES, INITIAL_RETRY_DELAY_MS, MAX_RETRY_AFTER_MS, MAX_RETRY_DELAY_MS } from "./defaults.js";
export type { AttemptOutcome } from "./policy.js";

/** What the request is: a GET may be repeated freely; a create may only where no task can exist. */
export interface RetryPolicy {
  /** `true` for GETs. */
  idempotent: boolean;
  /** Retry a create after outcomes where a task may already exist (500, 502, 504, 408, reset). @default false */
  retryUnsafe?: boolean;
}

/**
 * Exponential backoff with jitter for retry number `retry` (0 for the first retry): 500 ms, 1 s, 2 s, ... capped at
 * 8 s, each reduced by up to 25% at random so that many clients do not retry in step.
 */
export function backoffDelayMs(retry: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_RETRY_DELAY_MS, INITIAL_RETRY_DELAY_MS * 2 ** Math.max(0, retry));
  return Math.round(base * (1 - 0.25 * random()));
}

export { parseRetryAfter, parseRetrySuggestion, serverHintMs } from "./internal/hints.js";

/** The inputs of {@link planRetry}. */
export interface RetryInput extends RetryPolicy {
  outcome: AttemptOutcome;
  /** Retries already made (0 after the first attempt failed). */
  retriesSoFar: number;
  maxRetries: number;
  /** The server's requested wait in ms, if it gave one. */
  hintMs?: number | null;
  /** Time left before the call's deadline, in ms. */
  remainingMs: number;
  random?: () => number;
}

/** The decision of {@link planRetry}: retry after `delayMs`, or stop and say why. */
export type RetryPlan = { retry: true; delayMs: number } | { retry: false; reason: string };

/**
 * Whether to retry and after how long. A server hint is used as is (it knows when capacity returns) unless it is
 * longer than {@link MAX_RETRY_AFTER_MS}; a wait that would end past the deadline is not started: the caller gets
 * the error now instead of a timeout later.
 */
export function planRetry(input: RetryInput): RetryPlan {
  if (!isRetryable(input.outcome, input)) {
    return { retry: false, reason: input.idempotent ? "not retryable" : "not safe to retry a create" };
  }
  if (input.retriesSoFar >= input.maxRetries)
    return { retry: false, reason: `gave up after ${input.maxRetries} retries` };
  const hint = input.hintMs ?? null;
  if (hint !== null && hint > MAX_RETRY_AFTER_MS) {
    return {
      retry: false,
      reason: `server asked to wait ${Math.ceil(hint / 1000)} s (over ${MAX_RETRY_AFTER_MS / 1000} s)`,
    };
  }
  const delayMs = hint ?? backoffDelayMs(input.retriesSoFar, input.random);
  if (delayMs >= input.remainingMs) return { retry: false, reason: `a ${delayMs} ms wait would pass the deadline` };
  return { retry: true, delayMs };
}
