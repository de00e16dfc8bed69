/**
 * One call's lifetime: the caller's signal and the total deadline merged into one AbortSignal that every request,
 * sleep and body read of the call listens to (issue 3: "the timeout is a total deadline across retries").
 */
import { APITimeoutError, APIUserAbortError, type KlingError } from "../errors.js";

/** setTimeout fires at once for delays above 2^31-1 ms; longer deadlines simply get no timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The abort reason of a scope whose deadline passed: a scope nested in it (a request inside a wait) sees a timeout. */
class DeadlinePassed extends Error {
  override name = "DeadlinePassed";
}

/** Why a scope ended early. */
export type AbortKind = "user" | "timeout";

/** A call's merged signal and deadline. Always `dispose()` it (in a `finally`). */
export class CallScope {
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #user: AbortSignal | undefined;
  /** The listener on the caller's signal, made only when there is one (most calls have none: nothing to allocate). */
  readonly #onUserAbort: (() => void) | undefined;
  #kind: AbortKind | undefined;
  /** Epoch ms when the call's time is up (`Infinity` without a timeout). */
  readonly deadline: number;
  readonly timeoutMs: number;

  constructor(userSignal: AbortSignal | undefined, timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.deadline = Date.now() + timeoutMs;
    this.#user = userSignal;
    if (userSignal?.aborted) this.#abort(userSignal.reason instanceof DeadlinePassed ? "timeout" : "user");
    else if (userSignal) {
      // A parent scope's deadline is this scope's deadline too, not the caller's abort.
      this.#onUserAbort = () => this.#abort(userSignal.reason instanceof DeadlinePassed ? "timeout" : "user");
      userSignal.addEventListener("abort", this.#onUserAbort, { once: true });
    }
    if (!this.#kind && Number.isFinite(timeoutMs) && timeoutMs <= MAX_TIMER_MS) {
      this.#timer = setTimeout(() => this.#abort("timeout"), Math.max(0, timeoutMs));
    }
  }

  #abort(kind: AbortKind): void {
    if (this.#kind) return;
    this.#kind = kind;
    this.#controller.abort(kind === "user" ? this.#user?.reason : new DeadlinePassed("deadline"));
  }

  /** The merged signal: aborted when the caller aborts or the deadline passes. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Why the scope was aborted, or `undefined` while it is live. */
  get abortKind(): AbortKind | undefined {
    return this.#kind;
  }

  /** Milliseconds left before the deadline (may be 0). */
  remaining(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  /** The error to throw now that the scope is aborted, naming what was going on (`GET /v1/tasks/...`). */
  error(what: string, cause?: unknown): KlingError {
    const options = cause === undefined ? {} : { cause };
    return this.#kind === "timeout"
      ? new APITimeoutError(`Timed out after ${this.timeoutMs} ms: ${what}`, options)
      : new APIUserAbortError(`Aborted by the caller: ${what}`, options);
  }

  /** Throws the scope's error if it was aborted. */
  throwIfAborted(what: string): void {
    if (this.#kind) throw this.error(what);
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#onUserAbort) this.#user?.removeEventListener("abort", this.#onUserAbort);
  }
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts (the timer is cleared). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.min(Math.max(0, ms), MAX_TIMER_MS),
    );
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
