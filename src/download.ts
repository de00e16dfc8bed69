/**
 * Result downloads, the runtime-neutral part: picking the URL, following redirects by hand (each hop's scheme is
 * checked before it is requested), clear errors for expired links and empty results, the one size-and-length check
 * every download uses ({@link ByteTally}), and the in-memory `Blob` and stream variants for browsers. The
 * streaming-to-file variant, with its own node:http transport and resume, is in download-node.ts, loaded only when
 * used.
 */

import {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  MAX_DOWNLOAD_REDIRECTS,
  RESULT_EXPIRY_WARNING_MS,
} from "./defaults.js";
import { DownloadError, KlingError } from "./errors.js";
import { CallScope } from "./internal/scope.js";
import type { Logger } from "./logger.js";
import type { DownloadOptions, Task } from "./types.js";

export { DEFAULT_DOWNLOAD_TIMEOUT_MS, DEFAULT_MAX_DOWNLOAD_BYTES };
/** Why a result link stops working, and what to do (the API: "Generated video links are valid for 24 hours"). */
export const EXPIRED_LINK_HINT =
  "result links are valid for 24 hours after the task completes, so this one has probably expired: " +
  "save results promptly (fetch the task again in case it lists a fresh URL, else resubmit the edit)";

const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
/** Headers that carry credentials: never sent to another origin than the first (what fetch does, RFC 9110 §15.4). */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

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
  /** The bytes; it errors with a `DownloadError` if the body is cut off, passes `maxBytes`, or is empty. */
  stream: ReadableStream<Uint8Array>;
  /** The announced length (`Content-Length`), or `null`. */
  total: number | null;
  /** The result's `Content-Type`, or `null`. */
  contentType: string | null;
  /** The URL downloaded. */
  url: string;
}

/**
 * Where a cut-off file download's bytes are, so that a later try asks only for the rest (`Range: bytes=N-` with
 * `If-Range`). A plain JSON object: store it (a job does) and pass it back as `downloadToFile`'s `resume`.
 */
export interface DownloadResumeState {
  /** The partial file, next to the destination (`.<name>.<12 hex digits>.part`). */
  partPath: string;
  /** Bytes in the partial file when the state was reported (a resume uses the file's own length). */
  bytes: number;
  /** The first response's strong `ETag`, else its `Last-Modified`: sent as `If-Range`, so a changed file restarts. */
  validator: string;
  /** The whole file's announced length, or `null` when the server did not say. */
  total: number | null;
}

/** Options of the download functions besides {@link DownloadOptions}. */
export interface ResultDownloadOptions extends DownloadOptions {
  /** The fetch to use. @default globalThis.fetch (a file download without one uses node:http instead) */
  fetch?: typeof fetch | undefined;
  /**
   * When the result link stops working, in ms since the epoch (a job's `resultExpiresAt`): past it the download
   * fails at once with `DownloadError` reason `expired` and sends nothing; with less than
   * {@link RESULT_EXPIRY_WARNING_MS} left it logs a warning. @default undefined (no check)
   */
  expiresAt?: number | undefined;
  /** Where the expiry warning and debug lines go. @default undefined (silent) */
  logger?: Logger | undefined;
  /**
   * Extra request headers for the result host. `authorization`, `cookie` and `proxy-authorization` are dropped when a
   * redirect leaves the first URL's origin. @default {}
   */
  headers?: Record<string, string> | undefined;
}

/** The longest file name {@link safeFileName} returns, in UTF-8 bytes: room for the partial file's affixes. */
export const MAX_NAME_BYTES = 200;

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;

/** `text` cut (at a code point) to at most `max` UTF-8 bytes. */
export function truncateBytes(text: string, max: number): string {
  let out = text;
  while (utf8Length(out) > max) out = Array.from(out).slice(0, -1).join("");
  return out;
}

