/**
 * `kling-o1-video-edit/queue`: edits as BullMQ jobs on Redis, for many workers on many machines. BullMQ (and ioredis)
 * are optional peer dependencies: install them to use this entry.
 *
 * Each edit is one durable job (src/jobs.ts) whose `toJSON()` lives in its BullMQ job's data, updated at every
 * transition before the worker acts on it: the BullMQ job is the store. Two BullMQ queues carry it:
 * - `<name>` holds edits waiting to be submitted. Its workers share BullMQ's global rate limiter (one limit for the
 *   account, across every worker), and a 429 from the API calls `worker.rateLimit` with the server's hint, so every
 *   worker backs off. A worker that dies while `submitting` leaves the job in that state; BullMQ's stalled-job
 *   recovery hands it to another worker, which marks it `unknown` and never sends it again.
 * - `<name>-follow` holds submitted edits. Each activation is one look at the task; between looks the job moves
 *   itself to delayed until its next poll time, so waiting holds no worker slot. A confirmed callback
 *   (`handleQueueCallback`) promotes it out of delayed at once.
 */
import { type Job as BullJob, type ConnectionOptions, DelayedError, Queue, UnrecoverableError, Worker } from "bullmq";
import type { KlingClient } from "../client.js";
import { DEFAULT_WAIT_TIMEOUT_MS, DEFAULT_WORKER_CONCURRENCY } from "../defaults.js";
import { safeFileName } from "../download.js";
import { DownloadError, KlingError, RateLimitError, SubmitOutcomeUnknownError, TaskFailedError } from "../errors.js";
import type { Job, JobSnapshot, JobState, JobStore } from "../jobs.js";
import { createMayHaveBilled, isTransient, outcomeOf } from "../policy.js";
import { backoffDelayMs } from "../retry.js";
import type { CreateEditParams } from "../types.js";

/** How often an unknown edit with a callback looks at its stored state again, in ms (the callback promotes it sooner). */
const UNKNOWN_RECHECK_MS = 60_000;

/** The queue's default name. */
export const DEFAULT_QUEUE_NAME = "kling-edits";
/** A job's data in BullMQ: the edit's parameters and, once it started, its durable job. */
export interface EditJobData {
  params: CreateEditParams;
  /** `job.toJSON()`, updated before every step. */
  job?: JobSnapshot;
  /** Where the result goes (a folder; the file is `<task id>.mp4`), when the worker downloads. */
  destination?: string;
  /** Why the API refused the create (nothing billed). */
  refused?: string;
}
/** What a finished BullMQ job returns. */
export interface EditJobResult {
  state: JobState;
  taskId?: string;
  path?: string;
  bytes?: number;
}

/** Redis connection: a `redis://host:port/db` URL, or ioredis options, or an ioredis instance. */
export type QueueConnection = string | ConnectionOptions;

/** Reads a `redis://` URL into ioredis options (BullMQ takes options or an instance, not a URL). */
export function connectionOf(connection: QueueConnection): ConnectionOptions {
  if (typeof connection !== "string") return connection;
  const url = new URL(connection);
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new KlingError(`Queue connection must be a redis:// URL (got ${url.protocol})`);
  }
  const db = url.pathname.replace("/", "");
  return {
    host: url.hostname || "127.0.0.1",
    port: Number(url.port || 6379),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(url.protocol === "rediss:" ? { tls: {} } : {}),
    // BullMQ workers block on Redis: they need ioredis to retry forever instead of failing a command.
    maxRetriesPerRequest: null,
  };
}

const followName = (name: string) => `${name}-follow`;

/** A JobStore over one BullMQ job's data: the job's only store. */
function bullStore(bull: BullJob<EditJobData>): JobStore {
  return {
    async get(id) {
      return id === bull.id ? bull.data.job : undefined;
    },
    async put(job) {
      await bull.updateData({ ...bull.data, job });
    },
    async list() {
      return bull.data.job ? [bull.data.job] : [];
    },
    async delete() {
      const { job: _job, ...rest } = bull.data;
      await bull.updateData(rest);
    },
  };
}

/** Options of {@link createEditQueue}. */
export interface EditQueueOptions {
  connection: QueueConnection;
  /** @default {@link DEFAULT_QUEUE_NAME} */
  name?: string;
}

