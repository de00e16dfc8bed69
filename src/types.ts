/**
 * The public types: wire types straight from generated/schema.ts (snake_case, as the API sends and receives them) and
 * the client's options.
 */
import type { components } from "../generated/schema.js";
import type { TaskStatus as SpecTaskStatus, TaskDetail } from "../generated/spec-facts.js";
// Named by the options' @default links below (a type-only import: erased, types.ts has no runtime code).
import type {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  DEFAULT_MAX_RETRIES,
  DEFAULT_RESUME_DOWNLOADS,
  DEFAULT_RESUME_POLLS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WAIT_TIMEOUT_MS,
} from "./defaults.js";
import type { Job, JobStore } from "./jobs.js";
import type { Logger, LogLevel } from "./logger.js";

/** A task as `GET /v1/tasks/{task_id}` returns it (and as a callback delivers it). */
export type Task = TaskDetail;
/** The create response: the new task, usually `pending`, with `task_info.estimated_time` when the API knows it. */
export type CreatedTask = components["schemas"]["VideoGenerationResponse"];
/** A task's status: one of the spec's `TASK_STATUS_VALUES`. */
export type TaskStatus = SpecTaskStatus;
/** The full create body as the spec defines it. */
export type VideoGenerationRequest = components["schemas"]["VideoGenerationRequest"];

/**
 * The create parameters: the wire's own snake_case body (`video_urls`, `aspect_ratio`, `callback_url`), so what you
 * write is what is sent and what the API's `error.param` names. `model` is optional.
 * @example { prompt: "Make the video more cinematic", video_urls: ["https://example.com/in.mp4"] }
 */
export type CreateEditParams = AcceptReadonly<Omit<VideoGenerationRequest, "model">> & {
  /** The model. @default "kling-o1-video-edit" */
  model?: string;
};

/** Array fields also accept readonly arrays (`as const` literals): the client never mutates them. */
type AcceptReadonly<T> = { [K in keyof T]: ReadonlyArrays<T[K]> };
type ReadonlyArrays<V> = V extends (infer U)[] ? readonly U[] : V;

/** A result with its HTTP response, as `withResponse()` gives it. */
export interface WithResponse<T> {
  /** The parsed, validated body. */
  data: T;
  /** The raw response (its body has been read). */
  response: Response;
  /** The request id header (`x-request-id` or `request-id`), or `null` when the server sends none. */
  requestId: string | null;
  /**
   * Every attempt's request id, in order, when the call was retried (a 503 then a 200: both); the last is
   * `requestId`. Attempts answered without one are left out.
   */
  requestIds: string[];
}

/** Options of every call. */
export interface RequestOptions {
  /** Aborts the call at any stage (request, retry wait, poll, download); it then throws `APIUserAbortError`. */
  signal?: AbortSignal;
  /** The call's total deadline in ms, across every retry and wait. @default the client's `timeoutMs` ({@link DEFAULT_TIMEOUT_MS}) */
  timeoutMs?: number;
  /** Retries after the first attempt. @default the client's `maxRetries` ({@link DEFAULT_MAX_RETRIES}) */
  maxRetries?: number;
  /** Extra request headers (`Authorization` is set by the client and cannot be overridden here). */
  headers?: Record<string, string>;
  /**
   * Create only: also retry after outcomes where the task may already exist (500, 502, 504, 408, a reset). This can
   * create and bill a task twice. @default false
   */
  retryUnsafe?: boolean;
}

/** Options of `tasks.wait` and `edits.createAndWait`. */
export interface WaitOptions extends Omit<RequestOptions, "retryUnsafe"> {
  /** Total time to wait for the task to finish, in ms, polls and sleeps included. @default {@link DEFAULT_WAIT_TIMEOUT_MS} (30 minutes) */
  timeoutMs?: number;
  /** A fixed poll interval in ms instead of the adaptive schedule. @default adaptive (see README "Usage") */
  pollIntervalMs?: number;
  /** Called with the task whenever its status or progress changes (not on every poll). */
  onProgress?(task: Task): void;
}

/** Options of `edits.createAndWait`. */
export interface CreateAndWaitOptions extends WaitOptions {
  /** Called once with the created task, before the first poll (save its id: it is your receipt). */
  onCreated?(task: CreatedTask): void;
  /** See {@link RequestOptions.retryUnsafe}. @default false */
  retryUnsafe?: boolean;
}

/** Options of a result download. */
export interface DownloadOptions {
  /** Aborts the download; the partial file is deleted and `APIUserAbortError` thrown. */
  signal?: AbortSignal;
  /** Total time for the download in ms. @default {@link DEFAULT_DOWNLOAD_TIMEOUT_MS} (15 minutes) */
  timeoutMs?: number;
  /** Called as bytes arrive, with the announced total (`Content-Length`) or `null` when unknown. */
  onProgress?(bytes: number, total: number | null): void;
  /** Refuse files larger than this (checked against `Content-Length` first, then while streaming). @default {@link DEFAULT_MAX_DOWNLOAD_BYTES} (2 GiB) */
  maxBytes?: number;
  /** Allow `http://` result URLs (the mock server serves them). @default false */
  allowInsecure?: boolean;
  /** Which of the task's `results` to download. @default 0 */
  index?: number;
}

/** What a download wrote. */
export interface DownloadResult {
  /** The absolute path of the written file. */
  path: string;
  /** Bytes written. */
  bytes: number;
  /** The result's `Content-Type`, or `null`. */
  contentType: string | null;
  /** The URL downloaded. */
  url: string;
}

/** Options of {@link createKlingClient}. */
export interface ClientOptions {
  /** The API key, sent as `Authorization: Bearer ...`. @default process.env.KLING_API_KEY */
  apiKey?: string;
  /** The API's base URL (requests go to `${baseUrl}/v1/...`). @default process.env.KLING_BASE_URL, else the spec's server */
  baseUrl?: string;
  /** The fetch implementation (for tests, proxies, or runtimes without a global fetch). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Each call's total deadline in ms, across retries. @default {@link DEFAULT_TIMEOUT_MS} */
  timeoutMs?: number;
  /** Retries after the first attempt. @default {@link DEFAULT_MAX_RETRIES} */
  maxRetries?: number;
  /**
   * Check every 2xx body with the spec's generated validators: `true` throws `ContractViolationError`, `"warn"` logs
   * and returns the body, `false` skips the check. @default true
   */
  validateResponses?: boolean | "warn";
  /** Where log lines go (`console` fits). @default none: silent */
  logger?: Logger;
  /** The lowest level passed to `logger`. @default "info" */
  logLevel?: LogLevel;
  /** Retry creates after outcomes where a task may already exist; see {@link RequestOptions.retryUnsafe}. @default false */
  retryUnsafe?: boolean;
  /** Durable jobs: where they are stored (`fileJobStore(dir)` survives restarts). @default an in-memory store */
  jobs?: JobsOptions;
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
  /** How many downloads run at once (every job is followed at once: a wait holds only a timer). @default {@link DEFAULT_RESUME_DOWNLOADS} */
  concurrency?: number;
  /**
   * How many GETs are in flight at once across all the jobs followed (each job still polls on its own schedule).
   * @default {@link DEFAULT_RESUME_POLLS}
   */
  pollConcurrency?: number;
  /** Called as each job settles (or fails to). */
  onJob?(job: Job, error?: unknown): void;
  /** Download options (`allowInsecure` for the mock). */
  download?: Omit<DownloadOptions, "signal" | "timeoutMs">;
}
