/**
 * Callback delivery as the spec's `taskFinished` callback states it: POST the task (the task query body) to
 * `callback_url`, 10 s timeout, at most 3 retries at 1/2/4 s after a failure, any 2xx acknowledges.
 */
import { CREATE_VIDEO_GENERATION_TASK_FINISHED_CALLBACK } from "../../generated/spec-facts.js";
import { CallScope, sleep } from "../internal/scope.js";

/** Per-attempt timeout the spec states (from codegen: the callback's description, "Timeout: `10` seconds"). */
export const CALLBACK_TIMEOUT_MS: number = CREATE_VIDEO_GENERATION_TASK_FINISHED_CALLBACK.timeoutMs;
/**
 * Waits before each retry the spec states, one per retry (from codegen: "Maximum `3` retries after failure (at
 * `1`/`2`/`4` seconds after failure)").
 */
export const CALLBACK_RETRY_DELAYS_MS: readonly number[] = CREATE_VIDEO_GENERATION_TASK_FINISHED_CALLBACK.retryDelaysMs;

/**
 * A cancellable wait: resolves after `ms`, or rejects with the signal's reason as soon as `signal` aborts (the one
 * sleep of the package, src/internal/scope.ts, behaves so).
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** A signal that never aborts, for a wait nobody can cancel. */
const NEVER = new AbortController().signal;

/** The default {@link Sleep}: the client's own abortable sleep. */
export const realSleep: Sleep = (ms, signal) => sleep(ms, signal ?? NEVER);

/** One delivery attempt: the receiver's status, or why no status came back. */
export interface CallbackAttempt {
  /** 1 for the first try, up to 4. */
  attempt: number;
  /** When it was sent (ISO 8601, from the wall clock). */
  at: string;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Why the attempt failed without a status (timeout, connection refused, ...). */
  error?: string;
}

/** The outcome of a delivery. */
export interface CallbackResult {
  /** Whether an attempt got a 2xx. */
  delivered: boolean;
  /** Every attempt, in order. */
  attempts: CallbackAttempt[];
}

/** How to deliver. */
export interface DeliverOptions {
  /** The fetch to send with. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The wait between attempts (tests inject an instant one). @default realSleep */
  sleep?: Sleep;
  /** Per-attempt timeout in ms. @default {@link CALLBACK_TIMEOUT_MS} (10 s) */
  timeoutMs?: number;
  /** Wait before each retry; its length is the number of retries. @default CALLBACK_RETRY_DELAYS_MS (1/2/4 s) */
  retryDelaysMs?: readonly number[];
  /** Stops the delivery (the server is closing). */
  signal?: AbortSignal;
  /** Called after each attempt, so a caller can show progress. */
  onAttempt?: (attempt: CallbackAttempt) => void;
}

/**
 * POSTs `payload` as JSON to `url` until a 2xx or the retries run out. Redirects are not followed (a redirect could
 * lead to an internal address the create request was not allowed to name). Never throws.
 */
export async function deliverCallback(
  url: string,
  payload: unknown,
  options: DeliverOptions = {},
): Promise<CallbackResult> {
  const send = options.fetch ?? globalThis.fetch;
  const wait = options.sleep ?? realSleep;
  const timeoutMs = options.timeoutMs ?? CALLBACK_TIMEOUT_MS;
  const delays = options.retryDelaysMs ?? CALLBACK_RETRY_DELAYS_MS;
  const body = JSON.stringify(payload);
  const attempts: CallbackAttempt[] = [];
  for (let i = 0; i <= delays.length; i++) {
    if (i > 0) {
      try {
        await wait(delays[i - 1] ?? 0, options.signal);
      } catch (error) {
        if (options.signal?.aborted) break;
        throw error;
      }
    }
    if (options.signal?.aborted) break;
    const attempt: CallbackAttempt = { attempt: i + 1, at: new Date().toISOString() };
    // Not AbortSignal.any([AbortSignal.timeout(ms), ...]): Node 20 holds the timeout signal inside `any` only weakly,
    // so a garbage collection during the attempt drops it and a slow receiver is waited for without end (nodejs/node
    // #57736). The scope's timer is an ordinary one, cleared when the attempt ends.
    const scope = new CallScope(options.signal, timeoutMs);
    try {
      const response = await send(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "kling-o1-video-edit-mock" },
        body,
        redirect: "manual",
        signal: scope.signal,
      });
      attempt.status = response.status;
      await response.body?.cancel().catch(() => {});
    } catch (error) {
      attempt.error =
        scope.abortKind === "timeout"
          ? `TimeoutError: no answer within ${timeoutMs} ms`
          : error instanceof Error
            ? `${error.name}: ${error.message}`
            : String(error);
    } finally {
      scope.dispose();
    }
    attempts.push(attempt);
    options.onAttempt?.(attempt);
    if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300) {
      return { delivered: true, attempts };
    }
  }
  return { delivered: false, attempts };
}

