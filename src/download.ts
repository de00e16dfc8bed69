/**
 * Result downloads, the runtime-neutral part: picking the URL, refusing insecure ones, opening the response with
 * clear errors for expired links, and the in-memory `Blob` variant for browsers. The streaming-to-file variant is in
 * download-node.ts, loaded only when used.
 */
import { DownloadError, KlingError } from "./errors.js";
import { CallScope } from "./internal/scope.js";
import type { DownloadOptions, Task } from "./types.js";

/** The largest result a download accepts unless `maxBytes` says otherwise. @default 2 GiB */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024 ** 3;
/** A download's default total deadline. @default 900000 (15 minutes) */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 15 * 60_000;
/** Why a result link stops working, and what to do (the API: "Generated video links are valid for 24 hours"). */
export const EXPIRED_LINK_HINT =
  "result links are valid for 24 hours after the task completes, so this one has probably expired: " +
  "save results promptly (fetch the task again in case it lists a fresh URL, else resubmit the edit)";

/** A download into memory. */
export interface DownloadBlobResult {
  /** The result's bytes. */
  blob: Blob;
  /** How many bytes arrived. */
  bytes: number;
  /** The result's `Content-Type`, or `null`. */
  contentType: string | null;
  /** The URL downloaded. */
  url: string;
}

/** A download as a stream, for piping into a player, an upload or the File System Access API. */
export interface DownloadStreamResult {
  /** The bytes; it errors with a `DownloadError` if the body is cut off or passes `maxBytes`. */
  stream: ReadableStream<Uint8Array>;
  /** The announced length (`Content-Length`), or `null`. */
  total: number | null;
  /** The result's `Content-Type`, or `null`. */
  contentType: string | null;
  /** The URL downloaded. */
  url: string;
}

/** Options of the download functions when called without a client. */
export interface DownloadInternals {
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The URL to download: the given string, or the task's `results[index]` (the task must be completed). */
export function resolveResultUrl(taskOrUrl: Task | string, opts: Pick<DownloadOptions, "index"> = {}): string {
  if (typeof taskOrUrl === "string") return taskOrUrl;
  const index = opts.index ?? 0;
  const url = taskOrUrl.results?.[index];
  if (taskOrUrl.status !== "completed" || typeof url !== "string") {
    throw new DownloadError(
      `Task ${taskOrUrl.id} has no result ${index} to download (status ${taskOrUrl.status}, ${taskOrUrl.results?.length ?? 0} results)`,
      { reason: "no-result" },
    );
  }
  return url;
}

/** Parses and checks a result URL: `https:` only, unless `allowInsecure` (the mock serves `http://`). */
export function checkResultUrl(url: string, allowInsecure = false): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new DownloadError(`Not a valid result URL: ${url}`, { reason: "insecure", url, cause });
  }
  if (parsed.protocol === "https:") return parsed;
  if (parsed.protocol === "http:" && allowInsecure) return parsed;
  throw new DownloadError(
    `Refusing to download over ${parsed.protocol.replace(":", "")}: ${url} (pass allowInsecure: true for a local mock)`,
    { reason: "insecure", url },
  );
}

/** The body length the server announced, or `null` when unknown or when it describes compressed bytes. */
export function announcedLength(response: Response): number | null {
  const encoding = response.headers.get("content-encoding");
  if (encoding && encoding !== "identity") return null;
  const value = response.headers.get("content-length");
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value);
}

/**
 * Releases a body we will not read. Not awaited: cancelling one branch of a tee'd stream (a `response.clone()`
 * somewhere in a custom fetch) only settles when the other branch is cancelled too.
 */
function discard(stream: { cancel(): Promise<void> } | null): void {
  stream?.cancel().catch(() => {});
}

/** An opened result: the response checked for status, scheme and size, its body not read yet. */
export interface OpenedResult {
  response: Response;
  body: ReadableStream<Uint8Array>;
  total: number | null;
}

/**
 * Requests a result URL and checks everything knowable before reading: the scheme (also after redirects), the status
 * (403/404/410 from a result host mean an expired link) and the announced size.
 */
