/**
 * The half of src/jobs.ts that acts on jobs: submitting, waiting, stepping, downloading, resuming and callbacks. The
 * classes in src/jobs.ts load it with `import()` at their first action, so an app that creates, waits and downloads
 * without jobs (a browser app) does not load it, nor the webhook module it uses (issue 18: the browser bundle).
 */
import {
  DEFAULT_RESUME_DOWNLOADS,
  DEFAULT_RESUME_POLLS,
  DEFAULT_WAIT_TIMEOUT_MS,
  FIRST_UNKNOWN_POLL_MS,
  JOB_FORMAT_VERSION,
  MAX_CONSECUTIVE_POLL_ERRORS,
} from "../defaults.js";
import { type FileDownloadOptions, safeFileName } from "../download.js";
import { createEdit, followTask, getTask } from "../endpoints.js";
import {
  APIError,
  DownloadError,
  type JobPhase,
  KlingError,
  requestIdsOf,
  SubmitOutcomeUnknownError,
  TaskFailedError,
} from "../errors.js";
import {
  DIED_MID_CREATE,
  invalidOption,
  isTerminal,
  Job,
  type JobCore,
  type JobSnapshot,
  type Jobs,
  type ResumeSummary,
  UNFINISHED_JOB_STATES,
} from "../jobs.js";
import { createMayHaveBilled, endsWait, outcomeOf } from "../policy.js";
import { nextPollDelayMs, type PollState } from "../poll.js";
import { backoffDelayMs } from "../retry.js";
import { createBody } from "../schemas.js";
import type {
  CreatedTask,
  CreateEditParams,
  DownloadResult,
  JobWaitOptions,
  RequestOptions,
  ResumeOptions,
  SubmitOptions,
  Task,
  WithResponse,
} from "../types.js";
import { checkWaitOptions } from "../wait.js";
import { type ConfirmTask, handleCallback as handleTaskCallback, MemoryCallbackStore } from "../webhooks.js";
import { type Limit, limit } from "./limit.js";
import { CallScope, sleep } from "./scope.js";

const JOB_ID = /^[A-Za-z0-9._-]{1,128}$/;

function randomId(): string {
  const c = globalThis.crypto;
  const raw =
    typeof c?.randomUUID === "function" ? c.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  return `job-${raw}`;
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
    error.requestIds = [...new Set([...job.requestIds, ...(error.requestIds ?? [])])];
  }
  return error;
}

async function refresh(job: Job, core: JobCore): Promise<void> {
  const stored = await core.jobs.store.get(job.id);
  if (stored) job._adopt(stored);
}

/** A job found in `submitting`: its process died with the create in flight, so a task may exist. */
async function markUnknown(job: Job): Promise<void> {
  await job._transition({ state: "unknown", error: DIED_MID_CREATE });
}

/** `job.wait`. */
export async function waitJob(job: Job, core: JobCore, opts: JobWaitOptions): Promise<Job> {
  checkWaitOptions(opts);
  const scope = new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
  try {
    return await waitIn(job, core, scope, opts);
  } finally {
    scope.dispose();
  }
}

/** The wait inside one scope (a reconciled unknown job carries on in the same deadline). */
async function waitIn(job: Job, core: JobCore, scope: CallScope, opts: JobWaitOptions): Promise<Job> {
  await refresh(job, core);
  const s = core.snap;
  if (s.state === "completed" || s.state === "downloaded" || s.state === "expired") return job;
  if (s.state === "failed") throw tag(new TaskFailedError(s.task as Task), job, "wait");
  if (s.state === "new") throw tag(new KlingError(`Job ${s.id} was never submitted`), job, "wait");
  if (s.state === "unknown" || s.state === "submitting" || s.taskId === undefined) {
    await awaitReconciliation(job, core, scope);
    return waitIn(job, core, scope, opts);
  }
  const hasCallback = typeof s.params.callback_url === "string";
  let earliest = Date.now();
  try {
    await followTask(
      core.jobs.transport,
      s.taskId,
      { ...opts, signal: scope.signal },
      {
        scope,
        turn: turns.get(job),
        // A task seen just now (the create's answer) sets the first poll's time; a restored job looks at once.
        ...(s.task &&
        s.task.status !== "completed" &&
        s.task.status !== "failed" &&
        Date.now() - (s.looks?.lastAt ?? s.updatedAt) < FIRST_UNKNOWN_POLL_MS
          ? { created: s.task }
          : {}),
        callbackExpected: hasCallback,
        watch: (listener) => core.jobs._watch(job.id, (snap) => snap.task && listener(snap.task as Task)),
        known: async () => {
          const stored = await core.jobs.store.get(job.id);
          if (stored && stored.updatedAt > core.snap.updatedAt && stored.task && isTerminal(stored.state)) {
            job._adopt(stored);
            return stored.task as Task;
          }
          return undefined;
        },
        onTask: (task, previousLookAt) => {
          earliest = previousLookAt;
          // A status change on the way (pending -> processing) is stored too; the end is stored below, awaited.
          if (task.status !== "completed" && task.status !== "failed" && task.status !== core.snap.task?.status) {
            job
              ._observe(task, previousLookAt)
              .catch((err) =>
                core.jobs.transport.log.warn(`job ${job.id}: could not store its progress: ${String(err)}`),
              );
          }
        },
      },
      (requestId) => job._addRequestId(requestId),
    ).then(
      (task) => settleSeen(job, core, task, earliest),
      async (err) => {
        if (err instanceof TaskFailedError) await settleSeen(job, core, err.task, earliest);
        throw err;
      },
    );
  } catch (err) {
    throw tag(err, job, "wait");
  }
  return job;
}

