/**
 * The client: a thin facade over openapi-fetch (`createClient<paths>` does the URL, path encoding, JSON body and
 * parsing) that adds what the API's users need around it: the key, pre-flight validation, the total deadline,
 * retries that never duplicate a billed create, response validation, typed errors, polling and downloads.
 */
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "../generated/schema.js";
import { SPEC_SERVER_URL } from "../generated/spec-meta.js";
import { type Validator, validateTaskDetail, validateVideoGenerationResponse } from "../generated/validators.js";
import { APIPromise } from "./api-promise.js";
import {
  type DownloadBlobResult,
  type DownloadStreamResult,
  downloadBlob,
  downloadStream,
  resolveResultUrl,
} from "./download.js";
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  ContractViolationError,
  KlingError,
  MissingApiKeyError,
  makeAPIError,
  RequestValidationError,
  TaskFailedError,
} from "./errors.js";
import { containsSecret, REDACTED, redactDeep, redactHeaders, redactText } from "./internal/redact.js";
import { CallScope, sleep } from "./internal/scope.js";
import { type LeveledLogger, leveledLogger } from "./logger.js";
import { type AttemptOutcome, mayHaveBilled } from "./policy.js";
import { DEFAULT_WAIT_TIMEOUT_MS, nextPollDelayMs, type PollState } from "./poll.js";
import { backoffDelayMs, DEFAULT_MAX_RETRIES, planRetry, serverHintMs } from "./retry.js";
import { checkCreateRequest, type RuleViolation } from "./rules.js";
import type {
  ClientOptions,
  CreateAndWaitOptions,
  CreatedTask,
  CreateEditParams,
  DownloadOptions,
  DownloadResult,
  RequestOptions,
  Task,
  TaskStatus,
  VideoGenerationRequest,
  WaitOptions,
  WithResponse,
} from "./types.js";

/** The model sent when `params.model` is not given (the spec's default). */
export const DEFAULT_MODEL = "kling-o1-video-edit";
/** Each call's default total deadline, retries included. @default 60000 */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** How many failed polls in a row (each already retried by `tasks.get`) end a wait. @default 5 */
export const MAX_CONSECUTIVE_POLL_ERRORS = 5;
/** Task ids the API issues start with this (its 400 example says so); others are sent, with a warning logged. */
export const TASK_ID_PREFIX = "task-unified-";

const KNOWN_STATUSES: readonly TaskStatus[] = ["pending", "processing", "completed", "failed"];
/** Statuses that end a wait at once: retrying cannot change the answer. */
const PERMANENT_STATUSES = [400, 401, 402, 403, 404];
const CREATE_PATH = "/v1/videos/generations";

/** Reads an environment variable where one exists (Node, Bun, Deno with permission); never throws. */
function readEnv(name: string): string | undefined {
  try {
    const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
    return value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The system error code (`ECONNREFUSED`, ...) anywhere in an error's cause chain, AggregateErrors included. */
function errorCode(err: unknown, depth = 0): string | undefined {
  if (typeof err !== "object" || err === null || depth > 5) return undefined;
  const { code, cause, errors } = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string") return code;
  if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0], depth + 1);
  return errorCode(cause, depth + 1);
}

/**
 * Settles with `work`, or rejects as soon as `signal` aborts: a custom fetch whose body stream ignores the signal
 * must not be able to outlive the deadline. The abandoned promise's rejection is handled here.
 */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** A stand-in for an error whose message echoed a secret: same name and code, redacted message, no deeper causes. */
function sanitizedCopy(err: Error, message: string, code: string | undefined): Error {
  const copy = new Error(message);
  copy.name = err.name;
  if (code) Object.assign(copy, { code });
  return copy;
}

function requestIdOf(response: Response): string | null {
  return response.headers.get("x-request-id") ?? response.headers.get("request-id");
}

/** One API operation as the request loop needs it. */
interface Operation<T> {
  method: "GET" | "POST";
  /** The concrete path, for messages: `/v1/tasks/task-unified-...`. */
  path: string;
  schema: "VideoGenerationResponse" | "TaskDetail";
  validate: Validator<T>;
  /** GETs; a create is not, see src/retry.ts. */
  idempotent: boolean;
  call(init: {
    signal: AbortSignal;
    headers: Record<string, string>;
    fetch: (request: Request) => Promise<Response>;
  }): Promise<{ data?: unknown; error?: unknown; response: Response }>;
}