export async function openResult(
  url: string,
  opts: { fetch?: typeof fetch | undefined; signal: AbortSignal; maxBytes: number; allowInsecure: boolean },
): Promise<OpenedResult> {
  checkResultUrl(url, opts.allowInsecure);
  const doFetch = opts.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    // identity: Content-Length then counts the bytes we receive, so a truncated body is detectable.
    response = await doFetch(url, {
      signal: opts.signal,
      redirect: "follow",
      headers: { "accept-encoding": "identity" },
    });
  } catch (cause) {
    if (opts.signal.aborted) throw cause;
    throw new DownloadError(`Could not connect to download ${url}`, { reason: "network", url, cause });
  }
  if (response.url && response.url !== url) checkResultUrl(response.url, opts.allowInsecure);
  if (!response.ok || !response.body) {
    discard(response.body);
    if ([403, 404, 410].includes(response.status)) {
      throw new DownloadError(`Result link answered ${response.status}: ${EXPIRED_LINK_HINT}`, {
        reason: "expired",
        status: response.status,
        url,
      });
    }
    if (response.ok) return { response, body: new Blob([]).stream(), total: 0 };
    throw new DownloadError(`Result download failed with HTTP ${response.status}: ${url}`, {
      reason: "http",
      status: response.status,
      url,
    });
  }
  const total = announcedLength(response);
  if (total !== null && total > opts.maxBytes) {
    discard(response.body);
    throw new DownloadError(`Result is ${total} bytes, over the ${opts.maxBytes}-byte limit (maxBytes): ${url}`, {
      reason: "too-large",
      url,
    });
  }
  return { response, body: response.body, total };
}

/** The error to throw for a failure while a body streams: the scope's abort, ours, or a cut-off connection. */
export function streamFailure(err: unknown, scope: CallScope, url: string, bytes: number): KlingError {
  if (scope.abortKind) return scope.error(`downloading ${url}`, err);
  if (err instanceof KlingError) return err;
  return new DownloadError(`Download of ${url} broke off after ${bytes} bytes`, {
    reason: "truncated",
    url,
    cause: err,
  });
}

/**
 * Downloads a result into memory as a `Blob`: for browsers, or small files. Same checks as the file download: size
 * cap while reading, `Content-Length` match, expired-link explanation.
 */
export async function downloadBlob(
  url: string,
  opts: DownloadOptions & DownloadInternals = {},
): Promise<DownloadBlobResult> {
  const scope = new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  let bytes = 0;
  try {
    const opened = await openResult(url, {
      fetch: opts.fetch,
      signal: scope.signal,
      maxBytes,
      allowInsecure: opts.allowInsecure ?? false,
    });
    const chunks: Uint8Array[] = [];
    const reader = opened.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        if (bytes > maxBytes) {
          throw new DownloadError(`Result passed the ${maxBytes}-byte limit (maxBytes): ${url}`, {
            reason: "too-large",
            url,
          });
        }
        chunks.push(value);
        opts.onProgress?.(bytes, opened.total);
      }
    } finally {
      discard(reader);
    }
    if (opened.total !== null && bytes !== opened.total) {
      throw new DownloadError(`Result was cut off: ${bytes} of ${opened.total} bytes arrived: ${url}`, {
        reason: "truncated",
        url,
      });
    }
    const contentType = opened.response.headers.get("content-type");
    const blob = new Blob(chunks as BlobPart[], contentType ? { type: contentType } : {});
    return { blob, bytes, contentType, url };
  } catch (err) {
    throw streamFailure(err, scope, url, bytes);
  } finally {
    scope.dispose();
  }
}

/**
 * Opens a result as a stream (any runtime): same checks as the other downloads; the size cap and the
 * `Content-Length` match are enforced as the stream is read, by erroring it. `timeoutMs` and `signal` cover the
 * whole read; cancel the stream to stop early.
 */
export async function downloadStream(
  url: string,
  opts: DownloadOptions & DownloadInternals = {},
): Promise<DownloadStreamResult> {
  const scope = new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  let opened: OpenedResult;
  try {
    opened = await openResult(url, {
      fetch: opts.fetch,
      signal: scope.signal,
      maxBytes,
      allowInsecure: opts.allowInsecure ?? false,
    });
  } catch (err) {
    scope.dispose();
    throw streamFailure(err, scope, url, 0);
  }
  const reader = opened.body.getReader();
  let bytes = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          scope.dispose();
          if (opened.total !== null && bytes !== opened.total) {
            controller.error(
              new DownloadError(`Result was cut off: ${bytes} of ${opened.total} bytes arrived: ${url}`, {
                reason: "truncated",
                url,
              }),
            );
          } else controller.close();
          return;
        }
        bytes += value.byteLength;
        if (bytes > maxBytes) {
          throw new DownloadError(`Result passed the ${maxBytes}-byte limit (maxBytes): ${url}`, {
            reason: "too-large",
            url,
          });
        }
        opts.onProgress?.(bytes, opened.total);
        controller.enqueue(value);
      } catch (err) {
        discard(reader);
        const failure = streamFailure(err, scope, url, bytes);
        scope.dispose();
        controller.error(failure);
      }
    },
    cancel(reason) {
      scope.dispose();
      return reader.cancel(reason);
    },
  });
  return { stream, total: opened.total, contentType: opened.response.headers.get("content-type"), url };
}
