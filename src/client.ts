/**
 * The client: resources over one request loop (src/request.ts). `edits` and `tasks` describe their endpoint and call
 * the loop; waits go through the one wait loop (src/wait.ts); `jobs` (src/jobs.ts) make an edit's life durable.
 */
import { CREATE_VIDEO_GENERATION_ROUTE } from "../generated/spec-facts.js";
import { APIPromise } from "./api-promise.js";
import { DEFAULT_WAIT_TIMEOUT_MS } from "./defaults.js";
import type { DownloadBlobResult, DownloadStreamResult, FileDownloadOptions } from "./download.js";
import { createEdit, followTask, getTask } from "./endpoints.js";
import { KlingError } from "./errors.js";
import { CallScope } from "./internal/scope.js";
import { Jobs } from "./jobs.js";
import { loadDownload, loadWait } from "./lazy.js";
import { Transport } from "./request.js";
import type {
  ClientOptions,
  CreateAndWaitOptions,
  CreatedTask,
  CreateEditParams,
  DownloadOptions,
  DownloadResult,
  RequestOptions,
  Task,
  WaitOptions,
} from "./types.js";

export { DEFAULT_TIMEOUT_MS } from "./defaults.js";
export { DEFAULT_MODEL, TASK_ID_PREFIX } from "./spec-facts.js";

function passThrough(opts: RequestOptions): RequestOptions {
  const out: RequestOptions = {};
  if (opts.maxRetries !== undefined) out.maxRetries = opts.maxRetries;
  if (opts.headers !== undefined) out.headers = opts.headers;
  if (opts.retryUnsafe !== undefined) out.retryUnsafe = opts.retryUnsafe;
  return out;
}