/**
 * A file name made from untrusted text (a task id the server chose, a URL's last segment) that stays inside the
 * folder it is joined to: path separators, control characters and the characters Windows forbids become `_`, leading
 * dots (`..`, hidden files) become `_`, trailing dots and spaces go, Windows device names (`CON`, `NUL`, ...) get a
 * `_` prefix, and it is cut to 200 UTF-8 bytes keeping its extension. Empty results give `fallback`.
 *
 * @example path.join(outDir, `${safeFileName(task.id)}.mp4`) // ".../../escaped" -> "__.._escaped.mp4", inside outDir
 */
export function safeFileName(name: string, fallback = "result"): string {
  let safe = name
    .normalize("NFC")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
    .replace(/[\\/:*?"<>|\u0000-\u001f\u007f]/g, "_")
    .replace(/^\.+/, "_")
    .replace(/[. ]+$/, "");
  if (safe === "" || /^_*$/.test(safe)) return fallback;
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(safe)) safe = `_${safe}`;
  if (utf8Length(safe) > MAX_NAME_BYTES) {
    const ext = /\.[A-Za-z0-9]{1,10}$/.exec(safe)?.[0] ?? "";
    safe = truncateBytes(safe.slice(0, safe.length - ext.length), MAX_NAME_BYTES - ext.length) + ext;
  }
  return safe;
}

/** Options of `downloadToFile` (in the `./node` entry; `client.download` passes them on). */
export interface FileDownloadOptions extends ResultDownloadOptions {
  /**
   * Continue a cut-off download: the state a previous call reported (`onResumeState`, or `DownloadError.resumeState`).
   * The part is used only if it is this destination's partial file and the server confirms the file did not change
   * (`If-Range`); otherwise the download starts from zero. @default undefined
   */
  resume?: DownloadResumeState | undefined;
  /**
   * Called (and awaited) with the resume state before the partial file is created, again when a failure keeps it,
   * and with `null` once nothing is left to resume (done, or the part deleted). A job stores it write-ahead, so a
   * restart finds its part. @default undefined
   */
  onResumeState?(state: DownloadResumeState | null): void | Promise<void>;
  /** Retries within this call after a cut-off body, a reset or a 5xx; each resumes the part. @default {@link DEFAULT_DOWNLOAD_RETRIES} */
  retries?: number | undefined;
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

/** Checks a redirect's target before it is requested: a URL {@link checkResultUrl} accepts, and never https -> http. */
function checkHop(from: URL, to: string, allowInsecure: boolean): URL {
  const next = checkResultUrl(to, allowInsecure);
  if (from.protocol === "https:" && next.protocol !== "https:") {
    throw new DownloadError(`Refusing a redirect from https to ${next.protocol.replace(":", "")}: ${next.href}`, {
      reason: "insecure",
      url: next.href,
    });
  }
  return next;
}

/**
 * Refuses a download whose link has expired (before anything is sent) and warns through `logger` when less than
 * {@link RESULT_EXPIRY_WARNING_MS} is left.
 */
export function checkExpiry(url: string, expiresAt: number | undefined, logger?: Logger, now = Date.now()): void {
  if (expiresAt === undefined) return;
  if (typeof expiresAt !== "number" || !Number.isFinite(expiresAt)) {
    throw new TypeError(`expiresAt must be a time in ms since the epoch (got ${String(expiresAt)})`);
  }
  const left = expiresAt - now;
  const at = new Date(expiresAt).toISOString();
  if (left <= 0) {
    throw new DownloadError(`Result link expired at ${at}, nothing was requested: ${EXPIRED_LINK_HINT}`, {
      reason: "expired",
      url,
    });
  }
  if (left < RESULT_EXPIRY_WARNING_MS) {
    logger?.warn(`Result link expires in ${Math.ceil(left / 60_000)} min (at ${at}): download it now`, { url });
  }
}

function lengthHeader(value: string | null): number | null {
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : null;
}

/** The body length the server announced, or `null` when unknown or when it describes compressed bytes. */
export function announcedLength(response: { headers: { get(name: string): string | null } }): number | null {
  const encoding = response.headers.get("content-encoding");
  if (encoding && encoding !== "identity") return null;
  return lengthHeader(response.headers.get("content-length"));
}

/** `Content-Range: bytes START-END/TOTAL` (TOTAL may be `*`), or `null` when absent or unreadable. */
function contentRange(value: string | null): { start: number; total: number | null } | null {
  const m = value === null ? null : /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim());
  if (!m) return null;
  return { start: Number(m[1]), total: m[3] === "*" ? null : Number(m[3]) };
}

/**
 * Releases a body we will not read. Not awaited: cancelling one branch of a tee'd stream (a `response.clone()`
 * somewhere in a custom fetch) only settles when the other branch is cancelled too.
 */
function discard(stream: { cancel(): Promise<void> } | null): void {
  stream?.cancel().catch(() => {});
}

/** One response as a download sees it, whatever the transport (fetch here, node:http in download-node.ts). */
export interface RawResponse<B> {
  status: number;
  header(name: string): string | null;
  body: B | null;
  /** Releases a body that will not be read. */
  discard(): void;
  /** Where the transport ended when it followed redirects on its own (a browser's fetch, some custom fetches). */
  url?: string | undefined;
}

/** Sends one GET for a URL already checked, without following redirects if it can help it; throws if it cannot connect. */
export type Transport<B> = (
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
) => Promise<RawResponse<B>>;

/**
 * The transport over a fetch: `redirect: "manual"`, so that {@link openResult} checks each hop before requesting it.
 * A browser hides a manual redirect (an opaque response without `Location`); there the request is sent again with
 * `redirect: "follow"` and only the final URL can be checked (an https page's fetch to http is blocked as mixed
 * content by the browser itself).
 */
export function fetchTransport(doFetch: typeof fetch): Transport<ReadableStream<Uint8Array>> {
  return async (url, headers, signal) => {
    let response = await doFetch(url, { signal, headers, redirect: "manual" });
    if (response.type === "opaqueredirect") response = await doFetch(url, { signal, headers, redirect: "follow" });
    const body = response.body;
    return {
      status: response.status,
      header: (name) => response.headers.get(name),
      body,
      discard: () => discard(body),
      url: response.url || undefined,
    };
  };
}

/** How {@link openResult} asks for a result. */
export interface OpenOptions {
  signal: AbortSignal;
  maxBytes: number;
  allowInsecure: boolean;
  headers?: Record<string, string> | undefined;
  /** Ask only for the bytes from `offset` on, if the file still matches `validator` (`Range` with `If-Range`). */
  from?: { offset: number; validator: string } | undefined;
}

/** An opened result: the response checked for status, scheme and size, its body not read yet. */
export interface OpenedResult<B> {
  body: B;
  /** The whole file's length (`Content-Length`, or a 206's `Content-Range`), or `null` when unknown or compressed. */
  total: number | null;
  /** Where the body starts in the file: the requested offset for a 206, 0 when the server sent the whole file. */
  offset: number;
  /** The strong `ETag`, else `Last-Modified`, to resume with; `null` when this response cannot be resumed. */
  validator: string | null;
  /** The result's `Content-Type`, or `null`. */
  contentType: string | null;
}

/** Sends the request and follows redirects by hand: each hop is checked (scheme, no downgrade) before it is requested. */
async function follow<B>(url: string, transport: Transport<B>, opts: OpenOptions): Promise<RawResponse<B>> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;
  // identity: Content-Length then counts the bytes we receive, so a truncated body is detectable.
  headers["accept-encoding"] = "identity";
  if (opts.from) {
    headers.range = `bytes=${opts.from.offset}-`;
    headers["if-range"] = opts.from.validator;
  }
  let current = checkResultUrl(url, opts.allowInsecure);
  const origin = current.origin;
  for (let hop = 0; ; hop++) {
    let response: RawResponse<B>;
    try {
      response = await transport(current.href, headers, opts.signal);
    } catch (cause) {
      if (opts.signal.aborted) throw cause;
      throw new DownloadError(`Could not connect to download ${current.href}`, { reason: "network", url, cause });
    }
    if (response.url && response.url !== current.href) {
      try {
        checkHop(current, response.url, opts.allowInsecure);
      } catch (err) {
        response.discard();
        throw err;
      }
    }
    if (!REDIRECT_STATUSES.includes(response.status)) return response;
    response.discard();
    const location = response.header("location");
    if (location === null || hop >= MAX_DOWNLOAD_REDIRECTS) {
      throw new DownloadError(
        location === null
          ? `Result host answered ${response.status} without a Location: ${current.href}`
          : `More than ${MAX_DOWNLOAD_REDIRECTS} redirects: ${url}`,
        { reason: "http", status: response.status, url },
      );
    }
    let target: string;
    try {
      target = new URL(location, current).href;
    } catch {
      target = location;
    }
    current = checkHop(current, target, opts.allowInsecure);
    if (current.origin !== origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
  }
}

/**
 * Requests a result URL and checks everything knowable before reading: each redirect hop's scheme (before it is
 * requested), the status (403/404/410 from a result host mean an expired link; 204 or a zero length, an empty
 * result), the announced size, and, when resuming, whether the server continues where the part ends (a 200 instead
 * of a 206 restarts from zero; a 416 or a range that starts elsewhere asks again for the whole file).
 */
export async function openResult<B>(url: string, transport: Transport<B>, opts: OpenOptions): Promise<OpenedResult<B>> {
  let from = opts.from && opts.from.offset > 0 ? opts.from : undefined;
  for (;;) {
    const response = await follow(url, transport, { ...opts, from });
    const { status, body } = response;
    const range = status === 206 ? contentRange(response.header("content-range")) : null;
    if (from && (status === 416 || (status === 206 && range?.start !== from.offset))) {
      // The part cannot be continued from this answer: ask for the whole file once.
      response.discard();
      from = undefined;
      continue;
    }
    const fail = (message: string, reason: "expired" | "http" | "empty" | "too-large") => {
      response.discard();
      return new DownloadError(
        message,
        reason === "expired" || reason === "http" ? { reason, status, url } : { reason, url },
      );
    };
    if (status === 204 || (status >= 200 && status < 300 && body === null)) {
      throw fail(`Result host answered ${status} with no bytes: ${url}`, "empty");
    }
    if ([403, 404, 410].includes(status)) throw fail(`Result link answered ${status}: ${EXPIRED_LINK_HINT}`, "expired");
    if ((status !== 200 && status !== 206) || body === null || (status === 206 && !from)) {
      throw fail(`Result download failed with HTTP ${status}: ${url}`, "http");
    }
    const encoding = response.header("content-encoding");
    const encoded = encoding !== null && encoding !== "identity";
    const length = encoded ? null : lengthHeader(response.header("content-length"));
    const offset = range ? range.start : 0;
    const total = encoded ? null : range ? (range.total ?? (length === null ? null : offset + length)) : length;
    if (total === 0) throw fail(`Result is empty (Content-Length: 0): ${url}`, "empty");
    if (total !== null && total > opts.maxBytes) {
      throw fail(`Result is ${total} bytes, over the ${opts.maxBytes}-byte limit (maxBytes): ${url}`, "too-large");
    }
    // If-Range needs a strong validator (RFC 9110 §13.1.5): a weak ETag cannot resume.
    const etag = response.header("etag");
    const strong = etag !== null && !etag.startsWith("W/") ? etag : null;
    const validator = encoded
      ? null
      : (strong ?? response.header("last-modified") ?? (range ? from?.validator : null) ?? null);
    return { body, total, offset, validator, contentType: response.header("content-type") };
  }
}

/**
 * The one size-and-length check of every download (blob, stream, file): counts bytes as they arrive (from the resume
 * offset), refuses more than `maxBytes`, reports progress, and at the end refuses a result with no bytes or a body
 * that ended before its announced length.
 */
export class ByteTally {
  readonly #url: string;
  readonly #maxBytes: number;
  readonly #onProgress: DownloadOptions["onProgress"];
  /** The whole file's announced length, or `null`. */
  readonly total: number | null;
  /** Bytes of the file so far, counting a resumed part. */
  bytes: number;

  constructor(
    url: string,
    maxBytes: number,
    total: number | null,
    start = 0,
    onProgress?: DownloadOptions["onProgress"],
  ) {
    this.#url = url;
    this.#maxBytes = maxBytes;
    this.#onProgress = onProgress;
    this.total = total;
    this.bytes = start;
  }

  /** Counts a chunk; throws `too-large` past `maxBytes`. */
  add(size: number): void {
    this.bytes += size;
    if (this.bytes > this.#maxBytes) {
      throw new DownloadError(`Result passed the ${this.#maxBytes}-byte limit (maxBytes): ${this.#url}`, {
        reason: "too-large",
        url: this.#url,
      });
    }
    this.#onProgress?.(this.bytes, this.total);
  }

  /** Checks the end of the body: `empty` with no bytes, `truncated` when it differs from the announced length. */
  finish(): void {
    if (this.bytes === 0) {
      throw new DownloadError(`Result has no bytes: ${this.#url}`, { reason: "empty", url: this.#url });
    }
    if (this.total !== null && this.bytes !== this.total) {
      throw new DownloadError(`Result was cut off: ${this.bytes} of ${this.total} bytes arrived: ${this.#url}`, {
        reason: "truncated",
        url: this.#url,
      });
    }
  }
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

/** Opens `url` through the options' fetch (blob and stream downloads; the file download has its own transports). */
function openWithFetch(url: string, opts: ResultDownloadOptions, scope: CallScope) {
  return openResult(url, fetchTransport(opts.fetch ?? globalThis.fetch), {
    signal: scope.signal,
    maxBytes: opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES,
    allowInsecure: opts.allowInsecure ?? false,
    headers: opts.headers,
  });
}

/**
 * Downloads a result into memory as a `Blob`: for browsers, or small files. Same checks as the file download: each
 * redirect hop's scheme, size cap while reading, `Content-Length` match, no empty result, expired-link explanation.
 */
export async function downloadBlob(url: string, opts: ResultDownloadOptions = {}): Promise<DownloadBlobResult> {
  checkExpiry(url, opts.expiresAt, opts.logger);
  const scope = new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
  let tally: ByteTally | undefined;
  try {
    const opened = await openWithFetch(url, opts, scope);
    tally = new ByteTally(url, opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES, opened.total, 0, opts.onProgress);
    const chunks: Uint8Array[] = [];
    const reader = opened.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        tally.add(value.byteLength);
        chunks.push(value);
      }
    } finally {
      discard(reader);
    }
    tally.finish();
    const contentType = opened.contentType;
    const blob = new Blob(chunks as BlobPart[], contentType ? { type: contentType } : {});
    return { blob, bytes: tally.bytes, contentType, url };
  } catch (err) {
    throw streamFailure(err, scope, url, tally?.bytes ?? 0);
  } finally {
    scope.dispose();
  }
}

/**
 * Opens a result as a stream (any runtime): same checks as the other downloads; the size cap, the `Content-Length`
 * match and the no-empty-result rule are enforced as the stream is read, by erroring it. `timeoutMs` and `signal`
 * cover the whole read; cancel the stream to stop early.
 */
export async function downloadStream(url: string, opts: ResultDownloadOptions = {}): Promise<DownloadStreamResult> {
  checkExpiry(url, opts.expiresAt, opts.logger);
  const scope = new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
  let opened: OpenedResult<ReadableStream<Uint8Array>>;
  try {
    opened = await openWithFetch(url, opts, scope);
  } catch (err) {
    scope.dispose();
    throw streamFailure(err, scope, url, 0);
  }
  const reader = opened.body.getReader();
  const tally = new ByteTally(url, opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES, opened.total, 0, opts.onProgress);
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          scope.dispose();
          tally.finish();
          controller.close();
          return;
        }
        tally.add(value.byteLength);
        controller.enqueue(value);
      } catch (err) {
        discard(reader);
        const failure = streamFailure(err, scope, url, tally.bytes);
        scope.dispose();
        controller.error(failure);
      }
    },
    cancel(reason) {
      scope.dispose();
      return reader.cancel(reason);
    },
  });
  return { stream, total: opened.total, contentType: opened.contentType, url };
}