/** Stores the end a poll (or a push) saw; `earliest` is the look before it: the task cannot have ended sooner. */
async function settleSeen(job: Job, core: JobCore, task: Task, earliest: number): Promise<void> {
  if (isTerminal(core.snap.state) && core.snap.taskId === task.id) return;
  await job._observe(task, earliest);
}

/** Waits for a callback (or another process) to reconcile an unknown job; rejects when none can come. */
async function awaitReconciliation(job: Job, core: JobCore, scope: CallScope): Promise<void> {
  const unknownError = () =>
    tag(new SubmitOutcomeUnknownError(job, typeof core.snap.params.callback_url === "string"), job, "submit");
  if (core.snap.state === "submitting") await markUnknown(job);
  if (typeof core.snap.params.callback_url !== "string") throw unknownError();
  let settled = false;
  // A confirmed callback in this process ends the current nap at once, not at the next look at the store.
  let nap = new AbortController();
  const unwatch = core.jobs._watch(job.id, () => {
    settled = true;
    nap.abort();
  });
  try {
    while (!settled && core.snap.taskId === undefined) {
      nap = new AbortController();
      try {
        await sleep(Math.min(2_000, scope.remaining()), AbortSignal.any([scope.signal, nap.signal]));
      } catch {
        if (!settled) throw unknownError();
      }
      await refresh(job, core);
      if (scope.remaining() <= 0) throw unknownError();
    }
  } finally {
    unwatch();
  }
  await refresh(job, core);
}

/** `job.step`. */
export async function stepJob(
  job: Job,
  core: JobCore,
  opts: RequestOptions,
): Promise<{ done: boolean; nextLookInMs: number }> {
  await refresh(job, core);
  const s = core.snap;
  if (s.state === "completed" || s.state === "downloaded" || s.state === "expired")
    return { done: true, nextLookInMs: 0 };
  if (s.state === "failed") throw tag(new TaskFailedError(s.task as Task), job, "wait");
  if (s.taskId === undefined || s.state !== "submitted") {
    if (s.state === "submitting") await markUnknown(job);
    throw tag(new SubmitOutcomeUnknownError(job, typeof s.params.callback_url === "string"), job, "submit");
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
    const { data, requestIds } = await getTask(core.jobs.transport, s.taskId, opts);
    for (const id of requestIds) job._addRequestId(id);
    task = data;
  } catch (err) {
    for (const id of requestIdsOf(err)) job._addRequestId(id);
    const errorsInRow = looks.errorsInRow + 1;
    if (endsWait(outcomeOf(err)) || errorsInRow >= MAX_CONSECUTIVE_POLL_ERRORS) throw tag(err, job, "wait");
    const hint = err instanceof APIError ? (err.retryAfterMs ?? 0) : 0;
    const delay = Math.max(nextPollDelayMs(state(now)), hint, backoffDelayMs(errorsInRow));
    await job._transition({ looks: { ...looks, count: looks.count + 1, errorsInRow, lastAt: now } });
    return { done: false, nextLookInMs: delay };
  }
  const next = { ...looks, count: looks.count + 1, errorsInRow: 0, lastAt: now };
  const estimate = task.task_info?.estimated_time;
  if (typeof estimate === "number" && estimate > 0) next.estimatedMs = estimate * 1000;
  if (typeof task.progress === "number" && task.progress > 0) {
    next.first ??= { at: now, progress: task.progress };
    next.last = { at: now, progress: task.progress };
  }
  core.snap = { ...core.snap, looks: next };
  await job._observe(task, looks.lastAt ?? s.submittedAt ?? now);
  if (task.status === "failed") throw tag(new TaskFailedError(task), job, "wait");
  if (task.status === "completed") return { done: true, nextLookInMs: 0 };
  if (core.snap.looks !== next) core.snap = { ...core.snap, looks: next };
  await job._transition({ looks: next });
  return {
    done: false,
    nextLookInMs: nextPollDelayMs({ ...state(Date.now()), polls: next.count, ...progressOf(next) }),
  };
}

