/**
 * Every error the client throws: one hierarchy under {@link KlingError}, one class per documented HTTP status, and
 * one factory ({@link makeAPIError}) that maps a response to its class. No class ever carries the API key: given a
 * `scrubber` (see `createScrubber` in src/internal/redact.ts), each error scrubs its message, fields and cause at
 * construction, so its message, stack, `JSON.stringify` and `util.inspect` are clean whatever the server echoed;
 * credential headers are redacted always, and `toJSON` writes only the fields listed below.
 */
import { ERROR_TITLES, type ErrorEnvelopeDetail } from "../generated/spec-facts.js";
import type { ValidationIssue } from "../generated/validators/runtime.js";
import type { DownloadResumeState } from "./download.js";
import { serverHintMs } from "./internal/hints.js";
import { createScrubber, type Scrubber } from "./internal/redact.js";
import type { RuleViolation } from "./rules.js";
import type { Task } from "./types.js";

/** Where in a job's life an error happened. */
export type JobPhase = "submit" | "wait" | "download";

/** What every error's constructor accepts besides its message. */
export interface KlingErrorOptions {
  cause?: unknown;
  /**
   * Removes the secrets (the API key) from the message, the fields and the cause, at construction. The scrubber
   * itself is not kept.
   */
  scrubber?: Scrubber | undefined;
}

/** The base class of every error this package throws; `instanceof KlingError` catches them all. */
export class KlingError extends Error {
  override name = "KlingError";
  /** Set on errors raised from a job: the phase it was in (`submit`, `wait`, `download`). */
  declare phase?: JobPhase;
  /** Set on errors raised from a job: its id. */
  declare jobId?: string;
  /**
   * Every request id of the call that failed, in order (each attempt's, when it was retried); on errors raised from a
   * job, every request id of the job so far.
   */
  declare requestIds?: string[];

  constructor(message?: string, options: KlingErrorOptions = {}) {
    const { scrubber, cause } = options;
    super(
      scrubber && message !== undefined ? scrubber.text(message) : message,
      cause === undefined ? {} : { cause: scrubber ? scrubber.error(cause) : cause },
    );
  }

  /** A plain object without secrets, so `JSON.stringify(error)` and structured loggers show something useful. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, message: this.message };
    for (const [key, value] of Object.entries(this)) {
      if (key !== "name" && key !== "message" && value !== undefined) out[key] = value;
    }
    if (this.cause instanceof Error) out.cause = { name: this.cause.name, message: this.cause.message };
    return out;
  }
}

/**
 * The fields of the API's error envelope `{ "error": { code, message, type, param, fallback_suggestion } }`, as the
 * spec's error bodies define them (`code` is the HTTP status as an integer, or a string business code such as
 * `invalid_task_id`).
 */
export type APIErrorDetail = ErrorEnvelopeDetail;

/** What {@link APIError} and its subclasses are built from. */
export interface APIErrorInit {
  status: number;
  /** The request, as `POST /v1/videos/generations` (never with the query string's secrets: the API has none). */
  method: string;
  path: string;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** Response headers; credential headers are redacted here, and the secrets removed from the others. */
  headers?: Headers | Record<string, string>;
  requestId?: string | null;
  /** Milliseconds the server asked to wait; when absent, read here from `retryAfterHeader` and the body's suggestion. */
  retryAfterMs?: number | null;
  /** The response's `Retry-After` header, read (with the envelope's `fallback_suggestion`) into `retryAfterMs`. */
  retryAfterHeader?: string | null;
  cause?: unknown;
  /** Removes the API key from the body, header values, request id and message (a server may echo it). */
  scrubber?: Scrubber | undefined;
}

/** Reads the `{error:{...}}` envelope from a body of any shape; fields of the wrong type are dropped. */
export function parseErrorEnvelope(body: unknown): APIErrorDetail {
  const inner =
    typeof body === "object" && body !== null && "error" in body ? (body as { error: unknown }).error : undefined;
  if (typeof inner !== "object" || inner === null) return {};
  const e = inner as Record<string, unknown>;
  const out: APIErrorDetail = {};
  if (typeof e.code === "number" || typeof e.code === "string") out.code = e.code;
  for (const key of ["message", "type", "param", "fallback_suggestion"] as const) {
    const value = e[key];
    if (typeof value === "string") out[key] = value;
  }
  return out;
}

/**
 * An HTTP error response from the API. Thrown as one of its subclasses for each documented status; an
 * undocumented status (405, 409, 504, ...) is thrown as a plain `APIError`.
 */
export class APIError extends KlingError {
  override name = "APIError";
  /** The HTTP status. */
  readonly status: number;
  /** `error.code`: the integer status or a string business code (`invalid_task_id`); `undefined` if absent. */
  readonly code: number | string | undefined;
  /** `error.type`, such as `rate_limit_error`. */
  readonly type: string | undefined;
  /** `error.param`: the request field the error is about, such as `model` or `task_id`. */
  readonly param: string | undefined;
  /** `error.fallback_suggestion`: what the API suggests, such as `retry after 60 seconds` or a billing URL. */
  readonly fallbackSuggestion: string | undefined;
  /** The request id header (`x-request-id` or `request-id`), when the server sends one. */
  readonly requestId: string | null;
  /** Response headers (lower-case names; `authorization`, cookies and key headers redacted). */
  readonly headers: Record<string, string>;
  /** The parsed JSON body, or its text when it was not JSON. */
  readonly body: unknown;
  /** How long the server asked to wait before retrying, in ms, from `Retry-After` or `fallback_suggestion`. */
  readonly retryAfterMs: number | null;
  /** The request that failed, as `POST /v1/videos/generations`. */
  readonly request: string;

