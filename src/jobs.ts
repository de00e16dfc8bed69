/**
 * Durable jobs: the life of one edit as a small state machine, saved to a {@link JobStore} before every step is
 * acted on (write-ahead), so a process that dies at any moment leaves a record another can carry on from.
 *
 * ```
 * new -> submitting -> submitted -> completed -> downloaded
 *                 \-> unknown    \-> failed    \-> expired
 * ```
 * - `submitting` is stored before the create leaves. A job restored in `submitting` (the process died mid-request)
 *   becomes `unknown`: the task may exist, so it is never resubmitted by itself.
 * - `jobs.submit` rejects only when nothing can have been billed (src/policy.ts decides); otherwise it resolves with a
 *   job in `submitted` or `unknown`.
 * - With a `callback_url`, the job adds `?kling_job=<job id>` to it, so a callback names its job even when the
 *   create's answer was lost: `jobs.handleCallback` turns an `unknown` job into `completed`/`failed`.
 * - Results expire 24 hours after the task completed; `resultExpiresAt` counts from the earliest moment it can have.
 */
import {
  DEFAULT_JOB_REF_PARAM,
  DEFAULT_WAIT_TIMEOUT_MS,
  FIRST_UNKNOWN_POLL_MS,
  JOB_FORMAT_VERSION,
  MAX_CONSECUTIVE_POLL_ERRORS,
  RESULT_TTL_MS,
} from "./defaults.js";
import { type DownloadResumeState, type FileDownloadOptions, safeFileName } from "./download.js";
import { createBody, createEdit, followTask, getTask } from "./endpoints.js";
import {
  APIError,
  DownloadError,
  type JobPhase,
  KlingError,
  RequestValidationError,
  SubmitOutcomeUnknownError,
  TaskFailedError,
} from "./errors.js";
import { CallScope, sleep } from "./internal/scope.js";
import { createMayHaveBilled, endsWait, outcomeOf } from "./policy.js";
import { nextPollDelayMs, type PollState } from "./poll.js";
import type { Transport } from "./request.js";
import { backoffDelayMs } from "./retry.js";
import type {
  CreatedTask,
  CreateEditParams,
  DownloadOptions,
  DownloadResult,
  RequestOptions,
  Task,
  WaitOptions,
} from "./types.js";
import { checkWaitOptions } from "./wait.js";
import { handleCallback as handleTaskCallback, MemoryCallbackStore } from "./webhooks.js";

/** Where a job is in its life. */
export type JobState =
  | "new"
  | "submitting"
  | "submitted"
  | "unknown"
  | "completed"
  | "failed"
  | "downloaded"
  | "expired";

/** States a job can still move on from by itself (with polls, a callback or a download). */
export const UNFINISHED_JOB_STATES: readonly JobState[] = ["submitting", "submitted", "completed"];

/** A job as stored: `job.toJSON()`. Plain JSON, versioned, with no key or secret. */
export interface JobSnapshot {
  /** The format's version ({@link JOB_FORMAT_VERSION}). */
  version: number;
  /** The client-side id, stable for the job's life (also the `kling_job` reference in its callback URL). */
  id: string;
  state: JobState;
  /** The create parameters as sent (with the job's reference added to `callback_url`). */
  params: CreateEditParams;
  /** The task id, once the create's answer (or a callback) gave it. */
  taskId?: string;
  /** The last task seen (create answer, poll or confirmed callback). */
  task?: Task | CreatedTask;
  /** Every request id of the job's requests, oldest first. */
  requestIds: string[];
  /** Epoch ms: made, last changed, create sent. */
  createdAt: number;
  updatedAt: number;
  submittedAt?: number;
  /** Epoch ms: the earliest moment the task can have completed (the look before the one that saw it). */
  completedAt?: number;
  /** Epoch ms: when the result link expires ({@link RESULT_TTL_MS} after `completedAt`). */
  resultExpiresAt?: number;
  /** Where `resumeAll` downloads the result (`submit`'s `destination`). */
  destination?: string;
  /** What the download wrote. */
  download?: { path: string; bytes: number };
  /** A download cut off part-way: its partial file, resumed by the next `job.download` to the same destination. */
  partial?: { destination: string; state: DownloadResumeState };
  /** Why the job is `unknown`, `failed` or `expired`, and in which phase. */
  error?: { name: string; message: string; phase: JobPhase };
  /** The job this one resubmitted, and the job that resubmitted this one. */
  resubmittedFrom?: string;
  resubmittedAs?: string;
  /** Your own data (a manifest line, a user id): stored with the job, never sent. */
  metadata?: Record<string, string | number | boolean>;
  /** What `job.step()` has seen (epoch ms), to schedule its next look across processes. */
  looks?: {
    startedAt: number;
    count: number;
    errorsInRow: number;
    estimatedMs?: number;
    first?: { at: number; progress: number };
    last?: { at: number; progress: number };
    lastAt?: number;
  };
}