/** `job.download`. */
export async function downloadJob(
  job: Job,
  core: JobCore,
  destination: string,
  opts: Omit<FileDownloadOptions, "fetch" | "logger" | "resume" | "onResumeState" | "expiresAt">,
): Promise<DownloadResult> {
  await refresh(job, core);
  const s = core.snap;
  if (s.state === "downloaded" && s.download && s.download.path === destination) {
    return { path: s.download.path, bytes: s.download.bytes, contentType: null, url: job.resultUrl ?? "" };
  }
  if (s.state !== "completed" && s.state !== "downloaded") {
    throw tag(
      new DownloadError(`Job ${s.id} has no result to download (state ${s.state})`, { reason: "no-result" }),
      job,
      "download",
    );
  }
  try {
    // The download checks the expiry (past it: reason expired, nothing sent; under an hour: a warning) and records
    // its partial file in the job, so a cut-off download resumes from it, in this call or after a restart.
    const resume = s.partial?.destination === destination ? s.partial.state : undefined;
    const result = await core.jobs.client.download(s.task as Task, destination, {
      ...opts,
      ...(s.resultExpiresAt !== undefined ? { expiresAt: s.resultExpiresAt } : {}),
      ...(resume ? { resume } : {}),
      onResumeState: async (state) => {
        const { partial: _old, ...rest } = core.snap;
        if (state) await job._transition({ partial: { destination, state } });
        else if (_old) {
          const next = { ...rest, updatedAt: Date.now() } as JobSnapshot;
          await core.jobs.store.put(next);
          core.snap = next;
        }
      },
    });
    await job._transition({ state: "downloaded", download: { path: result.path, bytes: result.bytes } });
    return result;
  } catch (err) {
    if (err instanceof DownloadError && err.reason === "expired") {
      await job._transition({
        state: "expired",
        error: { name: err.name, message: err.message, phase: "download" },
      });
    }
    throw tag(err, job, "download");
  }
}