  constructor(init: APIErrorInit, message?: string) {
    const scrubber = init.scrubber ?? createScrubber();
    const body = scrubber.value(init.body);
    const detail = parseErrorEnvelope(body);
    const request = `${init.method} ${init.path}`;
    const title = detail.message ?? ERROR_TITLES[init.status] ?? `HTTP ${init.status}`;
    const what = [String(init.status), detail.type].filter(Boolean).join(" ");
    const param = detail.param ? `, param ${detail.param}` : "";
    super(message ?? `${title} (${what}${param}): ${request}`, { cause: init.cause, scrubber });
    this.status = init.status;
    this.code = detail.code;
    this.type = detail.type;
    this.param = detail.param;
    this.fallbackSuggestion = detail.fallback_suggestion;
    this.requestId = init.requestId ? scrubber.text(init.requestId) : null;
    this.headers = scrubber.headers(init.headers ?? {});
    this.body = body;
    this.retryAfterMs =
      init.retryAfterMs !== undefined
        ? init.retryAfterMs
        : serverHintMs(init.retryAfterHeader, detail.fallback_suggestion, Date.now());
    this.request = request;
  }
}

/** 400: the API rejected the request's parameters (see `param`). Not retried. */
export class BadRequestError extends APIError {
  override name = "BadRequestError";
}
/** 401: the API key is missing, invalid or expired. Not retried; ends `tasks.wait` at once. */
export class AuthenticationError extends APIError {
  override name = "AuthenticationError";
}
/** 402: the account's quota is used up; `fallbackSuggestion` is the billing page. Not retried. */
export class InsufficientQuotaError extends APIError {
  override name = "InsufficientQuotaError";
}
/** 403: the key may not use this model (see `param`). Not retried. */
export class PermissionDeniedError extends APIError {
  override name = "PermissionDeniedError";
}
/** 404: unknown model (create) or unknown task id (get). Not retried; ends `tasks.wait` at once. */
export class NotFoundError extends APIError {
  override name = "NotFoundError";
}
/** 429: too many requests. Retried (also for create: a rate-limited request creates no task), honouring `retryAfterMs`. */
export class RateLimitError extends APIError {
  override name = "RateLimitError";
}
/** 500: the server failed. GETs are retried; a create is not (the task may exist), unless `retryUnsafe`. */
export class InternalServerError extends APIError {
  override name = "InternalServerError";
}
/** 502: the upstream AI service failed. GETs are retried; a create is not (the task may exist), unless `retryUnsafe`. */
export class UpstreamError extends APIError {
  override name = "UpstreamError";
}
/** 503: the service is temporarily unavailable. Retried, also for create (the request was refused, not processed). */
export class ServiceUnavailableError extends APIError {
  override name = "ServiceUnavailableError";
}

const CLASSES: Record<number, typeof APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  402: InsufficientQuotaError,
  403: PermissionDeniedError,
  404: NotFoundError,
  429: RateLimitError,
  500: InternalServerError,
  502: UpstreamError,
  503: ServiceUnavailableError,
};