/** The producer side: enqueue edits and read their state. */
export interface EditQueue {
  /**
   * Enqueues an edit. A given `jobId` makes it idempotent: adding the same id again adds nothing (a re-run of the
   * same manifest enqueues nothing twice). Resolves with the job id.
   */
  add(params: CreateEditParams, opts?: { jobId?: string; destination?: string }): Promise<string>;
  /** The durable job of an edit (its `toJSON()`), wherever it is, or `undefined`. */
  getJob(
    jobId: string,
  ): Promise<{ state: JobState | "queued" | "refused"; job?: JobSnapshot; refused?: string } | undefined>;
  /** Edits per job state (`queued` for those not started yet, `refused` for creates the API refused). */
  counts(): Promise<Record<string, number>>;
  /** Every edit's state, by job id. */
  states(): Promise<Map<string, JobState | "queued" | "refused">>;
  /** The BullMQ queues, for dashboards. */
  readonly queues: { submit: Queue; follow: Queue };
  close(): Promise<void>;
}

/** Creates the producer side of the edit queue. */
export function createEditQueue(options: EditQueueOptions): EditQueue {
  const connection = connectionOf(options.connection);
  const name = options.name ?? DEFAULT_QUEUE_NAME;
  const submit = new Queue<EditJobData>(name, { connection });
  const follow = new Queue<EditJobData>(followName(name), { connection });
  const stateOf = (bull: BullJob<EditJobData>): JobState | "queued" | "refused" => {
    if (bull.data.refused !== undefined) return "refused";
    const state = bull.data.job?.state ?? "queued";
    // A BullMQ job that failed for good (a download refused or failed every attempt) is done, whatever its edit's
    // state says: report it as failed, with BullMQ's reason on the job.
    return bull.failedReason && bull.finishedOn && state !== "unknown" ? "failed" : state;
  };
  const all = async (): Promise<Map<string, JobState | "queued" | "refused">> => {
    const out = new Map<string, JobState | "queued" | "refused">();
    for (const queue of [submit, follow]) {
      const jobs = await queue.getJobs(["waiting", "active", "delayed", "completed", "failed", "prioritized"]);
      for (const bull of jobs) {
        if (!bull?.id) continue;
        const state = stateOf(bull);
        // The follow queue's copy is the newer one.
        if (queue === follow || !out.has(bull.id)) out.set(bull.id, state);
      }
    }
    return out;
  };
  return {
    queues: { submit, follow },
    async add(params, opts = {}) {
      const data: EditJobData = { params, ...(opts.destination ? { destination: opts.destination } : {}) };
      const bull = await submit.add("edit", data, {
        ...(opts.jobId ? { jobId: opts.jobId } : {}),
        removeOnComplete: false,
        removeOnFail: false,
      });
      return bull.id as string;
    },
    async getJob(jobId) {
      const bull = (await follow.getJob(jobId)) ?? (await submit.getJob(jobId));
      if (!bull) return undefined;
      return {
        state: stateOf(bull),
        ...(bull.data.job ? { job: bull.data.job } : {}),
        ...(bull.data.refused ? { refused: bull.data.refused } : {}),
      };
    },
    async states() {
      return all();
    },
    async counts() {
      const counts: Record<string, number> = {};
      for (const state of (await all()).values()) counts[state] = (counts[state] ?? 0) + 1;
      return counts;
    },
    async close() {
      await Promise.all([submit.close(), follow.close()]);
    },
  };
}

/** Options of {@link createEditWorker}. */
export interface EditWorkerOptions {
  connection: QueueConnection;
  /** The client that talks to the API (its key, base URL, retries). */
  client: KlingClient;
  /** Edits this worker handles at once, per queue (submits and looks). @default {@link DEFAULT_WORKER_CONCURRENCY} */
  concurrency?: number;
  /**
   * At most `max` creates start in any `duration` ms, across every worker of the queue (BullMQ's global limiter,
   * spaced evenly: see {@link evenLimiter}). A request leaves after its job's state is written, so a busy host can let
   * one extra reach the server in a window (its 429 then pauses every worker).
   */
  limiter?: { max: number; duration: number };
  /** Download each completed result here as `<task id>.mp4` (resumable). */
  downloadDir?: string;
  /** Called with each completed job (after its download, if any). */
  onCompleted?(job: Job): void | Promise<void>;
  /** Download options (`allowInsecure` for the mock). */
  download?: { allowInsecure?: boolean; maxBytes?: number };
  /** @default {@link DEFAULT_QUEUE_NAME} */
  name?: string;
  /** How long a stalled job's lock lasts before another worker takes it over, in ms. @default 30000 (BullMQ's) */
  lockDuration?: number;
}

