/**
 * kling-o1-video-edit: a spec-pinned client for the Kling-O1 Video Edit API. Runs wherever `fetch` exists (Node 20+,
 * browsers, Deno, Bun): this entry imports nothing from `node:`. File downloads load their Node code lazily, and the
 * Node-only helpers (file download, http adapter for webhooks) are also in the `kling-o1-video-edit/node` entry.
 */

/** The API's base URL when neither the `baseUrl` option nor `KLING_BASE_URL` is set: the spec's server. */
export { SPEC_SERVER_URL as DEFAULT_BASE_URL } from "../generated/spec-meta.js";
// api-promise.ts
export { APIPromise } from "./api-promise.js";
// client.ts
export { createKlingClient, DEFAULT_MODEL, DEFAULT_TIMEOUT_MS, Edits, KlingClient, Tasks } from "./client.js";
// defaults.ts
export {
  DEFAULT_JOB_REF_PARAM,
  MAX_CONSECUTIVE_POLL_ERRORS,
  RESULT_EXPIRY_WARNING_MS,
  RESULT_TTL_MS,
} from "./defaults.js";
// download.ts
export {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  type DownloadBlobResult,
  type DownloadResumeState,
  type DownloadStreamResult,
  downloadBlob,
  downloadStream,
  type FileDownloadOptions,
  type ResultDownloadOptions,
  safeFileName,
} from "./download.js";
// errors.ts
export {
  APIConnectionError,
  APIError,
  type APIErrorDetail,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ContractViolationError,
  DownloadError,
  type DownloadErrorReason,
  InsufficientQuotaError,
  InternalServerError,
  type JobPhase,
  KlingError,
  MissingApiKeyError,
  makeAPIError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  RequestValidationError,
  ServiceUnavailableError,
  SubmitOutcomeUnknownError,
  TaskFailedError,
  UpstreamError,
} from "./errors.js";
// internal/redact.ts
export { createScrubber, type Scrubber } from "./internal/redact.js";
// internal/scope.ts
export { sleep } from "./internal/scope.js";
// jobs.ts
export {
  Job,
  type JobSnapshot,
  type JobState,
  type JobStore,
  Jobs,
  memoryJobStore,
  type ResumeSummary,
  UNFINISHED_JOB_STATES,
} from "./jobs.js";
// logger.ts
export type { Logger, LogLevel } from "./logger.js";
// policy.ts
export {
  type AttemptOutcome,
  createMayHaveBilled,
  endsWait,
  isRetryable,
  isTransient,
  mayHaveBilled,
  outcomeOf,
} from "./policy.js";
// poll.ts
export { DEFAULT_WAIT_TIMEOUT_MS, MAX_POLL_INTERVAL_MS } from "./poll.js";
// retry.ts
export { backoffDelayMs, DEFAULT_MAX_RETRIES, MAX_RETRY_AFTER_MS } from "./retry.js";
// rules.ts
export { checkCreateRequest, type RuleViolation } from "./rules.js";
// types.ts: the public types and only those (the wire types from generated/schema.ts and the options)
export type * from "./types.js";
// webhooks.ts is the `kling-o1-video-edit/webhooks` entry, not re-exported here: a receiver runs on a server, and a
// re-export would put its code into every browser app's initial chunk (esbuild assigns a file reached from the entry
// to the chunk loaded at start, with every part a lazy chunk uses; client.jobs loads it lazily).
