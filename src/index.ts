/**
 * kling-o1-video-edit: a spec-pinned client for the Kling-O1 Video Edit API. Runs wherever `fetch` exists (Node 20+,
 * browsers, Deno, Bun): this entry imports nothing from `node:`. File downloads load their Node code lazily, and the
 * Node-only helpers (file download, http adapter for webhooks) are also in the `kling-o1-video-edit/node` entry.
 */

// api-promise.ts
export { APIPromise } from "./api-promise.js";
// client.ts
export { createKlingClient, DEFAULT_MODEL, DEFAULT_TIMEOUT_MS, Edits, KlingClient, Tasks } from "./client.js";
// download.ts
export {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  type DownloadBlobResult,
  type DownloadStreamResult,
  downloadBlob,
  downloadStream,
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
  KlingError,
  MissingApiKeyError,
  makeAPIError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  RequestValidationError,
  ServiceUnavailableError,
  TaskFailedError,
  UpstreamError,
} from "./errors.js";
// logger.ts
export type { Logger, LogLevel } from "./logger.js";
// poll.ts
export { DEFAULT_WAIT_TIMEOUT_MS, MAX_POLL_INTERVAL_MS } from "./poll.js";
// retry.ts
export { DEFAULT_MAX_RETRIES, MAX_RETRY_AFTER_MS } from "./retry.js";
// rules.ts
export { checkCreateRequest, type RuleViolation } from "./rules.js";
// types.ts
export type {
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
// webhooks.ts
export {
  type CallbackStore,
  callbackKey,
  createCallbackHandler,
  DEFAULT_MAX_CALLBACK_BYTES,
  type HandleCallbackOptions,
  handleCallback,
  MemoryCallbackStore,
  parseCallback,
} from "./webhooks.js";
