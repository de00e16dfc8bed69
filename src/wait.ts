/**
 * The one wait loop: `tasks.wait`, `edits.createAndWait`, jobs (and through them the CLI and the queue) all follow a
 * task with this function. The schedule is src/poll.ts's; which failures end the wait is src/policy.ts's.
 */
import { GET_TASK_DETAIL_ROUTE } from "../generated/spec-facts.js";
import { DEFAULT_WAIT_TIMEOUT_MS, MAX_CONSECUTIVE_POLL_ERRORS, MAX_RETRY_AFTER_MS } from "./defaults.js";
import { APIError, APITimeoutError, ContractViolationError, type KlingError, TaskFailedError } from "./errors.js";
import type { Limit } from "./internal/limit.js";
import { CallScope, sleep } from "./internal/scope.js";
import { endsWait, outcomeOf } from "./policy.js";
import { nextPollDelayMs, type PollState } from "./poll.js";
import { checkNumberOption } from "./request.js";
import { backoffDelayMs } from "./retry.js";
import { TASK_STATUSES } from "./spec-facts.js";
import type { CreatedTask, RequestOptions, Task, WaitOptions } from "./types.js";

/** The shortest fixed poll interval accepted (`pollIntervalMs`), in ms: anything less hammers the API. */
export const MIN_FIXED_POLL_INTERVAL_MS = 100;

/** What the loop needs from the client. */
export interface WaitDeps {
  /** One `tasks.get` (with the request loop's retries). */
  get(taskId: string, opts: RequestOptions): Promise<Task>;
  /** Each call's own deadline, capped by the wait's. */
  callTimeoutMs: number;
  log: { info(message: string): void };
}

/** How a wait starts and what else may end it (jobs use these; `tasks.wait` needs none). */
export interface WaitHooks {
  /** A deadline shared with what comes before and after (createAndWait's create; a job's download). */
  scope?: CallScope;
  /** The create's answer: the wait starts from it instead of polling at once. */
  created?: CreatedTask | Task;
  /** A callback is expected: poll sparsely (at the predicted end, then backing off), since the callback ends it. */
  callbackExpected?: boolean;
  /**
   * Another source of the task's state (a callback, a store shared with other processes): subscribe with a listener;
   * a terminal task given to it ends the wait at once. Returns the unsubscribe function.
   */
  watch?(listener: (task: Task) => void): () => void;
  /** Asked before each poll: a task known from elsewhere (the job store) is used instead of a GET. */
  known?(): Promise<Task | undefined>;
  /** Every task seen, with the time of the poll before it (the earliest moment the task can have ended). */
  onTask?(task: Task, previousLookAt: number): void;
  /** Runs each GET (`jobs.resumeAll` passes one shared limit, so its many waits keep few GETs in flight). */
  turn?: Limit | undefined;
}

/** Rejects nonsense wait options with a `RequestValidationError` naming the option, before any request. */
export function checkWaitOptions(opts: WaitOptions): void {
  checkNumberOption("timeoutMs", opts.timeoutMs, 1, true);
  checkNumberOption("pollIntervalMs", opts.pollIntervalMs, MIN_FIXED_POLL_INTERVAL_MS);
  checkNumberOption("maxRetries", opts.maxRetries, 0);
}

/** A task that says it is in a status the spec lists, or a `ContractViolationError`. */
function checkStatus(task: Task): Task {
  if (!(TASK_STATUSES as readonly string[]).includes(task.status)) {
    throw new ContractViolationError(
      `Task ${task.id} has status ${JSON.stringify(task.status)}, which the spec does not list (${TASK_STATUSES.join(", ")})`,
      { schema: GET_TASK_DETAIL_ROUTE.responseSchema },
    );
  }
  return task;
}

/**
 * Polls a task until it is `completed` (resolves with it) or `failed` (throws `TaskFailedError`). Transient failures
 * are polled again (at most {@link MAX_CONSECUTIVE_POLL_ERRORS} in a row); a permanent one ends the wait at once, and
 * so does a server hint longer than {@link MAX_RETRY_AFTER_MS} or past the deadline, with its `retryAfterMs`.
 */