/** A running worker (both queues). */
export interface EditWorker {
  readonly workers: { submit: Worker; follow: Worker };
  /** Stops taking work; waits for what it holds (or, with `force`, hands it back at once). */
  close(force?: boolean): Promise<void>;
}

/** Starts a worker: it submits queued edits (rate-limited), follows submitted ones, downloads results. */
export function createEditWorker(options: EditWorkerOptions): EditWorker {
  const connection = connectionOf(options.connection);
  const name = options.name ?? DEFAULT_QUEUE_NAME;
  const follow = new Queue<EditJobData>(followName(name), { connection });
  const concurrency = options.concurrency ?? DEFAULT_WORKER_CONCURRENCY;
  // A job is safe to run again at any point (it resumes from its stored state and never resends a create), so a
  // stalled job is always handed to another worker: BullMQ's default (fail it after one stall) would lose edits.
  const lock = {
    maxStalledCount: Number.MAX_SAFE_INTEGER,
    ...(options.lockDuration !== undefined
      ? { lockDuration: options.lockDuration, stalledInterval: Math.max(500, Math.round(options.lockDuration / 2)) }
      : {}),
  };
  const log = (message: string) => (options.client.jobs.transport.log.info as (m: string) => void)(message);

  const handOver = async (bull: BullJob<EditJobData>, job: Job): Promise<EditJobResult> => {
    await follow.add(
      "follow",
      { ...bull.data, job: job.toJSON() },
      // A download cut off or a poll that failed in a row is tried again later (the job resumes from its state).
      {
        jobId: bull.id as string,
        removeOnComplete: false,
        removeOnFail: false,
        attempts: 3,
        backoff: { type: "exponential", delay: 2_000 },
      },
    );
    return { state: job.state, ...(job.taskId ? { taskId: job.taskId } : {}) };
  };

  const submitWorker: Worker<EditJobData, EditJobResult> = new Worker<EditJobData, EditJobResult>(
    name,
    async (bull) => {
      const jobs = options.client.jobs.withStore(bullStore(bull));
      const id = bull.id as string;
      // A job already started: a worker died mid-way. submit() with its id returns the stored job (a job stored in
      // submitting comes back unknown) and sends nothing.
      let job: Job;
      try {
        job = await jobs.submit(bull.data.params, { id, maxRetries: 0 });
      } catch (err) {
        if (err instanceof RateLimitError || (isTransient(outcomeOf(err)) && !createMayHaveBilled(err))) {
          // Refused for now (nothing billed): every worker of the queue pauses for the server's hint.
          const wait = (err instanceof RateLimitError ? err.retryAfterMs : null) ?? backoffDelayMs(bull.attemptsMade);
          await submitWorker.rateLimit(wait);
          throw Worker.RateLimitError();
        }
        await bull.updateData({ ...bull.data, refused: err instanceof Error ? err.message : String(err) });
        throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
      }
      await bull.updateProgress({ status: job.state });
      return handOver(bull, job);
    },
    { connection, concurrency, ...(options.limiter ? { limiter: evenLimiter(options.limiter) } : {}), ...lock },
  );

  const followWorker = new Worker<EditJobData, EditJobResult>(
    followName(name),
    async (bull, token) => {
      const jobs = options.client.jobs.withStore(bullStore(bull));
      const job = await jobs.get(bull.id as string);
      if (!job) throw new UnrecoverableError(`job ${bull.id} has no stored state`);
      try {
        if (job.state === "unknown" || job.state === "submitting") {
          // With a callback, the callback can still name this job's task (handleQueueCallback promotes it): keep it
          // delayed, looking now and then, until a wait's worth of time has passed.
          const since = job.toJSON().submittedAt ?? job.toJSON().createdAt;
          if (typeof job.params.callback_url === "string" && Date.now() - since < DEFAULT_WAIT_TIMEOUT_MS) {
            await bull.moveToDelayed(Date.now() + UNKNOWN_RECHECK_MS, token);
            throw new DelayedError();
          }
          return { state: "unknown" };
        }
        if (job.state === "submitted") {
          const { done, nextLookInMs } = await job.step();
          await bull.updateProgress({ status: job.task?.status ?? job.state, progress: job.task?.progress ?? 0 });
          if (!done) {
            await bull.moveToDelayed(Date.now() + nextLookInMs, token);
            throw new DelayedError();
          }
        }
        let result: EditJobResult = { state: job.state, ...(job.taskId ? { taskId: job.taskId } : {}) };
        if (job.state === "completed" && options.downloadDir) {
          const file = `${options.downloadDir}/${safeFileName(job.taskId ?? job.id)}.mp4`;
          const written = await job.download(file, options.download ?? {});
          result = { ...result, state: job.state, path: written.path, bytes: written.bytes };
        }
        if (job.state === "completed" || job.state === "downloaded") await options.onCompleted?.(job);
        await bull.updateProgress({ status: job.state, progress: 100 });
        return result;
      } catch (err) {
        if (err instanceof DelayedError) throw err;
        if (err instanceof SubmitOutcomeUnknownError) return { state: "unknown" };
        if (err instanceof TaskFailedError) throw new UnrecoverableError(err.message);
        if (err instanceof DownloadError && ["expired", "insecure", "too-large", "no-result"].includes(err.reason)) {
          throw new UnrecoverableError(err.message);
        }
        log(`queue job ${bull.id}: ${(err as Error).message}`);
        throw err;
      }
    },
    { connection, concurrency, ...lock },
  );
  return {
    workers: { submit: submitWorker, follow: followWorker },
    async close(force = false) {
      await Promise.all([submitWorker.close(force), followWorker.close(force)]);
      await follow.close();
    },
  };
}

