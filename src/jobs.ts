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
import { DEFAULT_JOB_REF_PARAM, JOB_FORMAT_VERSION, RESULT_TTL_MS } from "./defaults.js";
import type { DownloadResumeState, FileDownloadOptions } from "./download.js";
import { type JobPhase, RequestValidationError, TaskFailedError } from "./errors.js";
import { loadJobsRun } from "./lazy.js";
import type { Transport } from "./request.js";
import type {
  CreatedTask,
  CreateEditParams,
  DownloadResult,
  JobsOptions,
  JobWaitOptions,
  RequestOptions,
  ResumeOptions,
  SubmitOptions,
  Task,
} from "./types.js";

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

/** What `resumeAll` did, by the state each job ended in. */
export interface ResumeSummary {
  jobs: Job[];
  /** Jobs whose create's outcome is unknown: reported, never resubmitted (see `jobs.resubmit`). */
  unknown: Job[];
  /** Jobs that could not be carried on, with why (a failed task, a wait that timed out, a download that failed). */
  errors: { job: Job; error: unknown }[];
}

/** @internal Why a job restored in `submitting` is `unknown`. */
export const DIED_MID_CREATE = {
  name: "SubmitOutcomeUnknownError",
  message: "the process stopped while the create was in flight",
  phase: "submit",
} as const;

/** @internal */
export function isTerminal(state: JobState): boolean {
  return state === "completed" || state === "failed" || state === "downloaded" || state === "expired";
}

/** @internal */
export function invalidOption(field: string, message: string): RequestValidationError {
  return new RequestValidationError([{ field, param: field, rule: "format", message }]);
}

/**
 * The code that acts on jobs (src/internal/jobs-run.ts), loaded at the first action (src/lazy.ts): an app that never
 * uses jobs (a browser app that creates, waits and downloads) does not load it, nor the webhook module (issue 18).
 */
const run = loadJobsRun;

/** @internal A job's state, shared with the code that acts on it (src/internal/jobs-run.ts). */
export interface JobCore {
  snap: JobSnapshot;
  readonly jobs: Jobs;
}

/** The life of one edit. Made by `jobs.submit`, `jobs.restore` or `jobs.get`; saved to the store at every step. */
export class Job {
  readonly #core: JobCore;

  /** @internal Made by {@link Jobs}. */
  constructor(jobs: Jobs, snapshot: JobSnapshot) {
    this.#core = { snap: snapshot, jobs };
  }

  /** The client-side id, stable for the job's life. */
  get id(): string {
    return this.#core.snap.id;
  }
  get state(): JobState {
    return this.#core.snap.state;
  }
  /** The last task seen, or `undefined` before the create answered. */
  get task(): Task | CreatedTask | undefined {
    return this.#core.snap.task;
  }
  get taskId(): string | undefined {
    return this.#core.snap.taskId;
  }
  /** Every request id of the job's requests, oldest first. */
  get requestIds(): readonly string[] {
    return this.#core.snap.requestIds;
  }
  /** The result URL once completed. */
  get resultUrl(): string | undefined {
    const s = this.#core.snap;
    const results = (s.task as Task | undefined)?.results;
    return s.state === "completed" || s.state === "downloaded" ? results?.[0] : undefined;
  }
  /** When the result link expires (a `Date`), once completed. */
  get resultExpiresAt(): Date | undefined {
    const at = this.#core.snap.resultExpiresAt;
    return at === undefined ? undefined : new Date(at);
  }
  /** The parameters as sent. */
  get params(): CreateEditParams {
    return this.#core.snap.params;
  }
  get metadata(): Readonly<Record<string, string | number | boolean>> {
    return this.#core.snap.metadata ?? {};
  }
  /** A versioned plain object with no key or secret: store it anywhere; `jobs.restore` continues from it. */
  toJSON(): JobSnapshot {
    return structuredClone(this.#core.snap);
  }

  /** @internal Stores the new state first, then takes it (write-ahead). */
  async _transition(patch: Partial<JobSnapshot>): Promise<void> {
    const next: JobSnapshot = { ...this.#core.snap, ...patch, updatedAt: Date.now() };
    await this.#core.jobs.store.put(next);
    this.#core.snap = next;
  }

  /** @internal Takes a state another party stored (a callback, another process). */
  _adopt(snapshot: JobSnapshot): void {
    if (snapshot.updatedAt >= this.#core.snap.updatedAt) this.#core.snap = snapshot;
  }

  /** @internal */
  _addRequestId(id: string | null | undefined): void {
    const s = this.#core.snap;
    if (id && !s.requestIds.includes(id)) this.#core.snap = { ...s, requestIds: [...s.requestIds, id] };
  }

  /** @internal Records a task seen at `lookedAt`'s predecessor; stored when the state changes. */
  async _observe(task: Task, previousLookAt: number): Promise<void> {
    const s = this.#core.snap;
    const patch: Partial<JobSnapshot> = { task, taskId: task.id };
    if (task.status === "completed" && !isTerminal(s.state)) {
      patch.state = "completed";
      patch.completedAt = previousLookAt;
      patch.resultExpiresAt = previousLookAt + RESULT_TTL_MS;
    } else if (task.status === "failed" && !isTerminal(s.state)) {
      patch.state = "failed";
      patch.error = { name: "TaskFailedError", message: new TaskFailedError(task).message, phase: "wait" };
    }
    if (patch.state !== undefined || s.task?.status !== task.status) await this._transition(patch);
    else this.#core.snap = { ...s, ...patch };
  }

  /**
   * Waits until the task ends: resolves with this job `completed` (or already `downloaded`); rejects with
   * `TaskFailedError` for `failed`, and with `SubmitOutcomeUnknownError` (carrying the job) for `unknown`. A job with
   * a `callback_url` ends as soon as `jobs.handleCallback` confirms its callback (in this process) or the store says
   * so (another process); meanwhile it polls sparsely, so a lost callback still ends the wait.
   */
  async wait(opts: JobWaitOptions = {}): Promise<Job> {
    return (await run()).waitJob(this, this.#core, opts);
  }

  /**
   * One look at the task, for schedulers that hold no process while a task renders (the queue): a GET, the job's new
   * state stored, and when to look next (the same schedule and policy as `job.wait`). Throws (tagged `wait`) when the
   * wait must end: a permanent answer, too many failures in a row, or `TaskFailedError` for a failed task.
   */
  async step(opts: RequestOptions = {}): Promise<{ done: boolean; nextLookInMs: number }> {
    return (await run()).stepJob(this, this.#core, opts);
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
    return (await run()).downloadJob(this, this.#core, destination, opts);
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
    return (await run()).submitJob(this, params, opts);
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
    return (await run()).resumeAllJobs(this, opts);
  }

  /**
   * The explicit way to submit an `unknown` (or failed, or expired) job's edit again: a new job with the same
   * parameters, linked both ways (`resubmittedFrom`, `resubmittedAs`). This may pay twice if the first task exists.
   */
  async resubmit(job: Job, opts: Omit<SubmitOptions, "id"> = {}): Promise<Job> {
    return (await run()).resubmitJob(this, job, opts);
  }

  /**
   * Handles a task callback (Fetch `Request` in, `Response` out, with the webhook module's limits): confirms it with a
   * GET (terminal status, same id), stores the job's new state, and a `job.wait` in this process ends at once. The job
   * is found by the `kling_job` reference in the URL, else by task id; an `unknown` job learns its task id here.
   */
  async handleCallback(request: Request): Promise<Response> {
    return (await run()).handleJobCallback(this, request, (snap) => this.#notify(snap));
  }
}