/** Where jobs are kept. `put` must be durable when it resolves (the client acts only after it). */
export interface JobStore {
  get(id: string): Promise<JobSnapshot | undefined>;
  put(job: JobSnapshot): Promise<void>;
  /** Every job, or those in the given state(s). */
  list(filter?: { state?: JobState | readonly JobState[] }): Promise<JobSnapshot[]>;
  /** Forgets a job (a create that was refused: nothing exists). */
  delete(id: string): Promise<void>;
}

/** Filters a list of snapshots by state, for stores. */
export function matchesState(job: JobSnapshot, filter?: { state?: JobState | readonly JobState[] }): boolean {
  if (filter?.state === undefined) return true;
  const states: readonly JobState[] = typeof filter.state === "string" ? [filter.state] : filter.state;
  return states.includes(job.state);
}

/** A {@link JobStore} in memory: for tests and short-lived scripts (nothing survives the process). */
export function memoryJobStore(): JobStore {
  const jobs = new Map<string, string>();
  return {
    async get(id) {
      const text = jobs.get(id);
      return text === undefined ? undefined : (JSON.parse(text) as JobSnapshot);
    },
    async put(job) {
      jobs.set(job.id, JSON.stringify(job));
    },
    async list(filter) {
      return [...jobs.values()].map((t) => JSON.parse(t) as JobSnapshot).filter((j) => matchesState(j, filter));
    },
    async delete(id) {
      jobs.delete(id);
    },
  };
}

/** Options of the client's `jobs`. */
export interface JobsOptions {
  /** Where jobs are kept. @default memoryJobStore() (use fileJobStore(dir) from `kling-o1-video-edit/node` to survive restarts) */
  store?: JobStore;
  /** The query parameter added to `callback_url` to name the job. @default {@link DEFAULT_JOB_REF_PARAM} */
  refParam?: string;
}

/** Options of `jobs.submit`. */
export interface SubmitOptions extends RequestOptions {
  /**
   * The job's id (letters, digits, `.`, `_`, `-`; at most 128). Submitting an id the store already holds returns that
   * job and sends nothing: an idempotent enqueue. @default a random id
   */
  id?: string;
  /** Where `resumeAll` downloads the result. */
  destination?: string;
  /** Your own data, stored with the job. */
  metadata?: Record<string, string | number | boolean>;
}

/** Options of `job.wait`. */
export type JobWaitOptions = Omit<WaitOptions, "maxRetries" | "headers">;

/** Options of `jobs.resumeAll`. */
export interface ResumeOptions {
  /** Results of jobs without their own `destination` go here as `<task id>.mp4`; without it they are not downloaded. */
  downloadDir?: string;
  /** Each job's wait limit. @default {@link DEFAULT_WAIT_TIMEOUT_MS} */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** How many downloads run at once (every job is followed at once: a wait holds only a timer). @default 8 */
  concurrency?: number;
  /** Called as each job settles (or fails to). */
  onJob?(job: Job, error?: unknown): void;
  /** Download options (`allowInsecure` for the mock). */
  download?: Omit<DownloadOptions, "signal" | "timeoutMs">;
}

/** What `resumeAll` did, by the state each job ended in. */
export interface ResumeSummary {
  jobs: Job[];
  /** Jobs whose create's outcome is unknown: reported, never resubmitted (see `jobs.resubmit`). */
  unknown: Job[];
  /** Jobs that could not be carried on, with why (a failed task, a wait that timed out, a download that failed). */
  errors: { job: Job; error: unknown }[];
}

const DIED_MID_CREATE = {
  name: "SubmitOutcomeUnknownError",
  message: "the process stopped while the create was in flight",
  phase: "submit",
} as const;

const JOB_ID = /^[A-Za-z0-9._-]{1,128}$/;

function randomId(): string {
  const c = globalThis.crypto;
  const raw =
    typeof c?.randomUUID === "function" ? c.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  return `job-${raw}`;
}