function formatIssues(validate: Validator<unknown>): string {
  return (validate.errors ?? [])
    .slice(0, 5)
    .map((i) => `${i.instancePath || "/"} ${i.message ?? i.keyword}`)
    .join("; ");
}

/** `edits`: creating video edits. */
export class Edits {
  readonly #client: KlingClient;
  constructor(client: KlingClient) {
    this.#client = client;
  }

  /**
   * Submits an edit (`POST /v1/videos/generations`): a billed task. Checks every rule first (throws
   * `RequestValidationError` without sending); retried only where no task can have been created (see README).
   * @example const task = await client.edits.create({ prompt: "Make it cinematic", video_urls: [url] });
   */
  create(params: CreateEditParams, opts: RequestOptions = {}): APIPromise<CreatedTask> {
    return new APIPromise(this.#client._create(params, opts));
  }

  /**
   * Submits an edit and waits for it: resolves with the completed task, throws `TaskFailedError` if it failed.
   * `timeoutMs` is the total for both (default 30 minutes); `onCreated` receives the task id before the first poll.
   */
  async createAndWait(params: CreateEditParams, opts: CreateAndWaitOptions = {}): Promise<Task> {
    const scope = new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
    try {
      let created: CreatedTask;
      try {
        created = (
          await this.#client._create(params, {
            ...passThrough(opts),
            signal: scope.signal,
            timeoutMs: Math.min(this.#client.timeoutMs, scope.remaining()),
          })
        ).data;
      } catch (err) {
        if (scope.abortKind) throw scope.error(`POST ${CREATE_PATH}`, err);
        throw err;
      }
      opts.onCreated?.(created);
      return await this.#client._wait(created.id, opts, { scope, created });
    } finally {
      scope.dispose();
    }
  }
}

function passThrough(opts: RequestOptions): RequestOptions {
  const out: RequestOptions = {};
  if (opts.maxRetries !== undefined) out.maxRetries = opts.maxRetries;
  if (opts.headers !== undefined) out.headers = opts.headers;
  if (opts.retryUnsafe !== undefined) out.retryUnsafe = opts.retryUnsafe;
  return out;
}

/** `tasks`: querying and waiting for tasks. */
export class Tasks {
  readonly #client: KlingClient;
  constructor(client: KlingClient) {
    this.#client = client;
  }

