import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { APITimeoutError, APIUserAbortError } from "../../src/errors.js";
import { CallScope, sleep } from "../../src/internal/scope.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("CallScope", () => {
  it("aborts its signal at the deadline and names it a timeout", async () => {
    const scope = new CallScope(undefined, 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(scope.signal.aborted).toBe(false);
    expect(scope.remaining()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(scope.abortKind).toBe("timeout");
    expect(scope.error("GET /x")).toBeInstanceOf(APITimeoutError);
    scope.dispose();
  });

  it("follows the caller's signal, also one aborted before", () => {
    const controller = new AbortController();
    const scope = new CallScope(controller.signal, 1000);
    controller.abort(new Error("stop"));
    expect(scope.abortKind).toBe("user");
    expect(scope.signal.reason).toEqual(new Error("stop"));
    expect(() => scope.throwIfAborted("GET /x")).toThrow(APIUserAbortError);
    expect(new CallScope(AbortSignal.abort(), 1000).abortKind).toBe("user");
  });

  it("dispose stops the timer and the listener", async () => {
    const controller = new AbortController();
    const scope = new CallScope(controller.signal, 1000);
    scope.dispose();
    controller.abort();
    await vi.advanceTimersByTimeAsync(5000);
    expect(scope.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("sets no timer for deadlines setTimeout cannot hold", () => {
    const scope = new CallScope(undefined, Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(0);
    expect(scope.signal.aborted).toBe(false);
    scope.dispose();
  });
});

describe("sleep", () => {
  it("resolves after the delay", async () => {
    const done = vi.fn();
    void sleep(500, new AbortController().signal).then(done);
    await vi.advanceTimersByTimeAsync(499);
    expect(done).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toHaveBeenCalled();
  });

  it("rejects with the reason as soon as the signal aborts, and clears its timer", async () => {
    const controller = new AbortController();
    const outcome = sleep(60_000, controller.signal).catch((e: unknown) => e);
    controller.abort("bye");
    expect(await outcome).toBe("bye");
    expect(vi.getTimerCount()).toBe(0);
    await expect(sleep(10, AbortSignal.abort("early"))).rejects.toBe("early");
  });
});
