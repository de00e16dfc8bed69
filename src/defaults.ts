/**
 * Every default of the client, jobs, waits, downloads and webhooks, in one place. Options document their default as
 * `@default {@link NAME}` pointing here, so a number is written once. Spec facts (the default model, statuses, the
 * task id prefix) are not here: they come from generated/.
 */

/** Each call's default total deadline, retries included, in ms. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Retries after the first attempt, per call. */
export const DEFAULT_MAX_RETRIES = 2;
/** The first backoff delay, doubled on each retry, in ms. */
export const INITIAL_RETRY_DELAY_MS = 500;
/** The longest backoff delay without a server hint, in ms. */
export const MAX_RETRY_DELAY_MS = 8_000;
/** The longest server-requested wait (`Retry-After`, "retry after N seconds") honoured, in ms; longer: give up. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** The default total time a wait waits, in ms (30 minutes). */
export const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;
/** The shortest adaptive interval between polls, in ms. */
export const MIN_POLL_INTERVAL_MS = 1_000;
/** The longest interval between polls, in ms. */
export const MAX_POLL_INTERVAL_MS = 30_000;
/** The first interval when the task gives no hint (no estimate, no progress), in ms. */
export const FIRST_UNKNOWN_POLL_MS = 2_000;
/** How many failed polls in a row (each already retried by the request loop) end a wait. */
export const MAX_CONSECUTIVE_POLL_ERRORS = 5;

/** The largest result a download accepts unless `maxBytes` says otherwise, in bytes (2 GiB). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024 ** 3;
/** A download's default total deadline, retries included, in ms (15 minutes). */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 15 * 60_000;
/** Retries of a failed file download within one call (cut off, reset, 5xx), each resuming the partial file. */
export const DEFAULT_DOWNLOAD_RETRIES = DEFAULT_MAX_RETRIES;
/** Redirect hops a download follows before giving up (fetch's own limit is 20). */
export const MAX_DOWNLOAD_REDIRECTS = 10;
/**
 * A destination's partial file untouched this long belongs to no running download (one with the default deadline
 * would have ended), so the next download to that destination deletes it, in ms.
 */
export const STALE_PART_MS = DEFAULT_DOWNLOAD_TIMEOUT_MS;

/** How long a result link lives after the task completed, in ms (the task query page: 24 hours). */
export const RESULT_TTL_MS = 24 * 60 * 60_000;
/** Under this much time left on a result link, a download logs a warning, in ms. */
export const RESULT_EXPIRY_WARNING_MS = 60 * 60_000;
/** The query parameter a job adds to its `callback_url`, so a callback names its job even when the create's answer was lost. */
export const DEFAULT_JOB_REF_PARAM = "kling_job";
/** The version written in `job.toJSON()`; `restore` refuses other versions. */
export const JOB_FORMAT_VERSION = 1;

/** The largest callback body accepted (a task is well under 10 KiB), in bytes (256 KiB). */
export const DEFAULT_MAX_CALLBACK_BYTES = 256 * 1024;
/**
 * How long a callback's body may take to arrive, from the call, in ms: a sender trickling bytes would otherwise hold
 * the connection (Node's own limit is 300 s). The API's whole delivery times out after 10 s.
 */
export const DEFAULT_CALLBACK_BODY_TIMEOUT_MS = 10_000;
/**
 * How long a callback's confirmation (`GET /v1/tasks/{id}`) is reused for callbacks about the same task id, in ms:
 * forged callbacks cost at most one GET per task per window. Short, so the API's own retries (1, 2 and 4 s apart) are
 * confirmed afresh.
 */
export const DEFAULT_CONFIRM_WINDOW_MS = 3_000;
/** How many delivered callbacks the in-memory callback store remembers. */
export const DEFAULT_CALLBACK_STORE_SIZE = 10_000;
/** How long a callback's `verify: "fetch"` confirmation may take, in ms: the API gives up on a callback after 10 s. */
export const VERIFY_TIMEOUT_MS = 8_000;
/** Callback confirmations remembered at most (per confirm function); the oldest go first. */
export const MAX_CONFIRMATIONS = 1000;
/** A callback's `jobRef` longer than this many characters is ignored. */
export const MAX_JOB_REF_LENGTH = 256;
/** Downloads `jobs.resumeAll` runs at once (every job is followed at once: a wait holds only a timer). */
export const DEFAULT_RESUME_DOWNLOADS = 8;
/** GETs `jobs.resumeAll` has in flight at once, across all the jobs it follows (a restart sends no burst). */
export const DEFAULT_RESUME_POLLS = 16;
/** Edits one queue worker handles at once, per queue (submits and looks). */
export const DEFAULT_WORKER_CONCURRENCY = 4;

// kling-o1-video-edit/verify (src/verify/)
/** `runVerify`: wait between polls of a task it follows. */
export const DEFAULT_VERIFY_POLL_INTERVAL_MS = 2_000;
/** `runVerify`: polls before a task counts as never finishing (15 min at the default interval). */
export const DEFAULT_VERIFY_MAX_POLLS = 450;
/** `runVerify` and `probeCallbacks`: how long to wait for a task's first callback delivery after it ended. */
export const DEFAULT_VERIFY_CALLBACK_WAIT_MS = 60_000;
/** `runVerify`: each request's deadline. */
export const DEFAULT_VERIFY_REQUEST_TIMEOUT_MS = 30_000;
/** A probe's request deadline when its target sets none, so a hanging target fails a check instead of the run. */
export const DEFAULT_PROBE_REQUEST_TIMEOUT_MS = 15_000;
/** `probeLifecycle`: wait between polls (the first poll follows the create at once). */
export const DEFAULT_PROBE_POLL_INTERVAL_MS = 1_000;
/** `probeLifecycle`: polls before a `task-finishes` violation. */
export const DEFAULT_PROBE_MAX_POLLS = 60;
/** `fetchHead`: bytes of a result video read to check it. */
export const DEFAULT_RESULT_HEAD_BYTES = 4096;
/** `fetchHead`: its deadline. */
export const DEFAULT_RESULT_HEAD_TIMEOUT_MS = 30_000;
/** The callback receiver: how long a `slow` delivery is held before it is answered. */
export const DEFAULT_SLOW_HOLD_MS = 21_000;
