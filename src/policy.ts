/**
 * The one place that decides what an attempt's outcome means. Everything else (the request loop, the wait loop,
 * jobs, the CLI batch, the queue) asks these functions instead of reading statuses itself:
 * - {@link mayHaveBilled}: may this create have created (and billed) a task?
 * - {@link isRetryable}: may the same request be sent again, now, inside one call?
 * - {@link endsWait}: does a failed poll end a wait, or is it transient?
 *
 * The API has no idempotency key, so a create is billed at most once only if it is never repeated after an outcome
 * where the server may have started work. A create counts as refused (nothing billed) only when the answer proves it:
 * a 4xx other than 408, a 429 or 503 whose body is the API's own error envelope of the documented type (a gateway or
 * load balancer can answer 503 after forwarding the request), or a connection that never opened.
 */
import { CREATE_VIDEO_GENERATION_ERROR_TYPES } from "../generated/spec-facts.js";
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  ContractViolationError,
  LOAD_FAILED_CODE,
  MissingApiKeyError,
  RequestValidationError,
} from "./errors.js";

/** How one attempt of a request ended. */
export type AttemptOutcome =
  /** A 2xx with a valid body. */
  | { kind: "ok" }
  /** An HTTP error status; `errorType` is the body's `error.type` when the body is the API's error envelope. */
  | { kind: "status"; status: number; errorType?: string | undefined }
  /** No response, or a response cut off; `afterResponse` when the headers had arrived (the server did the work). */
  | { kind: "connection"; code?: string | undefined; afterResponse?: boolean | undefined }
  /** The call's deadline passed while the request was in flight. */
  | { kind: "timeout" }
  /** The caller aborted while the request was in flight. */
  | { kind: "aborted" }
  /** A 2xx whose body is not JSON, or empty. */
  | { kind: "malformed" }
  /** A 2xx whose body breaks the spec's schema (or a task status the spec does not list). */
  | { kind: "invalid" }
  /** Refused before sending: the request broke a rule (`RequestValidationError`), or no key. */
  | { kind: "not-sent" };

/**
 * Connection error codes that prove the request never reached a server (nothing can have been created): refused,
 * no such host, and the client's own code for the call failing to load (it never sent anything).
 */
export const NOT_SENT_CODES: readonly string[] = ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", LOAD_FAILED_CODE];
/** Statuses a GET is retried on. */
export const RETRYABLE_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504];

/**
 * The `error.type` the spec documents for a create's refusal status (`rate_limit_error` for 429,
 * `service_unavailable_error` for 503), from the spec's own response examples (through codegen).
 */
export function documentedErrorType(status: number): string | undefined {
  return CREATE_VIDEO_GENERATION_ERROR_TYPES[status];
}

/** 429 and 503 answered by the API itself (its envelope, the documented type): refused, worth retrying. */
function isApiRefusal(outcome: { status: number; errorType?: string | undefined }): boolean {
  if (outcome.status !== 429 && outcome.status !== 503) return false;
  const documented = documentedErrorType(outcome.status);
  return documented !== undefined && outcome.errorType === documented;
}

/**
 * Whether a create that ended this way may have created (and so billed) a task. `false` only when the answer proves
 * the request was refused or never left.
 */
export function mayHaveBilled(outcome: AttemptOutcome): boolean {
  switch (outcome.kind) {
    case "not-sent":
      return false;
    case "status":
      if (outcome.status === 429 || outcome.status === 503) return !isApiRefusal(outcome);
      // 4xx: the server answered that it will not do this; 408 is a timeout a gateway may send after forwarding.
      return !(outcome.status >= 400 && outcome.status < 500 && outcome.status !== 408);
    case "connection":
      return outcome.afterResponse === true || outcome.code === undefined || !NOT_SENT_CODES.includes(outcome.code);
    default:
      // ok, malformed, invalid: a 2xx means the task was created; timeout, aborted: the request may have arrived.
      return true;
  }
}

/** Whether an outcome is a transient failure: the same request may succeed later. */
export function isTransient(outcome: AttemptOutcome): boolean {
  switch (outcome.kind) {
    case "status":
      return RETRYABLE_STATUSES.includes(outcome.status);
    case "connection":
    case "timeout":
    case "malformed":
    case "invalid":
      return true;
    default:
      return false;
  }
}

/**
 * Whether the request loop may send the same request again after this outcome (ignoring attempt counts and time).
 * A GET: any transient outcome but a timeout (the deadline is total: none is left) or a bad 2xx body (validation is
 * the caller's business; a wait polls again itself). A create: only a refusal proven by the answer, unless the
 * caller opted in to `retryUnsafe` (then as a GET).
 */
export function isRetryable(outcome: AttemptOutcome, policy: { idempotent: boolean; retryUnsafe?: boolean }): boolean {
  if (outcome.kind === "timeout" || outcome.kind === "malformed" || outcome.kind === "invalid") return false;
  if (policy.idempotent || policy.retryUnsafe === true) return isTransient(outcome);
  return isTransient(outcome) && !mayHaveBilled(outcome);
}

/**
 * Whether a failed poll ends a wait at once. Permanent answers do (a 4xx other than 408 and 429: asking again gets
 * the same answer; an abort); transient ones are polled again, up to a number in a row.
 */
export function endsWait(outcome: AttemptOutcome): boolean {
  return !isTransient(outcome);
}

/**
 * The outcome an error stands for: how the request loop classified it. Errors from elsewhere (a bug, a file system
 * error) count as `connection` with no code: the request may have left, so a create may have billed.
 */
export function outcomeOf(error: unknown): AttemptOutcome {
  if (error instanceof APIError) return { kind: "status", status: error.status, errorType: error.type };
  if (error instanceof RequestValidationError) return { kind: "not-sent" };
  if (error instanceof APIConnectionError)
    return { kind: "connection", code: error.code, afterResponse: error.afterResponse };
  if (error instanceof APITimeoutError) return { kind: "timeout" };
  if (error instanceof APIUserAbortError) return { kind: "aborted" };
  if (error instanceof ContractViolationError) return { kind: error.issues.length > 0 ? "invalid" : "malformed" };
  if (error instanceof MissingApiKeyError) return { kind: "not-sent" };
  return { kind: "connection" };
}

/** Errors thrown by a create, with whether any of its attempts may have billed (set by the request loop). */
const createOutcomes = new WeakMap<object, boolean>();

/** @internal The request loop records, on each error a create throws, whether any attempt may have billed. */
export function recordCreateOutcome(error: object, billed: boolean): void {
  createOutcomes.set(error, billed);
}

/**
 * Whether the create that threw `error` may have created (and billed) a task: what the request loop recorded across
 * all its attempts (a user abort during a retry wait after a 429 billed nothing), else what the error stands for.
 */
export function createMayHaveBilled(error: unknown): boolean {
  if (typeof error === "object" && error !== null) {
    const recorded = createOutcomes.get(error);
    if (recorded !== undefined) return recorded;
  }
  return mayHaveBilled(outcomeOf(error));
}