/**
 * BullMQ's limiter counts jobs per fixed window, so `max` per window can put 2 x `max` creates into one sliding window
 * that straddles a boundary. One create per `duration / max` (plus 10% for the moments between a worker starting a
 * job and its request leaving) keeps every sliding window of `duration` within `max`.
 */
export function evenLimiter(limiter: { max: number; duration: number }): { max: number; duration: number } {
  if (!(limiter.max >= 1) || !(limiter.duration > 0)) {
    throw new KlingError(`limiter needs max >= 1 and duration > 0 (got ${limiter.max} per ${limiter.duration} ms)`);
  }
  return { max: 1, duration: Math.ceil((limiter.duration / limiter.max) * 1.1) };
}

/** Options of {@link handleQueueCallback}. */
export interface QueueCallbackOptions {
  connection: QueueConnection;
  /** Confirms the callback with a GET (the client's key). */
  client: KlingClient;
  /** @default {@link DEFAULT_QUEUE_NAME} */
  name?: string;
}

/**
 * Handles a task callback for queued edits (Fetch `Request` in, `Response` out): confirms it as `jobs.handleCallback`
 * does (a GET; terminal status; the same id), stores the job's new state in its BullMQ job, and promotes it out of
 * delayed so a worker notices the end at once. The edit is found by the `kling_job` reference in the URL.
 */
export async function handleQueueCallback(request: Request, options: QueueCallbackOptions): Promise<Response> {
  const connection = connectionOf(options.connection);
  const name = options.name ?? DEFAULT_QUEUE_NAME;
  let ref: string | null = null;
  try {
    ref = new URL(request.url).searchParams.get(options.client.jobs.refParam);
  } catch {
    ref = null;
  }
  const follow = new Queue<EditJobData>(followName(name), { connection });
  try {
    const bull = ref ? await follow.getJob(ref) : undefined;
    if (!bull) {
      // Not (yet) a followed edit: let the API retry, the worker may still be handing it over.
      return Response.json(
        { error: { code: 503, message: "Unknown job; retry", type: "service_unavailable" } },
        { status: 503 },
      );
    }
    const jobs = options.client.jobs.withStore(bullStore(bull));
    const response = await jobs.handleCallback(request);
    if (response.ok && (await bull.isDelayed())) await bull.promote();
    return response;
  } finally {
    await follow.close();
  }
}
