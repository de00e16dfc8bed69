/**
 * kling-o1-video-edit: a spec-pinned client for the Kling-O1 Video Edit API. Runs wherever `fetch` exists (Node 20+,
 * browsers, Deno, Bun): this entry imports nothing from `node:`. What a call needs beyond the request loop (the rules
 * and validators, the wait loop, downloads, jobs) loads at its first use (src/lazy.ts), so a browser app starts small;
 * Node, Bun and Deno resolve the package to src/index.node.ts, which loads it at start. The Node-only helpers (file
 * download, http adapter for webhooks) are in the `kling-o1-video-edit/node` entry.
 */

/** The API's base URL when neither the `baseUrl` option nor `KLING_BASE_URL` is set: the spec's server. */
export { SPEC_SERVER_URL as DEFAULT_BASE_URL } from "../generated/spec-meta.js";
// api-promise.ts
export { APIPromise } from "./api-promise.js";
// client.ts
export { createKlingClient, DEFAULT_MODEL, DEFAULT_TIMEOUT_MS, Edits, KlingClient, Tasks } from "./client.js";
// defaults.ts
export {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_JOB_REF_PARAM,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  DEFAULT_WAIT_TIMEOUT_MS,
  MAX_CONSECUTIVE_POLL_ERRORS,
  MAX_POLL_INTERVAL_MS,
  RESULT_EXPIRY_WARNING_MS,
  RESULT_TTL_MS,
} from "./defaults.js";
// download.ts: its types; the code is lazy.ts' (loaded on first use)
export type {
  DownloadBlobResult,
  DownloadResumeState,
  DownloadStreamResult,
  FileDownloadOptions,
  ResultDownloadOptions,
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
  LOAD_FAILED_CODE,
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
// lazy.ts: what loads on first use (a chunk of its own in a browser app), and the download functions over it
export { downloadBlob, downloadStream } from "./lazy.js";
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
// retry.ts
export { backoffDelayMs, DEFAULT_MAX_RETRIES, MAX_RETRY_AFTER_MS } from "./retry.js";
// rules.ts is the `kling-o1-video-edit/rules` entry (checkCreateRequest, synchronous): re-exported here, its request
// validator and address table would load at start in every browser app (a client loads them on its first call).
export type { RuleViolation } from "./rules.js";
// types.ts: the public types and only those (the wire types from generated/schema.ts and the options)
export type * from "./types.js";
// webhooks.ts is the `kling-o1-video-edit/webhooks` entry, not re-exported here: a receiver runs on a server, and a
// re-export would put its code into every browser app's initial chunk (esbuild assigns a file reached from the entry
// to the chunk loaded at start, with every part a lazy chunk uses; client.jobs loads it lazily).
