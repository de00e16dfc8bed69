/**
 * src/wait.ts on its own, with an injected `get`: the hooks jobs use (known, watch, onTask, created), the option checks,
 * and which failed polls end a wait at once. The schedule and the client-level behaviour are in test/client-wait.test.ts.
 */
import { describe, expect, it, vi } from "vitest";
import { MAX_RETRY_AFTER_MS } from "../src/defaults.js";
import {
  type APIError,
  ContractViolationError,
  makeAPIError,
  RequestValidationError,
  TaskFailedError,
} from "../src/errors.js";
import type { RequestOptions, Task, WaitOptions } from "../src/types.js";
import { checkWaitOptions, MIN_FIXED_POLL_INTERVAL_MS, type WaitDeps, waitForTask } from "../src/wait.js";

const ID = "task-unified-1700000000-wait0001";
const task = (status: string, extra: Partial<Task> = {}): Task => ({ id: ID, status, ...extra }) as Task;

/** A `get` answering from a list (the last answer repeats), recording each call's options. */
function deps(...answers: (Task | Error)[]): WaitDeps & { calls: RequestOptions[] } {
  const calls: RequestOptions[] = [];
  return {
    calls,
    callTimeoutMs: 60_000,
    log: { info: () => {} },
    async get(_id, opts) {
      calls.push(opts);
      const answer = answers[Math.min(calls.length - 1, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer as Task;
    },
  };
}

const apiError = (status: number, retryAfterMs: number | null = null): APIError =>
  makeAPIError({ status, method: "GET", path: `/v1/tasks/${ID}`, body: { error: { message: "no" } }, retryAfterMs });

describe("checkWaitOptions", () => {
  const bad: [string, WaitOptions, string][] = [
    ["a zero timeout", { timeoutMs: 0 }, "timeoutMs"],
    ["a NaN timeout", { timeoutMs: Number.NaN }, "timeoutMs"],
    ["a poll interval under the minimum", { pollIntervalMs: MIN_FIXED_POLL_INTERVAL_MS - 1 }, "pollIntervalMs"],
    ["an infinite poll interval", { pollIntervalMs: Number.POSITIVE_INFINITY }, "pollIntervalMs"],
    ["negative retries", { maxRetries: -1 }, "maxRetries"],
    ["retries as a string", { maxRetries: "2" as unknown as number }, "maxRetries"],
  ];
  it.each(bad)("refuses %s with a RequestValidationError naming the option", (_name, opts, field) => {
    let error: unknown;
    try {
      checkWaitOptions(opts);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).violations.map((v) => v.field)).toEqual([field]);
    expect((error as Error).message).toContain(field);
  });

  it("accepts the edges: an infinite timeout, the minimum interval, zero retries", () => {
    expect(() =>
      checkWaitOptions({
        timeoutMs: Number.POSITIVE_INFINITY,
        pollIntervalMs: MIN_FIXED_POLL_INTERVAL_MS,
        maxRetries: 0,
      }),
    ).not.toThrow();
  });

  it("waitForTask checks before any request", async () => {
    const d = deps(task("completed"));
    await expect(waitForTask(d, ID, { pollIntervalMs: 1 })).rejects.toBeInstanceOf(RequestValidationError);
    expect(d.calls).toHaveLength(0);
  });
});

describe("waitForTask", () => {
  it("passes the wait's retries and headers to each poll, with a timeout capped by the wait's deadline", async () => {
    const d = deps(task("completed"));
    await waitForTask(d, ID, { timeoutMs: 5_000, maxRetries: 0, headers: { "x-trace": "1" } });
    expect(d.calls).toHaveLength(1);
    const [opts] = d.calls;
    expect(opts?.maxRetries).toBe(0);
    expect(opts?.headers).toEqual({ "x-trace": "1" });
    expect(opts?.signal).toBeInstanceOf(AbortSignal);
    expect(opts?.timeoutMs).toBeGreaterThan(0);
    expect(opts?.timeoutMs).toBeLessThanOrEqual(5_000);
  });

  it("uses a task known from elsewhere instead of a GET, and reports it to onTask", async () => {
    const d = deps(task("processing"));
    const onTask = vi.fn();
    const done = await waitForTask(d, ID, {}, { known: async () => task("completed"), onTask });
    expect(done.status).toBe("completed");
    expect(d.calls).toHaveLength(0);
    expect(onTask).toHaveBeenCalledWith(expect.objectContaining({ status: "completed" }), expect.any(Number));
  });

  it("a created task that already finished is fetched at once for its results", async () => {
    const d = deps(task("completed", { progress: 100 }));
    const done = await waitForTask(d, ID, { pollIntervalMs: 60_000 }, { created: task("completed") });
    expect(done.progress).toBe(100);
    expect(d.calls).toHaveLength(1);
  });

  it("a terminal task pushed by watch ends a sleeping wait without a poll; other pushes do not; it unsubscribes", async () => {
    const d = deps(task("processing"));
    let push: ((t: Task) => void) | undefined;
    const unsubscribe = vi.fn();
    const waiting = waitForTask(
      d,
      ID,
      { pollIntervalMs: 60_000 },
      {
        created: task("pending"),
        watch(listener) {
          push = listener;
          return unsubscribe;
        },
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    push?.(task("processing", { progress: 50 }));
    push?.(task("failed", { task_status_msg: "bad input" } as Partial<Task>));
    await expect(waiting).rejects.toBeInstanceOf(TaskFailedError);
    expect(d.calls).toHaveLength(0);
    expect(unsubscribe).toHaveBeenCalledTimes(1);
  });

  it("a status the spec does not list is a ContractViolationError naming it", async () => {
    const d = deps(task("queued"));
    await expect(waitForTask(d, ID, {})).rejects.toThrow(ContractViolationError);
    await expect(waitForTask(d, ID, {})).rejects.toThrow(/"queued"/);
  });

  it("a permanent failure (404) ends the wait at the first poll", async () => {
    const d = deps(apiError(404));
    await expect(waitForTask(d, ID, {})).rejects.toMatchObject({ status: 404 });
    expect(d.calls).toHaveLength(1);
  });

  it("a transient failure whose server hint is longer than honoured ends the wait at once, keeping the hint", async () => {
    const d = deps(apiError(429, MAX_RETRY_AFTER_MS + 1), task("completed"));
    await expect(waitForTask(d, ID, {})).rejects.toMatchObject({ status: 429, retryAfterMs: MAX_RETRY_AFTER_MS + 1 });
    expect(d.calls).toHaveLength(1);
  });

  it("a transient failure whose hint reaches past the wait's deadline ends the wait at once", async () => {
    const d = deps(apiError(503, 10_000), task("completed"));
    await expect(waitForTask(d, ID, { timeoutMs: 2_000 })).rejects.toMatchObject({ status: 503 });
    expect(d.calls).toHaveLength(1);
  });
});