function isTerminal(state: JobState): boolean {
  return state === "completed" || state === "failed" || state === "downloaded" || state === "expired";
}

function estimateOf(task: Task | CreatedTask | undefined): number | undefined {
  const estimate = task?.task_info?.estimated_time;
  return typeof estimate === "number" && estimate > 0 ? estimate * 1000 : undefined;
}

function progressOf(looks: NonNullable<JobSnapshot["looks"]>): Partial<PollState> {
  const rel = (r: { at: number; progress: number } | undefined) =>
    r && { atMs: r.at - looks.startedAt, progress: r.progress };
  return {
    estimatedMs: looks.estimatedMs,
    firstProgress: rel(looks.first),
    lastProgress: rel(looks.last),
  };
}

/** Tags an error with the phase and the job's request ids (issue 12, item 9). */
function tag(error: unknown, job: Job, phase: JobPhase): unknown {
  if (error instanceof KlingError) {
    error.phase ??= phase;
    error.jobId ??= job.id;
    error.requestIds = [...new Set([...(error.requestIds ?? []), ...job.requestIds])];
  }
  return error;
}

function invalidOption(field: string, message: string): RequestValidationError {
  return new RequestValidationError([{ field, param: field, rule: "format", message }]);
}

/** The life of one edit. Made by `jobs.submit`, `jobs.restore` or `jobs.get`; saved to the store at every step. */
export class Job {
  #snap: JobSnapshot;
  readonly #jobs: Jobs;

  /** @internal Made by {@link Jobs}. */
  constructor(jobs: Jobs, snapshot: JobSnapshot) {
    this.#jobs = jobs;
    this.#snap = snapshot;
  }

