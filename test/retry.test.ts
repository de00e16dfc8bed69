import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "../src/policy.js";
import { backoffDelayMs, planRetry, type RetryInput } from "../src/retry.js";

describe("backoffDelayMs", () => {
  const table: [string, { given: [number, number]; want: number }][] = [
    ["first retry, no jitter", { given: [0, 0], want: 500 }],
    ["first retry, most jitter", { given: [0, 1], want: 375 }],
    ["second retry", { given: [1, 0], want: 1000 }],
    ["third retry", { given: [2, 0], want: 2000 }],
    ["capped at 8 s", { given: [10, 0], want: 8000 }],
    ["capped, with jitter", { given: [10, 0.5], want: 7000 }],
  ];
  it.each(table)("%s", (_name, { given: [retry, random], want }) => {
    expect(backoffDelayMs(retry, () => random)).toBe(want);
  });
});

const status = (s: number, errorType?: string): AttemptOutcome => ({ kind: "status", status: s, errorType });

describe("planRetry", () => {
  const base: RetryInput = {
    idempotent: true,
    outcome: status(503),
    retriesSoFar: 0,
    maxRetries: 2,
    remainingMs: 60_000,
    random: () => 0,
  };
  const table: [string, { given: Partial<RetryInput>; want: ReturnType<typeof planRetry> }][] = [
    ["backoff without a hint", { given: {}, want: { retry: true, delayMs: 500 } }],
    ["second retry backs off more", { given: { retriesSoFar: 1 }, want: { retry: true, delayMs: 1000 } }],
    ["out of retries", { given: { retriesSoFar: 2 }, want: { retry: false, reason: "gave up after 2 retries" } }],
    ["maxRetries 0", { given: { maxRetries: 0 }, want: { retry: false, reason: "gave up after 0 retries" } }],
    ["server hint used as is", { given: { hintMs: 3000 }, want: { retry: true, delayMs: 3000 } }],
    ["server hint of 0", { given: { hintMs: 0 }, want: { retry: true, delayMs: 0 } }],
    [
      "hint at the 60 s cap",
      { given: { hintMs: 60_000, remainingMs: 120_000 }, want: { retry: true, delayMs: 60_000 } },
    ],
    [
      "hint over the cap: give up now",
      {
        given: { hintMs: 61_000, remainingMs: 600_000 },
        want: { retry: false, reason: "server asked to wait 61 s (over 60 s)" },
      },
    ],
    [
      "hint past the deadline: give up now, not time out later",
      {
        given: { hintMs: 30_000, remainingMs: 10_000 },
        want: { retry: false, reason: "a 30000 ms wait would pass the deadline" },
      },
    ],
    [
      "create 500 is never retried by default",
      {
        given: { idempotent: false, outcome: status(500) },
        want: { retry: false, reason: "not safe to retry a create" },
      },
    ],
    [
      "create 503 from the API (its envelope) is retried",
      {
        given: { idempotent: false, outcome: status(503, "service_unavailable_error") },
        want: { retry: true, delayMs: 500 },
      },
    ],
    [
      "create 503 from a gateway (no envelope) is not",
      {
        given: { idempotent: false, outcome: status(503) },
        want: { retry: false, reason: "not safe to retry a create" },
      },
    ],
  ];
  it.each(table)("%s", (_name, { given, want }) => {
    expect(planRetry({ ...base, ...given })).toEqual(want);
  });
});