  /** Fetches a task (`GET /v1/tasks/{task_id}`); retried on 408, 429, 5xx and network errors. */
  get(taskId: string, opts: RequestOptions = {}): APIPromise<Task> {
    return new APIPromise(this.#client._get(taskId, opts));
  }

  /**
   * Polls a task until it is `completed` (resolves with it) or `failed` (throws `TaskFailedError`). The interval
   * adapts to `estimated_time` and progress (or is `pollIntervalMs`); `timeoutMs` is the total wait (default 30
   * minutes); transient errors are retried, 401/404 end the wait at once.
   */
  wait(taskId: string, opts: WaitOptions = {}): Promise<Task> {
    return this.#client._wait(taskId, opts);
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
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #api: Client<paths>;
  readonly #log: LeveledLogger;

  constructor(options: ClientOptions = {}) {
    this.#apiKey = options.apiKey ?? readEnv("KLING_API_KEY");
    this.baseUrl = (options.baseUrl ?? readEnv("KLING_BASE_URL") ?? SPEC_SERVER_URL).replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.validateResponses = options.validateResponses ?? true;
    this.retryUnsafe = options.retryUnsafe ?? false;
    const custom = options.fetch;
    // Resolved per request, so test tools that replace globalThis.fetch after the client was made still apply.
    this.#fetch = (input, init) => (custom ?? globalThis.fetch)(input, init);
    this.#api = createClient<paths>({ baseUrl: this.baseUrl, fetch: this.#fetch });
    this.#log = leveledLogger(options.logger, options.logLevel, () => [this.#apiKey]);
    this.edits = new Edits(this);
    this.tasks = new Tasks(this);
  }

  /**
   * Downloads a completed task's result (or a result URL) to a file, streaming (memory stays flat), through a
   * temporary file renamed only when complete. Node, Bun and Deno only (it loads `node:fs` lazily); in a browser use
   * {@link KlingClient.downloadBlob}. `destination` may be a directory: the URL's file name is used.
   */
  async download(taskOrUrl: Task | string, destination: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
    const url = resolveResultUrl(taskOrUrl, opts);
    let mod: typeof import("./download-node.js");
    try {
      mod = await import("./download-node.js");
    } catch (cause) {
      throw new KlingError("download() to a file needs Node.js, Bun or Deno; in a browser use downloadBlob()", {
        cause,
      });
    }
    return mod.downloadToFile(url, destination, { ...opts, fetch: this.#fetch, logger: this.#log });
  }

  /** Downloads a result into memory as a `Blob` (browsers; same checks as {@link KlingClient.download}). */
  downloadBlob(taskOrUrl: Task | string, opts: DownloadOptions = {}): Promise<DownloadBlobResult> {
    return downloadBlob(resolveResultUrl(taskOrUrl, opts), { ...opts, fetch: this.#fetch });
  }

  /** Opens a result as a `ReadableStream` (any runtime), with the same checks, enforced while it is read. */
  downloadStream(taskOrUrl: Task | string, opts: DownloadOptions = {}): Promise<DownloadStreamResult> {
    return downloadStream(resolveResultUrl(taskOrUrl, opts), { ...opts, fetch: this.#fetch });
  }

  /** A description without secrets. */
  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      apiKey: this.#apiKey ? REDACTED : undefined,
      timeoutMs: this.timeoutMs,
      maxRetries: this.maxRetries,
      validateResponses: this.validateResponses,
      retryUnsafe: this.retryUnsafe,
    };
  }

  toString(): string {
    return `KlingClient(${this.baseUrl})`;
  }

  #authHeaders(extra: Record<string, string> | undefined): Record<string, string> {
    if (!this.#apiKey) throw new MissingApiKeyError();
    const headers: Record<string, string> = { Accept: "application/json" };
    for (const [name, value] of Object.entries(extra ?? {})) {
      if (name.toLowerCase() !== "authorization") headers[name] = value;
    }
    headers.Authorization = `Bearer ${this.#apiKey}`;
    return headers;
  }

  /** @internal The create call behind `edits.create`. */
  async _create(params: CreateEditParams, opts: RequestOptions): Promise<WithResponse<CreatedTask>> {
    // checkCreateRequest runs the spec's validator over this body, so it is a VideoGenerationRequest past this
    // point; the only type difference is readonly arrays, which JSON.stringify does not care about.
    const body = { ...params, model: params.model ?? DEFAULT_MODEL } as VideoGenerationRequest;
    const violations = checkCreateRequest(body);
    if (violations.length > 0) throw new RequestValidationError(violations);
    return this.#send<CreatedTask>(
      {
        method: "POST",
        path: CREATE_PATH,
        schema: "VideoGenerationResponse",
        validate: validateVideoGenerationResponse,
        idempotent: false,
        call: (init) => this.#api.POST(CREATE_PATH, { ...init, body }),
      },
      opts,
    );
  }

  /** @internal The query behind `tasks.get`. */
  async _get(taskId: string, opts: RequestOptions): Promise<WithResponse<Task>> {
    this.#checkTaskId(taskId);
    return this.#send<Task>(
      {
        method: "GET",
        path: `/v1/tasks/${encodeURIComponent(taskId)}`,
        schema: "TaskDetail",
        validate: validateTaskDetail,
        idempotent: true,
        call: (init) => this.#api.GET("/v1/tasks/{task_id}", { ...init, params: { path: { task_id: taskId } } }),
      },
      opts,
    );
  }

  #checkTaskId(taskId: unknown): asserts taskId is string {
    if (typeof taskId !== "string" || taskId.trim() === "") {
      const violation: RuleViolation = {
        field: "task_id",
        param: "task_id",
        rule: "required",
        message: `task_id must be a non-empty string (got ${typeof taskId === "string" ? JSON.stringify(taskId) : typeof taskId})`,
      };
      throw new RequestValidationError([violation]);
    }
    // The API's 400 example says ids "must start with 'task-unified-'", but that is an example message, not a
    // schema rule: send the id anyway (the API's own 400 is clear) and say why it may fail.
    if (!taskId.startsWith(TASK_ID_PREFIX)) {
      this.#log.warn(
        `task id ${JSON.stringify(taskId)} does not start with "${TASK_ID_PREFIX}"; the API may reject it`,
      );
    }
  }

  /** One call: attempts, retries and sleeps inside one deadline, ending in data or a typed error. */
  async #send<T>(op: Operation<T>, opts: RequestOptions): Promise<WithResponse<T>> {
    const what = `${op.method} ${op.path}`;
    const headers = this.#authHeaders(opts.headers);
    const maxRetries = opts.maxRetries ?? this.maxRetries;
    const retryUnsafe = opts.retryUnsafe ?? this.retryUnsafe;
    const scope = new CallScope(opts.signal, opts.timeoutMs ?? this.timeoutMs);
    const secrets = [this.#apiKey];
    const unsafeNote = op.idempotent ? "" : " (not retried: the task may have been created; see README, Retries)";
    try {
      for (let attempt = 0; ; attempt++) {
        scope.throwIfAborted(what);
        let captured: Response | undefined;
        // openapi-fetch parses the body itself; keep the Response so a body that fails to parse can still be
        // described (status, content type). A per-request fetch, not a middleware: middleware costs every call.
        const fetchAndCapture = async (request: Request) => {
          captured = await this.#fetch(request);
          return captured;
        };
        let failure: KlingError;
        let outcome: AttemptOutcome;
        let hintMs: number | null = null;
        if (this.#log.enabled("debug")) {
          this.#log.debug(`${what} (attempt ${attempt + 1})`, { headers: redactHeaders(headers) });
        }
        try {
          const { data, error, response } = await raceAbort(
            op.call({ signal: scope.signal, headers, fetch: fetchAndCapture }),
            scope.signal,
          );
          const requestId = requestIdOf(response);
          if (response.ok) return { data: this.#checkBody(op, data, response), response, requestId };
          hintMs = serverHintMs(
            response.headers.get("retry-after"),
            typeof error === "object" && error !== null
              ? (error as { error?: { fallback_suggestion?: unknown } }).error?.fallback_suggestion?.toString()
              : undefined,
            Date.now(),
          );
          failure = makeAPIError({
            status: response.status,
            method: op.method,
            path: op.path,
            body: redactDeep(error, secrets),
            headers: redactHeaders(response.headers),
            requestId,
            retryAfterMs: hintMs,
          });
          outcome = {
            kind: "status",
            status: response.status,
            errorType: failure instanceof APIError ? failure.type : undefined,
          };
        } catch (err) {
          if (err instanceof KlingError) throw err;
          if (scope.abortKind) {
            throw scope.abortKind === "timeout"
              ? new APITimeoutError(`Timed out after ${scope.timeoutMs} ms: ${what}${unsafeNote}`, { cause: err })
              : scope.error(what, err);
          }
          if (err instanceof SyntaxError && captured?.ok) {
            throw new ContractViolationError(
              `Malformed JSON in ${captured.status} response (content-type ${captured.headers.get("content-type") ?? "none"}): ${what}${unsafeNote}`,
              { status: captured.status, cause: err },
            );
          }
          const code = errorCode(err);
          const after = captured ? " after the response headers" : "";
          const message = err instanceof Error ? redactText(err.message, secrets) : String(err);
          failure = new APIConnectionError(
            `Connection failed${code ? ` (${code})` : ""}${after}: ${what}: ${message}`,
            {
              cause:
                err instanceof Error && (message !== err.message || containsSecret(err, secrets))
                  ? sanitizedCopy(err, message, code)
                  : err,
              code,
              afterResponse: captured !== undefined,
            },
          );
          // A failure after the response headers arrived happened after the server did the work.
          outcome = { kind: "connection", code, afterResponse: captured !== undefined };
        }
        const plan = planRetry({
          outcome,
          idempotent: op.idempotent,
          retryUnsafe,
          retriesSoFar: attempt,
          maxRetries,
          hintMs,
          remainingMs: scope.remaining(),
        });
        if (!plan.retry) {
          this.#log.debug(`${what}: not retrying (${plan.reason})`);
          if (!op.idempotent && mayHaveBilled(outcome)) failure.message += unsafeNote;
          throw failure;
        }
        this.#log.info(`${what} failed (${failure.message}); retry ${attempt + 1}/${maxRetries} in ${plan.delayMs} ms`);
        try {
          await sleep(plan.delayMs, scope.signal);
        } catch {
          throw scope.error(what, failure);
        }
      }
    } finally {
      scope.dispose();
    }
  }

  /** A 2xx body: present, JSON (openapi-fetch parsed it), and valid against the spec unless validation is off. */
  #checkBody<T>(op: Operation<T>, data: unknown, response: Response): T {
    const what = `${op.method} ${op.path}`;
    if (data === undefined) {
      throw new ContractViolationError(`Empty body in ${response.status} response: ${what}`, {
        status: response.status,
        schema: op.schema,
      });
    }
    if (this.validateResponses === false || op.validate(data)) return data as T;
    const issues = op.validate.errors ?? [];
    // A 2xx to a create means a billed task exists: say so, with its id if the body has one, or the caller resubmits.
    const id = (data as { id?: unknown } | null)?.id;
    const createdNote = op.idempotent
      ? ""
      : ` (the task was created${typeof id === "string" ? `: id ${id}` : ""}; poll it with tasks.get rather than resubmitting)`;
    const message = `Response breaks the spec (${op.schema}: ${formatIssues(op.validate)}): ${what}${createdNote}`;
    if (this.validateResponses === "warn") {
      this.#log.warn(message, { issues });
      return data as T;
    }
    throw new ContractViolationError(message, { schema: op.schema, issues, status: response.status });
  }

  /** @internal The loop behind `tasks.wait` and `edits.createAndWait`. */
  async _wait(taskId: string, opts: WaitOptions, start?: { scope: CallScope; created: CreatedTask }): Promise<Task> {
    this.#checkTaskId(taskId);
    const scope = start?.scope ?? new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
    const startedAt = Date.now();
    const state: PollState = { elapsedMs: 0, polls: 0, fixedIntervalMs: opts.pollIntervalMs };
    let last: { status: string; progress: number | undefined } | undefined;
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
    let delay = 0;
    if (start) {
      observe(start.created);
      last = { status: start.created.status, progress: start.created.progress };
      // A task created already finished (never seen, but cheap to handle) is fetched at once for its results.
      if (start.created.status === "pending" || start.created.status === "processing") delay = nextPollDelayMs(state);
    }
    let errorsInRow = 0;
    try {
      for (;;) {
        if (delay > 0) {
          try {
            await sleep(Math.min(delay, scope.remaining()), scope.signal);
          } catch (err) {
            throw scope.error(describe(), err);
          }
          if (scope.remaining() <= 0) throw new APITimeoutError(`Timed out after ${scope.timeoutMs} ms: ${describe()}`);
        }
        let task: Task;
        try {
          const getOpts: RequestOptions = {
            ...passThrough(opts),
            signal: scope.signal,
            timeoutMs: Math.min(this.timeoutMs, scope.remaining()),
          };
          task = (await this._get(taskId, getOpts)).data;
          state.polls++;
          errorsInRow = 0;
        } catch (err) {
          state.polls++;
          if (scope.abortKind) throw scope.error(describe(), err);
          const transient =
            (err instanceof APIError && !PERMANENT_STATUSES.includes(err.status)) ||
            err instanceof APIConnectionError ||
            err instanceof APITimeoutError;
          errorsInRow++;
          if (!transient || errorsInRow >= MAX_CONSECUTIVE_POLL_ERRORS) throw err;
          state.elapsedMs = Date.now() - startedAt;
          const hint = err instanceof APIError ? (err.retryAfterMs ?? 0) : 0;
          delay = Math.max(nextPollDelayMs(state), hint, backoffDelayMs(errorsInRow));
          this.#log.info(`poll of ${taskId} failed (${(err as Error).message}); polling again in ${delay} ms`);
          continue;
        }
        if (!KNOWN_STATUSES.includes(task.status)) {
          throw new ContractViolationError(
            `Task ${taskId} has status ${JSON.stringify(task.status)}, which the spec does not list (${KNOWN_STATUSES.join(", ")})`,
            { schema: "TaskDetail" },
          );
        }
        if (!last || last.status !== task.status || last.progress !== task.progress) {
          last = { status: task.status, progress: task.progress };
          opts.onProgress?.(task);
        }
        if (task.status === "completed") return task;
        if (task.status === "failed") throw new TaskFailedError(task);
        observe(task);
        state.elapsedMs = Date.now() - startedAt;
        delay = nextPollDelayMs(state);
      }
    } finally {
      if (!start) scope.dispose();
    }
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