/** The one place a status becomes a class: each documented status its own, anything else a plain {@link APIError}. */
export function makeAPIError(init: APIErrorInit): APIError {
  const Class = CLASSES[init.status] ?? APIError;
  return new Class(init);
}

/**
 * The `code` of an `APIConnectionError` raised when the client's own code for a call failed to load (a lazily loaded
 * chunk in a browser app, see src/lazy.ts): the request never left.
 */
export const LOAD_FAILED_CODE = "ERR_KLING_LOAD";

/**
 * The request never produced a response: DNS failure, connection refused, reset, or a body cut off mid-way.
 * `code` is the system error code when known (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`), or
 * {@link LOAD_FAILED_CODE} when the client's code for the call failed to load.
 */
export class APIConnectionError extends KlingError {
  override name = "APIConnectionError";
  /** The system error code found in the cause chain, such as `ECONNREFUSED`; `undefined` if none. */
  readonly code: string | undefined;
  /** The failure came after the response headers arrived (a body cut off): the server had done the work. */
  readonly afterResponse: boolean;
  constructor(
    message: string,
    options: KlingErrorOptions & { code?: string | undefined; afterResponse?: boolean | undefined } = {},
  ) {
    super(message, options);
    this.code = options.code;
    this.afterResponse = options.afterResponse ?? false;
  }
}

/** The call's total deadline (`timeoutMs`, across every retry and sleep) passed before it finished. */
export class APITimeoutError extends KlingError {
  override name = "APITimeoutError";
}

/** The caller's `AbortSignal` fired. Thrown at whatever stage the call was in: request, retry sleep, poll, download. */
export class APIUserAbortError extends KlingError {
  override name = "APIUserAbortError";
}

/** A create request broke the spec's or the seed's rules; `violations` lists every one. Nothing was sent. */
export class RequestValidationError extends KlingError {
  override name = "RequestValidationError";
  /** Every broken rule, each naming its field (`video_urls[0]`) and rule (`fileExtension`). */
  readonly violations: RuleViolation[];
  constructor(violations: RuleViolation[], message?: string) {
    super(
      message ??
        `Invalid request (${violations.length} problem${violations.length === 1 ? "" : "s"}, nothing was sent): ${violations
          .map((v) => v.message)
          .join("; ")}`,
    );
    this.violations = violations;
  }
}

/**
 * A response (or callback body) that breaks the spec: a 2xx body that is not JSON, is empty, fails the generated
 * validator, or a task status the spec does not list. `issues` names each field.
 */
export class ContractViolationError extends KlingError {
  override name = "ContractViolationError";
  /** The schema the body was checked against, such as `TaskDetail`; `undefined` when the body was not JSON. */
  readonly schema: string | undefined;
  /** The validator's findings (JSON Pointer in `instancePath`); empty when the body could not be parsed at all. */
  readonly issues: ValidationIssue[];
  /** The HTTP status of the response, when there was one. */
  readonly status: number | undefined;
  constructor(
    message: string,
    options: KlingErrorOptions & { schema?: string; issues?: ValidationIssue[]; status?: number } = {},
  ) {
    super(message, options);
    this.schema = options.schema;
    this.issues = options.scrubber ? options.scrubber.value(options.issues ?? []) : (options.issues ?? []);
    this.status = options.status;
  }
}