  /** The client-side id, stable for the job's life. */
  get id(): string {
    return this.#snap.id;
  }
  get state(): JobState {
    return this.#snap.state;
  }
  /** The last task seen, or `undefined` before the create answered. */
  get task(): Task | CreatedTask | undefined {
    return this.#snap.task;
  }
  get taskId(): string | undefined {
    return this.#snap.taskId;
  }
  /** Every request id of the job's requests, oldest first. */
  get requestIds(): readonly string[] {
    return this.#snap.requestIds;
  }
  /** The result URL once completed. */
  get resultUrl(): string | undefined {
    const results = (this.#snap.task as Task | undefined)?.results;
    return this.#snap.state === "completed" || this.#snap.state === "downloaded" ? results?.[0] : undefined;
  }
  /** When the result link expires (a `Date`), once completed. */
  get resultExpiresAt(): Date | undefined {
    return this.#snap.resultExpiresAt === undefined ? undefined : new Date(this.#snap.resultExpiresAt);
  }
  /** The parameters as sent. */
  get params(): CreateEditParams {
    return this.#snap.params;
  }
  get metadata(): Readonly<Record<string, string | number | boolean>> {
    return this.#snap.metadata ?? {};
  }
  /** A versioned plain object with no key or secret: store it anywhere; `jobs.restore` continues from it. */
  toJSON(): JobSnapshot {
    return structuredClone(this.#snap);
  }

  /** @internal Stores the new state first, then takes it (write-ahead). */
  async _transition(patch: Partial<JobSnapshot>): Promise<void> {
    const next: JobSnapshot = { ...this.#snap, ...patch, updatedAt: Date.now() };
    await this.#jobs.store.put(next);
    this.#snap = next;
  }

  /** @internal Takes a state another party stored (a callback, another process). */
  _adopt(snapshot: JobSnapshot): void {
    if (snapshot.updatedAt >= this.#snap.updatedAt) this.#snap = snapshot;
  }

  /** @internal */
  _addRequestId(id: string | null | undefined): void {
    if (id && !this.#snap.requestIds.includes(id))
      this.#snap = { ...this.#snap, requestIds: [...this.#snap.requestIds, id] };
  }

  /** @internal Records a task seen at `lookedAt`'s predecessor; stored when the state changes. */
  async _observe(task: Task, previousLookAt: number): Promise<void> {
    const patch: Partial<JobSnapshot> = { task, taskId: task.id };
    if (task.status === "completed" && !isTerminal(this.#snap.state)) {
      patch.state = "completed";
      patch.completedAt = previousLookAt;
      patch.resultExpiresAt = previousLookAt + RESULT_TTL_MS;
    } else if (task.status === "failed" && !isTerminal(this.#snap.state)) {
      patch.state = "failed";
      patch.error = { name: "TaskFailedError", message: new TaskFailedError(task).message, phase: "wait" };
    }
    if (patch.state !== undefined || this.#snap.task?.status !== task.status) await this._transition(patch);
    else this.#snap = { ...this.#snap, ...patch };
  }

  /**
   * Waits until the task ends: resolves with this job `completed` (or already `downloaded`); rejects with
   * `TaskFailedError` for `failed`, and with `SubmitOutcomeUnknownError` (carrying the job) for `unknown`. A job with
   * a `callback_url` ends as soon as `jobs.handleCallback` confirms its callback (in this process) or the store says
   * so (another process); meanwhile it polls sparsely, so a lost callback still ends the wait.
   */
  async wait(opts: JobWaitOptions = {}): Promise<Job> {
    checkWaitOptions(opts);
    const scope = new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
    try {
      return await this._waitIn(scope, opts);
    } finally {
      scope.dispose();
    }
  }

  /** @internal The wait inside a scope shared with a download. */
  async _waitIn(scope: CallScope, opts: JobWaitOptions): Promise<Job> {
    await this.#refresh();
    const s = this.#snap;
    if (s.state === "completed" || s.state === "downloaded" || s.state === "expired") return this;
    if (s.state === "failed") throw tag(new TaskFailedError(s.task as Task), this, "wait");
    if (s.state === "new") throw tag(new KlingError(`Job ${s.id} was never submitted`), this, "wait");
    if (s.state === "unknown" || s.state === "submitting" || s.taskId === undefined) {
      await this.#awaitReconciliation(scope);
      return this._waitIn(scope, opts);
    }
    const hasCallback = typeof s.params.callback_url === "string";
    let earliest = Date.now();
    try {
      await followTask(
        this.#jobs.transport,
        s.taskId,
        { ...opts, signal: scope.signal },
        {
          scope,
          // A task seen just now (the create's answer) sets the first poll's time; a restored job looks at once.
          ...(s.task &&
          s.task.status !== "completed" &&
          s.task.status !== "failed" &&
          Date.now() - (s.looks?.lastAt ?? s.updatedAt) < FIRST_UNKNOWN_POLL_MS
            ? { created: s.task }
            : {}),
          callbackExpected: hasCallback,
          watch: (listener) => this.#jobs._watch(this.id, (snap) => snap.task && listener(snap.task as Task)),
          known: async () => {
            const stored = await this.#jobs.store.get(this.id);
            if (stored && stored.updatedAt > this.#snap.updatedAt && stored.task && isTerminal(stored.state)) {
              this._adopt(stored);
              return stored.task as Task;
            }
            return undefined;
          },
          onTask: (task, previousLookAt) => {
            earliest = previousLookAt;
            // A status change on the way (pending -> processing) is stored too; the end is stored below, awaited.
            if (task.status !== "completed" && task.status !== "failed" && task.status !== this.#snap.task?.status) {
              this._observe(task, previousLookAt).catch((err) =>
                this.#jobs.transport.log.warn(`job ${this.id}: could not store its progress: ${String(err)}`),
              );
            }
          },
        },
        (requestId) => this._addRequestId(requestId),
      ).then(
        (task) => this.#settleSeen(task, earliest),
        async (err) => {
          if (err instanceof TaskFailedError) await this.#settleSeen(err.task, earliest);
          throw err;
        },
      );
    } catch (err) {
      throw tag(err, this, "wait");
    }
    return this;
  }

  /** Stores the end a poll (or a push) saw; `earliest` is the look before it: the task cannot have ended sooner. */
  async #settleSeen(task: Task, earliest: number): Promise<void> {
    if (isTerminal(this.#snap.state) && this.#snap.taskId === task.id) return;
    await this._observe(task, earliest);
  }

  /** Waits for a callback (or another process) to reconcile an unknown job; rejects when none can come. */
  async #awaitReconciliation(scope: CallScope): Promise<void> {
    const unknownError = () =>
      tag(new SubmitOutcomeUnknownError(this, typeof this.#snap.params.callback_url === "string"), this, "submit");
    if (this.#snap.state === "submitting") await this.#markUnknown();
    if (typeof this.#snap.params.callback_url !== "string") throw unknownError();
    let settled = false;
    const unwatch = this.#jobs._watch(this.id, () => {
      settled = true;
    });
    try {
      while (!settled && this.#snap.taskId === undefined) {
        try {
          await sleep(Math.min(2_000, scope.remaining()), scope.signal);
        } catch {
          throw unknownError();
        }
        await this.#refresh();
        if (scope.remaining() <= 0) throw unknownError();
      }
    } finally {
      unwatch();
    }
    await this.#refresh();
  }

  /** A job found in `submitting`: its process died with the create in flight, so a task may exist. */
  async #markUnknown(): Promise<void> {
    await this._transition({ state: "unknown", error: DIED_MID_CREATE });
  }

  async #refresh(): Promise<void> {
    const stored = await this.#jobs.store.get(this.id);
    if (stored) this._adopt(stored);
  }

  /**
   * One look at the task, for schedulers that hold no process while a task renders (the queue): a GET, the job's new
   * state stored, and when to look next (the same schedule and policy as `job.wait`). Throws (tagged `wait`) when the
   * wait must end: a permanent answer, too many failures in a row, or `TaskFailedError` for a failed task.
   */
  async step(opts: RequestOptions = {}): Promise<{ done: boolean; nextLookInMs: number }> {
    await this.#refresh();
    const s = this.#snap;
    if (s.state === "completed" || s.state === "downloaded" || s.state === "expired")
      return { done: true, nextLookInMs: 0 };
    if (s.state === "failed") throw tag(new TaskFailedError(s.task as Task), this, "wait");
    if (s.taskId === undefined || s.state !== "submitted") {
      if (s.state === "submitting") await this.#markUnknown();
      throw tag(new SubmitOutcomeUnknownError(this, typeof s.params.callback_url === "string"), this, "submit");
    }
    const now = Date.now();
    const looks = s.looks ?? { startedAt: s.submittedAt ?? now, count: 0, errorsInRow: 0 };
    const state = (at: number): PollState => ({
      elapsedMs: at - looks.startedAt,
      polls: looks.count,
      estimatedMs: looks.estimatedMs ?? estimateOf(s.task),
      firstProgress: looks.first && { atMs: looks.first.at - looks.startedAt, progress: looks.first.progress },
      lastProgress: looks.last && { atMs: looks.last.at - looks.startedAt, progress: looks.last.progress },
      callbackExpected: typeof s.params.callback_url === "string",
    });
    let task: Task;
    try {
      const { data, requestId } = await getTask(this.#jobs.transport, s.taskId, opts);
      this._addRequestId(requestId);
      task = data;
    } catch (err) {
      const errorsInRow = looks.errorsInRow + 1;
      if (endsWait(outcomeOf(err)) || errorsInRow >= MAX_CONSECUTIVE_POLL_ERRORS) throw tag(err, this, "wait");
      const hint = err instanceof APIError ? (err.retryAfterMs ?? 0) : 0;
      const delay = Math.max(nextPollDelayMs(state(now)), hint, backoffDelayMs(errorsInRow));
      await this._transition({ looks: { ...looks, count: looks.count + 1, errorsInRow, lastAt: now } });
      return { done: false, nextLookInMs: delay };
    }
    const next = { ...looks, count: looks.count + 1, errorsInRow: 0, lastAt: now };
    const estimate = task.task_info?.estimated_time;
    if (typeof estimate === "number" && estimate > 0) next.estimatedMs = estimate * 1000;
    if (typeof task.progress === "number" && task.progress > 0) {
      next.first ??= { at: now, progress: task.progress };
      next.last = { at: now, progress: task.progress };
    }
    this.#snap = { ...this.#snap, looks: next };
    await this._observe(task, looks.lastAt ?? s.submittedAt ?? now);
    if (task.status === "failed") throw tag(new TaskFailedError(task), this, "wait");
    if (task.status === "completed") return { done: true, nextLookInMs: 0 };
    if (this.#snap.looks !== next) this.#snap = { ...this.#snap, looks: next };
    await this._transition({ looks: next });
    return {
      done: false,
      nextLookInMs: nextPollDelayMs({ ...state(Date.now()), polls: next.count, ...progressOf(next) }),
    };
  }

  /**
   * Downloads the result to `destination` (a file, or a directory for `<task id>.mp4`-style names). Past
   * `resultExpiresAt` it fails at once with `DownloadError` reason `expired` and sends nothing; under an hour left it
   * logs a warning. The job becomes `downloaded` (or `expired` when the host says the link is gone).
   */
  async download(
    destination: string,
    opts: Omit<FileDownloadOptions, "fetch" | "logger" | "resume" | "onResumeState" | "expiresAt"> = {},
  ): Promise<DownloadResult> {
    await this.#refresh();
    const s = this.#snap;
    if (s.state === "downloaded" && s.download && s.download.path === destination) {
      return { path: s.download.path, bytes: s.download.bytes, contentType: null, url: this.resultUrl ?? "" };
    }
    if (s.state !== "completed" && s.state !== "downloaded") {
      throw tag(
        new DownloadError(`Job ${s.id} has no result to download (state ${s.state})`, { reason: "no-result" }),
        this,
        "download",
      );
    }
    try {
      // The download checks the expiry (past it: reason expired, nothing sent; under an hour: a warning) and records
      // its partial file in the job, so a cut-off download resumes from it, in this call or after a restart.
      const resume = s.partial?.destination === destination ? s.partial.state : undefined;
      const result = await this.#jobs.client.download(s.task as Task, destination, {
        ...opts,
        ...(s.resultExpiresAt !== undefined ? { expiresAt: s.resultExpiresAt } : {}),
        ...(resume ? { resume } : {}),
        onResumeState: async (state) => {
          const { partial: _old, ...rest } = this.#snap;
          if (state) await this._transition({ partial: { destination, state } });
          else if (_old) {
            const next = { ...rest, updatedAt: Date.now() } as JobSnapshot;
            await this.#jobs.store.put(next);
            this.#snap = next;
          }
        },
      });
      await this._transition({ state: "downloaded", download: { path: result.path, bytes: result.bytes } });
      return result;
    } catch (err) {
      if (err instanceof DownloadError && err.reason === "expired") {
        await this._transition({
          state: "expired",
          error: { name: err.name, message: err.message, phase: "download" },
        });
      }
      throw tag(err, this, "download");
    }
  }
}

/** What `jobs` needs of the client: downloads. */
interface DownloadingClient {
  download(
    task: Task,
    destination: string,
    opts?: Omit<FileDownloadOptions, "fetch" | "logger">,
  ): Promise<DownloadResult>;
}

/** `client.jobs`: submitting, restoring, listing and resuming durable jobs. */
export class Jobs {
  /** The store jobs are kept in. */
  readonly store: JobStore;
  /** The query parameter naming a job in its callback URL. */
  readonly refParam: string;
  /** @internal */
  readonly transport: Transport;
  /** @internal */
  readonly client: DownloadingClient;
  #listeners = new Map<string, Set<(snap: JobSnapshot) => void>>();
  readonly #callbackStore = new MemoryCallbackStore();
  /** One function for every callback, so confirmations are coalesced per task id (webhooks.ts keys them by it). */
  readonly #confirm = (id: string, signal: AbortSignal) =>
    getTask(this.transport, id, { signal, timeoutMs: 8_000, maxRetries: 1 }).then((r) => r.data);

  /** @internal Made by the client. */
  constructor(client: DownloadingClient, transport: Transport, options: JobsOptions) {
    this.client = client;
    this.transport = transport;
    this.store = options.store ?? memoryJobStore();
    this.refParam = options.refParam ?? DEFAULT_JOB_REF_PARAM;
  }

  /**
   * The same jobs API over another store (the queue keeps each job in its BullMQ job's data): the client, its
   * request loop and the callback listeners are shared.
   */
  withStore(store: JobStore): Jobs {
    const view = new Jobs(this.client, this.transport, { store, refParam: this.refParam });
    view.#listeners = this.#listeners;
    return view;
  }

  /** @internal Subscribes to a job's stored changes in this process. */
  _watch(id: string, listener: (snap: JobSnapshot) => void): () => void {
    let set = this.#listeners.get(id);
    if (!set) {
      set = new Set();
      this.#listeners.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(id);
    };
  }

  #notify(snap: JobSnapshot): void {
    for (const listener of this.#listeners.get(snap.id) ?? []) listener(snap);
  }

  /**
   * Submits an edit as a durable job. **Rejects only when nothing can have been billed** (validation, a refusal such
   * as 400/401/402/403, a connection that never opened, the API's 429/503 after retries); once the request may have
   * reached the server it resolves with a job in `submitted` or `unknown`. `submitting` is stored before the request
   * leaves. A known `id` returns the stored job without sending anything.
   */
  async submit(params: CreateEditParams, opts: SubmitOptions = {}): Promise<Job> {
    if (opts.id !== undefined && !JOB_ID.test(opts.id)) {
      throw invalidOption("id", `id must be 1-128 letters, digits, ".", "_" or "-" (got ${JSON.stringify(opts.id)})`);
    }
    if (opts.id !== undefined) {
      const existing = await this.store.get(opts.id);
      if (existing) return this.restore(existing);
    }
    const id = opts.id ?? randomId();
    const sent = this.#withRef(params, id);
    // Validate before anything is stored: a bad input leaves no job behind.
    createBody(sent);
    const now = Date.now();
    const job = new Job(this, {
      version: JOB_FORMAT_VERSION,
      id,
      state: "new",
      params: sent,
      requestIds: [],
      createdAt: now,
      updatedAt: now,
      ...(opts.destination !== undefined ? { destination: opts.destination } : {}),
      ...(opts.metadata !== undefined ? { metadata: opts.metadata } : {}),
    });
    await job._transition({ state: "submitting", submittedAt: Date.now() });
    const { id: _id, destination: _d, metadata: _m, ...request } = opts;
    let created: { data: CreatedTask; requestId: string | null };
    try {
      created = await createEdit(this.transport, sent, request);
    } catch (err) {
      if (err instanceof KlingError && "requestId" in err)
        job._addRequestId((err as { requestId: string | null }).requestId);
      if (!createMayHaveBilled(err)) {
        await this.store.delete(id);
        throw tag(err, job, "submit");
      }
      const message = err instanceof Error ? err.message : String(err);
      await this.#record(job, {
        state: "unknown",
        error: { name: err instanceof Error ? err.name : "Error", message, phase: "submit" },
      });
      this.transport.log.warn(`job ${id}: the create's outcome is unknown (${message}); a task may exist`);
      return job;
    }
    job._addRequestId(created.requestId);
    await this.#record(job, { state: "submitted", taskId: created.data.id, task: created.data });
    return job;
  }

  /**
   * Stores a job's state after a create that may have billed. A store that fails here must not turn a billed
   * create into a rejection (a rejection means no charge): the job keeps its state in memory, and the failure is
   * logged with the task id so it can be recorded by hand.
   */
  async #record(job: Job, patch: Partial<JobSnapshot>): Promise<void> {
    try {
      await job._transition(patch);
    } catch (err) {
      job._adopt({ ...job.toJSON(), ...patch, updatedAt: Date.now() });
      this.transport.log.error(
        `job ${job.id}: could not store its ${patch.state} state${patch.taskId ? ` (task ${patch.taskId})` : ""}: ${String(err)}`,
      );
    }
  }

  /** `callback_url` with the job's reference added, so a callback names its job. */
  #withRef(params: CreateEditParams, id: string): CreateEditParams {
    if (typeof params.callback_url !== "string") return params;
    let url: URL;
    try {
      url = new URL(params.callback_url);
    } catch {
      return params; // the rules check reports it
    }
    url.searchParams.set(this.refParam, id);
    return { ...params, callback_url: url.toString() };
  }

  /**
   * A job from its `toJSON()`: it continues where the other stopped. A job restored in `submitting` (the process died
   * mid-request) becomes `unknown`: it is never resubmitted by itself.
   */
  restore(json: JobSnapshot | string): Job {
    const snap = (typeof json === "string" ? JSON.parse(json) : structuredClone(json)) as JobSnapshot;
    if (snap?.version !== JOB_FORMAT_VERSION || typeof snap.id !== "string" || typeof snap.state !== "string") {
      throw invalidOption(
        "job",
        `not a job this version can restore (version ${String(snap?.version)}, expected ${JOB_FORMAT_VERSION})`,
      );
    }
    if (snap.state === "submitting") {
      snap.state = "unknown";
      snap.error = { ...DIED_MID_CREATE };
      snap.updatedAt = Date.now();
      this.store
        .put(snap)
        .catch((err) => this.transport.log.error(`job ${snap.id}: could not store its unknown state: ${String(err)}`));
    }
    return new Job(this, snap);
  }

  /** The stored job with this id, or `undefined`. */
  async get(id: string): Promise<Job | undefined> {
    const snap = await this.store.get(id);
    return snap ? this.restore(snap) : undefined;
  }

  /** Stored jobs, optionally in the given state(s): `list({ state: "unknown" })` lists what needs a decision. */
  async list(filter?: { state?: JobState | readonly JobState[] }): Promise<Job[]> {
    return (await this.store.list(filter)).map((s) => this.restore(s));
  }

  /**
   * Carries on every unfinished job: call it at start-up. Submitted jobs poll again, completed ones download (to their
   * `destination`, else `downloadDir`), jobs that died mid-create become `unknown` and are reported, never resent.
   */
  async resumeAll(opts: ResumeOptions = {}): Promise<ResumeSummary> {
    const jobs = await this.list({ state: [...UNFINISHED_JOB_STATES, "unknown"] });
    const summary: ResumeSummary = { jobs, unknown: [], errors: [] };
    // Waits hold nothing but a timer: every job is followed at once. Downloads (bandwidth, disk) take turns.
    let slots = Math.max(1, opts.concurrency ?? 8);
    const turn: (() => void)[] = [];
    const acquire = async () => {
      if (slots > 0) slots--;
      else await new Promise<void>((resolve) => turn.push(resolve));
    };
    const release = () => {
      const next = turn.shift();
      if (next) next();
      else slots++;
    };
    const follow = async (job: Job) => {
      if (job.state === "unknown" && typeof job.params.callback_url !== "string") {
        summary.unknown.push(job);
        opts.onJob?.(job);
        return;
      }
      try {
        await job.wait({
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        });
        const destination =
          job.toJSON().destination ??
          (opts.downloadDir && job.taskId ? `${opts.downloadDir}/${safeFileName(job.taskId)}.mp4` : undefined);
        if (destination && job.state === "completed") {
          await acquire();
          try {
            await job.download(destination, { ...opts.download, ...(opts.signal ? { signal: opts.signal } : {}) });
          } finally {
            release();
          }
        }
        opts.onJob?.(job);
      } catch (error) {
        if (error instanceof SubmitOutcomeUnknownError) summary.unknown.push(job);
        else summary.errors.push({ job, error });
        opts.onJob?.(job, error);
      }
    };
    await Promise.all(jobs.map(follow));
    return summary;
  }

  /**
   * The explicit way to submit an `unknown` (or failed, or expired) job's edit again: a new job with the same
   * parameters, linked both ways (`resubmittedFrom`, `resubmittedAs`). This may pay twice if the first task exists.
   */
  async resubmit(job: Job, opts: Omit<SubmitOptions, "id"> = {}): Promise<Job> {
    const old = job.toJSON();
    if (
      old.state === "submitted" ||
      old.state === "completed" ||
      old.state === "downloaded" ||
      old.state === "submitting"
    ) {
      throw invalidOption("job", `job ${old.id} is ${old.state}: its task exists, there is nothing to resubmit`);
    }
    const params = { ...old.params };
    if (typeof params.callback_url === "string") {
      const url = new URL(params.callback_url);
      url.searchParams.delete(this.refParam);
      params.callback_url = url.toString();
    }
    const next = await this.submit(params, {
      ...opts,
      ...(old.destination !== undefined && opts.destination === undefined ? { destination: old.destination } : {}),
      metadata: { ...old.metadata, ...opts.metadata, resubmittedFrom: old.id },
    });
    await next._transition({ resubmittedFrom: old.id });
    await job._transition({ resubmittedAs: next.id });
    return next;
  }

  /**
   * Handles a task callback (Fetch `Request` in, `Response` out, with the webhook module's limits): confirms it with a
   * GET (terminal status, same id), stores the job's new state, and a `job.wait` in this process ends at once. The job
   * is found by the `kling_job` reference in the URL, else by task id; an `unknown` job learns its task id here.
   */
  async handleCallback(request: Request): Promise<Response> {
    let ref: string | null = null;
    try {
      ref = new URL(request.url).searchParams.get(this.refParam);
    } catch {
      ref = null;
    }
    return handleTaskCallback(request, {
      verify: "fetch",
      confirm: this.#confirm,
      store: this.#callbackStore,
      logger: this.transport.log,
      onTask: async (task) => {
        if (task.status !== "completed" && task.status !== "failed") return;
        const snap = (ref ? await this.store.get(ref) : undefined) ?? (await this.#findByTask(task.id));
        if (!snap) {
          this.transport.log.info(`callback for task ${task.id}: no job of this store (ignored)`);
          return;
        }
        if (snap.taskId !== undefined && snap.taskId !== task.id) {
          this.transport.log.warn(
            `callback for job ${snap.id} names task ${task.id}, but the job's task is ${snap.taskId}: ignored`,
          );
          return;
        }
        if (isTerminal(snap.state)) return;
        const job = new Job(this, snap);
        await job._observe(task, Date.now());
        this.#notify(job.toJSON());
      },
    });
  }

  async #findByTask(taskId: string): Promise<JobSnapshot | undefined> {
    return (await this.store.list()).find((s) => s.taskId === taskId);
  }
}
