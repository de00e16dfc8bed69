/**
 * The client's code that loads on first use rather than at start, in one place: the request checks and response
 * validators, the wait loop, the download code and the job runner. Each is a dynamic import, so a browser app's
 * bundler makes it a chunk of its own, fetched at the first call that needs it; what an app loads at start (create,
 * wait, `downloadBlob`) stays the request loop, the errors and the resources (issue 18: at most 12 kB min+gzip).
 *
 * A load that fails (a chunk the network lost, a deploy that replaced it) rejects with an `APIConnectionError` whose
 * code is {@link LOAD_FAILED_CODE}: nothing was sent, which src/policy.ts counts as not billed and transient, and the
 * next call tries the load again.
 */
import type { DownloadBlobResult, DownloadStreamResult, ResultDownloadOptions } from "./download.js";
import { APIConnectionError, LOAD_FAILED_CODE } from "./errors.js";

/** A module loaded once, on first use. */
export interface Lazy<T> {
  /** The module, loading it the first time (and again after a failed load). */
  (): Promise<T>;
  /** The module once loaded, else `undefined`: lets a hot path skip the promise after the first call. */
  readonly value: T | undefined;
  /** @internal Hands over the module, imported statically (the Node entry, src/index.node.ts): nothing loads later. */
  provide(module: T): void;
}

/** @internal Wraps a dynamic import; `what` names it in the error a failed load rejects with. */
export function lazy<T>(what: string, load: () => Promise<T>): Lazy<T> {
  let value: T | undefined;
  let pending: Promise<T> | undefined;
  const get = () => {
    pending ??= load().then(
      (module) => {
        value = module;
        return module;
      },
      (cause: unknown) => {
        pending = undefined;
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new APIConnectionError(`Could not load the client's ${what}, so nothing was sent: ${reason}`, {
          cause,
          code: LOAD_FAILED_CODE,
        });
      },
    );
    return pending;
  };
  const provide = (module: T) => {
    value = module;
    pending = Promise.resolve(module);
  };
  return Object.defineProperties(get, { value: { get: () => value }, provide: { value: provide } }) as Lazy<T>;
}

/** The create rules (request validator, callback guard) and the response validators. */
export const loadSchemas = lazy("request checks and response validators", () => import("./schemas.js"));
/** The one wait loop and its polling schedule. */
export const loadWait = lazy("wait loop", () => import("./wait.js"));
/** Result downloads into memory or a stream (the file download is download-node.ts, loaded by `client.download`). */
export const loadDownload = lazy("download code", () => import("./download.js"));
/** What acts on durable jobs, with the webhook module it uses. */
export const loadJobsRun = lazy("job runner", () => import("./internal/jobs-run.js"));

/**
 * Downloads a result into memory as a `Blob`: for browsers, or small files. Same checks as the file download: each
 * redirect hop's scheme, size cap while reading, `Content-Length` match, no empty result, expired-link explanation.
 * (The download code loads on the first call.)
 */
export async function downloadBlob(url: string, opts?: ResultDownloadOptions): Promise<DownloadBlobResult> {
  return (await loadDownload()).downloadBlob(url, opts);
}

/**
 * Opens a result as a stream (any runtime): same checks as the other downloads; the size cap, the `Content-Length`
 * match and the no-empty-result rule are enforced as the stream is read, by erroring it. `timeoutMs` and `signal`
 * cover the whole read; cancel the stream to stop early. (The download code loads on the first call.)
 */
export async function downloadStream(url: string, opts?: ResultDownloadOptions): Promise<DownloadStreamResult> {
  return (await loadDownload()).downloadStream(url, opts);
}