/** `edits`: creating video edits. */
export class Edits {
  readonly #transport: Transport;
  /** @internal Made by the client. */
  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Submits an edit (`POST /v1/videos/generations`): a billed task. Checks every rule first (throws
   * `RequestValidationError` without sending); retried only where no task can have been created (see README).
   * For a durable record of the submission (restart-safe, with unknown outcomes made explicit) use `jobs.submit`.
   * @example const task = await client.edits.create({ prompt: "Make it cinematic", video_urls: [url] });
   */
  create(params: CreateEditParams, opts: RequestOptions = {}): APIPromise<CreatedTask> {
    return new APIPromise(createEdit(this.#transport, params, opts));
  }

  /**
   * Submits an edit and waits for it: resolves with the completed task, throws `TaskFailedError` if it failed.
   * `timeoutMs` is the total for both (default 30 minutes); `onCreated` receives the task id before the first poll.
   */
  async createAndWait(params: CreateEditParams, opts: CreateAndWaitOptions = {}): Promise<Task> {
    (await loadWait()).checkWaitOptions(opts);
    const scope = new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
    try {
      let created: CreatedTask;
      try {
        created = (
          await createEdit(this.#transport, params, {
            ...passThrough(opts),
            signal: scope.signal,
            timeoutMs: Math.min(this.#transport.timeoutMs, scope.remaining()),
          })
        ).data;
      } catch (err) {
        if (scope.abortKind) throw scope.error(`POST ${CREATE_VIDEO_GENERATION_ROUTE.path}`, err);
        throw err;
      }
      opts.onCreated?.(created);
      return await followTask(this.#transport, created.id, opts, { scope, created });
    } finally {
      scope.dispose();
    }
  }
}

/** `tasks`: querying and waiting for tasks. */
export class Tasks {
  readonly #transport: Transport;
  /** @internal Made by the client. */
  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Fetches a task (`GET /v1/tasks/{task_id}`); retried on 408, 429, 5xx and network errors. */
  get(taskId: string, opts: RequestOptions = {}): APIPromise<Task> {
    return new APIPromise(getTask(this.#transport, taskId, opts));
  }

  /**
   * Polls a task until it is `completed` (resolves with it) or `failed` (throws `TaskFailedError`). The interval
   * adapts to `estimated_time` and progress (or is `pollIntervalMs`); `timeoutMs` is the total wait (default 30
   * minutes); transient errors are retried, permanent ones (401, 404, ...) end the wait at once.
   */
  wait(taskId: string, opts: WaitOptions = {}): Promise<Task> {
    return followTask(this.#transport, taskId, opts);
  }
}

/** The Kling-O1 Video Edit client. Create it with {@link createKlingClient}. */
export class KlingClient {
  /** The base URL requests go to. */
  readonly baseUrl: string;
  /** Each call's default total deadline in ms. */
  readonly timeoutMs: number;
  /** Default retries per call. */
  readonly maxRetries: number;
  /** Response validation mode. */
  readonly validateResponses: boolean | "warn";
  /** Whether creates are retried after outcomes where a task may exist. */
  readonly retryUnsafe: boolean;
  /** Creating edits. */
  readonly edits: Edits;
  /** Querying and waiting for tasks. */
  readonly tasks: Tasks;
  /** Durable jobs: an edit's whole life, saved at every step, restorable after a restart. */
  readonly jobs: Jobs;
  readonly #transport: Transport;

  constructor(options: ClientOptions = {}) {
    const transport = new Transport(options);
    this.#transport = transport;
    this.baseUrl = transport.baseUrl;
    this.timeoutMs = transport.timeoutMs;
    this.maxRetries = transport.maxRetries;
    this.validateResponses = transport.validateResponses;
    this.retryUnsafe = transport.retryUnsafe;
    this.edits = new Edits(transport);
    this.tasks = new Tasks(transport);
    this.jobs = new Jobs(this, transport, options.jobs ?? {});
  }

  /**
   * Downloads a completed task's result (or a result URL) to a file, streaming (memory stays flat), through a
   * temporary file renamed only when complete. Node, Bun and Deno only (it loads `node:fs` lazily); in a browser use
   * {@link KlingClient.downloadBlob}. `destination` may be a directory: the URL's file name is used.
   */
  async download(
    taskOrUrl: Task | string,
    destination: string,
    opts: Omit<FileDownloadOptions, "fetch" | "logger"> = {},
  ): Promise<DownloadResult> {
    const url = (await loadDownload()).resolveResultUrl(taskOrUrl, opts);
    let mod: typeof import("./download-node.js");
    try {
      mod = await import("./download-node.js");
    } catch (cause) {
      throw new KlingError("download() to a file needs Node.js, Bun or Deno; in a browser use downloadBlob()", {
        cause,
      });
    }
    // Without a fetch of the user's, Node's own http(s) transport (faster and lighter than fetch for big files).
    const custom = this.#transport.customFetch;
    return mod.downloadToFile(url, destination, {
      ...opts,
      ...(custom ? { fetch: this.#transport.fetch } : {}),
      logger: this.#transport.log,
    });
  }

  /**
   * Downloads a result into memory: resolves with `{ blob, bytes, contentType, url }` (browsers; same checks as
   * {@link KlingClient.download}).
   */
  async downloadBlob(taskOrUrl: Task | string, opts: DownloadOptions = {}): Promise<DownloadBlobResult> {
    const d = await loadDownload();
    return d.downloadBlob(d.resolveResultUrl(taskOrUrl, opts), { ...opts, fetch: this.#transport.fetch });
  }

  /** Opens a result as a `ReadableStream` (any runtime), with the same checks, enforced while it is read. */
  async downloadStream(taskOrUrl: Task | string, opts: DownloadOptions = {}): Promise<DownloadStreamResult> {
    const d = await loadDownload();
    return d.downloadStream(d.resolveResultUrl(taskOrUrl, opts), { ...opts, fetch: this.#transport.fetch });
  }

  /** A description without secrets. */
  toJSON(): Record<string, unknown> {
    return this.#transport.describe();
  }

  toString(): string {
    return `KlingClient(${this.baseUrl})`;
  }
}

/**
 * Creates a client. Nothing is checked or sent here: a missing key is a `MissingApiKeyError` at the first call.
 * @example
 * const client = createKlingClient(); // KLING_API_KEY, KLING_BASE_URL from the environment
 * const task = await client.edits.createAndWait({ prompt: "Make it cinematic", video_urls: [url] });
 */
export function createKlingClient(options: ClientOptions = {}): KlingClient {
  return new KlingClient(options);
}