/** Whether a URL host (as `new URL(u).hostname` writes it) is a loopback one: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === "[::1]" ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  );
}

/** A task's callback, as the admin surface reports it. */
export interface CallbackState {
  /** The receiver, query string and all, exactly as the create request named it. */
  url: string;
  /** `waiting` until the task ends, then `sending`, then `delivered` or `failed` (retries exhausted). */
  state: "waiting" | "sending" | "delivered" | "failed";
  /** The body sent (the task as `GET /v1/tasks/{id}` returned it when it ended); null until then. */
  payload: unknown;
  /** Every attempt so far. */
  attempts: CallbackAttempt[];
}

/** What the scheduler needs from the engine: when a task ends, and its body then. */
export interface CallbackSource<T> {
  /** Clock time (ms) of the task's end. */
  endsAt(task: T): number;
  /** The task's body, sent as the callback. */
  payload(task: T): unknown;
  /** The task's id. */
  id(task: T): string;
  /** The clock's time now. */
  now(): number;
  /** Underlying (wall) ms until the clock reaches `at`; Infinity when it stands still. */
  delayUntil(at: number): number;
}

/** Options of {@link CallbackScheduler}: how to deliver, and who to tell about each attempt. */
export interface SchedulerOptions extends Omit<DeliverOptions, "signal" | "onAttempt"> {
  /** Told about each attempt (the CLI prints them). */
  onAttempt?: (taskId: string, attempt: CallbackAttempt) => void;
}

/**
 * Sends each task's callback once, when the task ends: on a timer set for the next end, and on every sweep (a
 * request, a clock control, a forced end), so a fake or paused clock needs only a sweep after it moves.
 */
export class CallbackScheduler<T> {
  readonly #source: CallbackSource<T>;
  readonly #options: SchedulerOptions;
  #states = new Map<string, CallbackState>();
  #waiting = new Set<T>();
  #inFlight = new Set<Promise<void>>();
  #abort = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(source: CallbackSource<T>, options: SchedulerOptions = {}) {
    this.#source = source;
    this.#options = options;
  }

  /** Delivers `task` to `url` when it ends. */
  watch(task: T, url: string): void {
    this.#states.set(this.#source.id(task), { url, state: "waiting", payload: null, attempts: [] });
    this.#waiting.add(task);
    this.#schedule();
  }

  /** The callback of task `id`, if it has one. */
  get(id: string): CallbackState | undefined {
    return this.#states.get(id);
  }

  /** Starts the delivery of every watched task that has ended. */
  sweep(): void {
    const now = this.#source.now();
    for (const task of this.#waiting) {
      if (this.#source.endsAt(task) > now) continue;
      this.#waiting.delete(task);
      const state = this.#states.get(this.#source.id(task));
      if (state) this.#deliver(task, state);
    }
    this.#schedule();
  }

  /** Forgets every callback and stops the deliveries in flight. */
  reset(): void {
    this.#abort.abort();
    this.#abort = new AbortController();
    this.#states.clear();
    this.#waiting.clear();
    this.#schedule();
  }

  /** Resolves when no delivery is in flight. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Stops the timer and every delivery. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#abort.abort();
    await this.idle();
  }

  #deliver(task: T, state: CallbackState): void {
    state.state = "sending";
    state.payload = this.#source.payload(task);
    const { onAttempt, ...deliver } = this.#options;
    const id = this.#source.id(task);
    const running = deliverCallback(state.url, state.payload, {
      ...deliver,
      signal: this.#abort.signal,
      onAttempt: (attempt) => {
        state.attempts.push(attempt);
        onAttempt?.(id, attempt);
      },
    }).then((result) => {
      state.state = result.delivered ? "delivered" : "failed";
    });
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed || this.#waiting.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const task of this.#waiting) next = Math.min(next, this.#source.endsAt(task));
    const delay = this.#source.delayUntil(next);
    if (!Number.isFinite(delay)) return; // the clock stands still: a control that moves it sweeps
    this.#timer = setTimeout(() => this.sweep(), Math.min(Math.ceil(delay), 2 ** 31 - 1));
    // A pending callback must not keep a process alive that is otherwise done.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