/** `jobs.submit`. */
export async function submitJob(jobs: Jobs, params: CreateEditParams, opts: SubmitOptions): Promise<Job> {
  if (opts.id !== undefined && !JOB_ID.test(opts.id)) {
    throw invalidOption("id", `id must be 1-128 letters, digits, ".", "_" or "-" (got ${JSON.stringify(opts.id)})`);
  }
  if (opts.id !== undefined) {
    const existing = await jobs.store.get(opts.id);
    if (existing) return jobs.restore(existing);
  }
  const id = opts.id ?? randomId();
  const sent = withRef(jobs, params, id);
  // Validate before anything is stored: a bad input leaves no job behind.
  createBody(sent);
  const now = Date.now();
  const job = new Job(jobs, {
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
  let created: WithResponse<CreatedTask>;
  try {
    created = await createEdit(jobs.transport, sent, request);
  } catch (err) {
    for (const id of requestIdsOf(err)) job._addRequestId(id);
    if (!createMayHaveBilled(err)) {
      await jobs.store.delete(id);
      throw tag(err, job, "submit");
    }
    const message = err instanceof Error ? err.message : String(err);
    await record(jobs, job, {
      state: "unknown",
      error: { name: err instanceof Error ? err.name : "Error", message, phase: "submit" },
    });
    jobs.transport.log.warn(`job ${id}: the create's outcome is unknown (${message}); a task may exist`);
    return job;
  }
  for (const id of created.requestIds) job._addRequestId(id);
  await record(jobs, job, { state: "submitted", taskId: created.data.id, task: created.data });
  return job;
}

/**
 * Stores a job's state after a create that may have billed. A store that fails here must not turn a billed create
 * into a rejection (a rejection means no charge): the job keeps its state in memory, and the failure is logged with
 * the task id so it can be recorded by hand.
 */
async function record(jobs: Jobs, job: Job, patch: Partial<JobSnapshot>): Promise<void> {
  try {
    await job._transition(patch);
  } catch (err) {
    job._adopt({ ...job.toJSON(), ...patch, updatedAt: Date.now() });
    jobs.transport.log.error(
      `job ${job.id}: could not store its ${patch.state} state${patch.taskId ? ` (task ${patch.taskId})` : ""}: ${String(err)}`,
    );
  }
}

/** `callback_url` with the job's reference added, so a callback names its job. */
function withRef(jobs: Jobs, params: CreateEditParams, id: string): CreateEditParams {
  if (typeof params.callback_url !== "string") return params;
  let url: URL;
  try {
    url = new URL(params.callback_url);
  } catch {
    return params; // the rules check reports it
  }
  url.searchParams.set(jobs.refParam, id);
  return { ...params, callback_url: url.toString() };
}

/** The GET limit of the `resumeAll` following a job, which its wait polls through (see `waitIn`). */
const turns = new WeakMap<Job, Limit>();

/** `jobs.resumeAll`. */
export async function resumeAllJobs(jobs: Jobs, opts: ResumeOptions): Promise<ResumeSummary> {
  const polls = opts.pollConcurrency ?? DEFAULT_RESUME_POLLS;
  if (!Number.isSafeInteger(polls) || polls < 1) {
    throw invalidOption("pollConcurrency", `pollConcurrency must be a whole number >= 1 (got ${String(polls)})`);
  }
  const list = await jobs.list({ state: [...UNFINISHED_JOB_STATES, "unknown"] });
  const summary: ResumeSummary = { jobs: list, unknown: [], errors: [] };
  // Waits hold nothing but a timer: every job is followed at once, each on its own schedule. Their GETs take turns
  // (a restart with thousands of jobs sends no burst), and so do downloads (bandwidth, disk).
  const turn = limit(polls);
  const downloads = limit(Math.max(1, opts.concurrency ?? DEFAULT_RESUME_DOWNLOADS));
  const follow = async (job: Job) => {
    if (job.state === "unknown" && typeof job.params.callback_url !== "string") {
      summary.unknown.push(job);
      opts.onJob?.(job);
      return;
    }
    try {
      turns.set(job, turn);
      await job.wait({
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
      const destination =
        job.toJSON().destination ??
        (opts.downloadDir && job.taskId ? `${opts.downloadDir}/${safeFileName(job.taskId)}.mp4` : undefined);
      if (destination && job.state === "completed") {
        await downloads(
          () => job.download(destination, { ...opts.download, ...(opts.signal ? { signal: opts.signal } : {}) }),
          opts.signal,
        );
      }
      opts.onJob?.(job);
    } catch (error) {
      if (error instanceof SubmitOutcomeUnknownError) summary.unknown.push(job);
      else summary.errors.push({ job, error });
      opts.onJob?.(job, error);
    } finally {
      turns.delete(job);
    }
  };
  await Promise.all(list.map(follow));
  return summary;
}

/** `jobs.resubmit`. */
export async function resubmitJob(jobs: Jobs, job: Job, opts: Omit<SubmitOptions, "id">): Promise<Job> {
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
    url.searchParams.delete(jobs.refParam);
    params.callback_url = url.toString();
  }
  const next = await jobs.submit(params, {
    ...opts,
    ...(old.destination !== undefined && opts.destination === undefined ? { destination: old.destination } : {}),
    metadata: { ...old.metadata, ...opts.metadata, resubmittedFrom: old.id },
  });
  await next._transition({ resubmittedFrom: old.id });
  await job._transition({ resubmittedAs: next.id });
  return next;
}

/** Each `Jobs`' idempotency store and confirm function: one function per `Jobs`, so confirmations coalesce per task. */
const callbackState = new WeakMap<Jobs, { store: MemoryCallbackStore; confirm: ConfirmTask }>();

/** `jobs.handleCallback`; `notify` tells the waits of this process about the job's new state. */
export async function handleJobCallback(
  jobs: Jobs,
  request: Request,
  notify: (snap: JobSnapshot) => void,
): Promise<Response> {
  let state = callbackState.get(jobs);
  if (!state) {
    state = {
      store: new MemoryCallbackStore(),
      confirm: (id, signal) =>
        getTask(jobs.transport, id, { signal, timeoutMs: 8_000, maxRetries: 1 }).then((r) => r.data),
    };
    callbackState.set(jobs, state);
  }
  let ref: string | null = null;
  try {
    ref = new URL(request.url).searchParams.get(jobs.refParam);
  } catch {
    ref = null;
  }
  return handleTaskCallback(request, {
    verify: "fetch",
    confirm: state.confirm,
    store: state.store,
    logger: jobs.transport.log,
    onTask: async (task) => {
      if (task.status !== "completed" && task.status !== "failed") return;
      const snap =
        (ref ? await jobs.store.get(ref) : undefined) ?? (await jobs.store.list()).find((s) => s.taskId === task.id);
      if (!snap) {
        jobs.transport.log.info(`callback for task ${task.id}: no job of this store (ignored)`);
        return;
      }
      if (snap.taskId !== undefined && snap.taskId !== task.id) {
        jobs.transport.log.warn(
          `callback for job ${snap.id} names task ${task.id}, but the job's task is ${snap.taskId}: ignored`,
        );
        return;
      }
      if (isTerminal(snap.state)) return;
      const job = new Job(jobs, snap);
      await job._observe(task, Date.now());
      notify(job.toJSON());
    },
  });
}