/** The task ended with status `failed`; `task.error` holds the API's business code and message. */
export class TaskFailedError extends KlingError {
  override name = "TaskFailedError";
  /** The failed task as the API returned it. */
  readonly task: Task;
  /** `task.error.code`, such as `video_download_failed`. */
  readonly code: string | undefined;
  /** Pass `{ scrubber }`: the task's `error.message` is the server's text and may echo the key. */
  constructor(task: Task, options: Pick<KlingErrorOptions, "scrubber"> = {}) {
    const clean = options.scrubber ? options.scrubber.value(task) : task;
    const code = clean.error?.code;
    super(`Task ${clean.id} failed${code ? ` (${code})` : ""}: ${clean.error?.message ?? "no reason given"}`);
    this.task = clean;
    this.code = code;
  }
}

/** Why a download failed: the kinds a caller may want to tell apart. */
export type DownloadErrorReason =
  | "expired"
  | "http"
  | "network"
  | "truncated"
  | "too-large"
  | "insecure"
  | "no-result"
  | "empty"
  | "io";

/**
 * A result download failed: an expired link (results live 24 hours, or `expiresAt` passed), another HTTP error, no
 * connection, a body shorter than its `Content-Length`, a file over `maxBytes`, an `http://` URL without
 * `allowInsecure`, a task without results, a result with no bytes (`empty`), or a file-system error (including a
 * destination that exists and is not a regular file). The destination is never touched; when the bytes received so
 * far can be resumed, `resumeState` says where they are.
 */
export class DownloadError extends KlingError {
  override name = "DownloadError";
  /** Which of the failure kinds this is. */
  readonly reason: DownloadErrorReason;
  /** The result host's HTTP status, for `expired` and `http`. */
  readonly status: number | undefined;
  /** The URL that was being downloaded. */
  readonly url: string | undefined;
  /** Where the partial file kept for a later resume is (pass it back as `downloadToFile`'s `resume`), if any. */
  resumeState: DownloadResumeState | undefined;
  constructor(
    message: string,
    options: KlingErrorOptions & {
      reason: DownloadErrorReason;
      status?: number;
      url?: string;
      resumeState?: DownloadResumeState;
    },
  ) {
    super(message, options);
    this.reason = options.reason;
    this.status = options.status;
    this.url = options.url !== undefined && options.scrubber ? options.scrubber.text(options.url) : options.url;
    this.resumeState = options.resumeState;
  }
}

/**
 * `job.wait` on a job whose create's outcome is unknown: the request may have reached the server and its answer was
 * lost, so a billed task may exist. It is never resubmitted by itself. With a `callback_url`, the callback reconciles
 * it (the job learns its task id); without one, check your account, then `client.jobs.resubmit(job)` if no task exists.
 */
export class SubmitOutcomeUnknownError extends KlingError {
  override name = "SubmitOutcomeUnknownError";
  /** The job (`job.toJSON()` is what to save or inspect). */
  readonly job: { readonly id: string; toJSON(): unknown };
  constructor(job: { readonly id: string; toJSON(): unknown }, hasCallback: boolean) {
    super(
      hasCallback
        ? `Job ${job.id}: the create's outcome is unknown and no callback has reconciled it yet; a billed task may exist. Keep handling callbacks (jobs.handleCallback) or check your account before client.jobs.resubmit(job)`
        : `Job ${job.id}: the create's outcome is unknown (the request may have reached the API and its answer was lost); a billed task may exist. Check your account (or your task list) before client.jobs.resubmit(job), which may pay twice`,
    );
    this.job = job;
  }
}

/** No API key: neither the `apiKey` option nor `KLING_API_KEY` is set. Thrown at the first call, not at creation. */
export class MissingApiKeyError extends KlingError {
  override name = "MissingApiKeyError";
  constructor() {
    super(
      "No API key: pass createKlingClient({ apiKey }) or set the KLING_API_KEY environment variable " +
        "(get one at https://ai.odkkk.com/apiv1/dashboard/keys)",
    );
  }
}

/**
 * @internal The request ids a failed call carries: each attempt's (the request loop sets `requestIds`), else the
 * API error's own; none for other failures.
 */
export function requestIdsOf(error: unknown): readonly string[] {
  if (!(error instanceof KlingError)) return [];
  if (error.requestIds) return error.requestIds;
  return error instanceof APIError && error.requestId ? [error.requestId] : [];
}