export async function waitForTask(
  deps: WaitDeps,
  taskId: string,
  opts: WaitOptions,
  hooks: WaitHooks = {},
): Promise<Task> {
  checkWaitOptions(opts);
  const scope = hooks.scope ?? new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
  const startedAt = Date.now();
  let lastLookAt = startedAt;
  const state: PollState = {
    elapsedMs: 0,
    polls: 0,
    fixedIntervalMs: opts.pollIntervalMs,
    callbackExpected: hooks.callbackExpected,
  };
  let last: { status: string; progress: number | undefined } | undefined;
  let pushed: Task | undefined;
  let wake: (() => void) | undefined;
  const unwatch = hooks.watch?.((task) => {
    if (task.status === "completed" || task.status === "failed") {
      pushed = task;
      wake?.();
    }
  });
  const observe = (task: Task | CreatedTask) => {
    const at = Date.now() - startedAt;
    const estimate = task.task_info?.estimated_time;
    if (typeof estimate === "number" && estimate > 0) state.estimatedMs = estimate * 1000;
    if (typeof task.progress === "number" && task.progress > 0) {
      const reading = { atMs: at, progress: task.progress };
      state.firstProgress ??= reading;
      state.lastProgress = reading;
    }
  };
  const describe = () =>
    `waiting for task ${taskId}${last ? ` (last seen ${last.status}${last.progress === undefined ? "" : ` ${last.progress}%`})` : ""}`;
  /** Handles a task seen by a poll or pushed: returns it when the wait is over. */
  const settle = (task: Task, lookedAt: number): Task | undefined => {
    checkStatus(task);
    hooks.onTask?.(task, lookedAt);
    if (!last || last.status !== task.status || last.progress !== task.progress) {
      last = { status: task.status, progress: task.progress };
      opts.onProgress?.(task);
    }
    if (task.status === "completed") return task;
    if (task.status === "failed") throw new TaskFailedError(task);
    observe(task);
    return undefined;
  };
  let delay = 0;
  if (hooks.created) {
    observe(hooks.created);
    last = { status: hooks.created.status, progress: hooks.created.progress };
    // A task created already finished (never seen, but cheap to handle) is fetched at once for its results.
    if (hooks.created.status === "pending" || hooks.created.status === "processing") delay = nextPollDelayMs(state);
  }
  let errorsInRow = 0;
  try {
    for (;;) {
      if (pushed) {
        const done = settle(pushed, lastLookAt);
        if (done) return done;
      }
      if (delay > 0) {
        try {
          await new Promise<void>((resolve, reject) => {
            wake = resolve;
            sleep(Math.min(delay, scope.remaining()), scope.signal).then(resolve, reject);
          });
        } catch (err) {
          throw scope.error(describe(), err);
        } finally {
          wake = undefined;
        }
        if (pushed) continue;
        if (scope.remaining() <= 0) throw new APITimeoutError(`Timed out after ${scope.timeoutMs} ms: ${describe()}`);
      }
      const previousLookAt = lastLookAt;
      lastLookAt = Date.now();
      let task: Task | undefined = await hooks.known?.();
      if (task === undefined) {
        try {
          // The call's time limit is taken when it starts (after a turn, when there is one).
          const get = () =>
            deps.get(taskId, {
              ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
              ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
              signal: scope.signal,
              timeoutMs: Math.min(deps.callTimeoutMs, scope.remaining()),
            });
          task = await (hooks.turn ? hooks.turn(get, scope.signal) : get());
          state.polls++;
          errorsInRow = 0;
        } catch (err) {
          state.polls++;
          if (scope.abortKind) throw scope.error(describe(), err);
          errorsInRow++;
          if (endsWait(outcomeOf(err)) || errorsInRow >= MAX_CONSECUTIVE_POLL_ERRORS) throw err;
          const hint = err instanceof APIError ? (err.retryAfterMs ?? 0) : 0;
          // A server that asks for a longer pause than we honour, or one past the deadline, is answered now.
          if (hint > MAX_RETRY_AFTER_MS || (hint > 0 && hint >= scope.remaining())) throw err as KlingError;
          state.elapsedMs = Date.now() - startedAt;
          delay = Math.max(nextPollDelayMs(state), hint, backoffDelayMs(errorsInRow));
          deps.log.info(`poll of ${taskId} failed (${(err as Error).message}); polling again in ${delay} ms`);
          continue;
        }
      }
      const done = settle(task, previousLookAt);
      if (done) return done;
      state.elapsedMs = Date.now() - startedAt;
      delay = nextPollDelayMs(state);
    }
  } finally {
    unwatch?.();
    if (!hooks.scope) scope.dispose();
  }
}
