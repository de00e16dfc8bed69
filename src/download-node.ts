/**
 * Streaming a result to a file (Node, Bun, Deno): loaded lazily by `client.download`, and exported from the
 * `kling-o1-video-edit/node` entry, so the main entry stays free of `node:` imports.
 *
 * The bytes go to a partial file next to the destination (same directory, so the final move is atomic on one file
 * system), and the move happens only when the byte count matches the announced length. The destination is either
 * the complete file or untouched, and it must be a regular file or nothing: a symlink, FIFO or device is refused.
 * A cut-off download keeps its partial file when the server gave a validator, so the next try (a retry within the
 * call, or a later call given the resume state) asks only for the rest.
 */
import { randomBytes } from "node:crypto";
import { constants, createWriteStream, type Stats } from "node:fs";
import { link, lstat, readdir, rename, stat, unlink } from "node:fs/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import path from "node:path";
import { Readable, type Writable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import zlib from "node:zlib";
import {
  DEFAULT_DOWNLOAD_RETRIES,
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  STALE_PART_MS,
} from "./defaults.js";
import {
  ByteTally,
  checkExpiry,
  type DownloadResumeState,
  type FileDownloadOptions,
  fetchTransport,
  MAX_NAME_BYTES,
  openResult,
  safeFileName,
  streamFailure,
  type Transport,
  truncateBytes,
} from "./download.js";
import { APITimeoutError, APIUserAbortError, DownloadError, type KlingError } from "./errors.js";
import { CallScope, sleep } from "./internal/scope.js";
import { type AttemptOutcome, planRetry } from "./retry.js";
import type { DownloadResult } from "./types.js";

export { DEFAULT_DOWNLOAD_RETRIES, type FileDownloadOptions, STALE_PART_MS, safeFileName };

const PART_SUFFIX = /^[0-9a-f]{12}\.part$/;
/**
 * The part file's write buffer. node:http hands the body over in chunks of up to 64 KiB; with fs.WriteStream's
 * default 16 KiB every chunk fills the buffer, so the pipe pauses the socket after each chunk and resumes it when the
 * write lands: reading and writing never overlap, and each chunk costs a pause and a resume. 512 KiB lets the socket
 * keep reading while the file writes, and stays small: chunks queued here can outlive a scavenge and wait for a full
 * GC (issue 18 measured 256 KiB to 1 MiB at about 0.85x node:http's CPU time per 100 MiB, RSS growth at its level).
 * The stream's own `writev` gathers what queued while a write was in flight into one writev(2). An earlier session
 * took it out (a 1 MiB buffer with writev had cost 2-3x node:http's wall time on that host); on 2026-12-03, A/B in
 * `npm run bench -- download`, two runs each: with writev 1.18x and 1.16x node:http's throughput (warmed-up process
 * 1.05x, 1.45x; CPU 0.79x, 0.77x), without it 1.04x and 0.84x (warm 0.78x, 0.86x; CPU 0.87x, 1.03x).
 */
const PART_BUFFER_BYTES = 512 * 1024;
/** Where a hard link cannot be made (FAT, some network file systems): fall back to rename. */
const NO_LINK_CODES = ["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV", "EMLINK"];

/** The file name a URL suggests (its last path segment, made safe by {@link safeFileName}), for a directory. */
export function fileNameFromUrl(url: string): string {
  try {
    return safeFileName(decodeURIComponent(new URL(url).pathname.split("/").pop() ?? ""), "result.mp4");
  } catch {
    return "result.mp4";
  }
}

function describe(info: Stats): string {
  if (info.isSymbolicLink()) return "a symbolic link";
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a FIFO";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device";
  return "not a regular file";
}

/** A file-system failure (EACCES, ENOSPC, a missing folder): neither the network nor the server. */
function ioError(file: string, cause: unknown): DownloadError {
  return new DownloadError(`Could not write ${file}: ${(cause as Error).message}`, { reason: "io", cause });
}

async function lstatOrNull(file: string): Promise<Stats | null> {
  try {
    return await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw ioError(file, err);
  }
}

/** Refuses a destination that exists and is not a regular file (never following a symlink). */
async function checkDestination(target: string, url: string): Promise<"missing" | "file"> {
  const info = await lstatOrNull(target);
  if (info === null) return "missing";
  if (info.isFile()) return "file";
  throw new DownloadError(`Refusing to replace ${target}: it is ${describe(info)}, not a regular file`, {
    reason: "io",
    url,
  });
}

/** The file to write: `destination`, or the URL's file name inside it when it is a directory (or a link to one). */
async function resolveTarget(destination: string, url: string): Promise<string> {
  const target = path.resolve(destination);
  const info = await lstatOrNull(target);
  const isDir =
    info?.isDirectory() || (info?.isSymbolicLink() && (await stat(target).catch(() => null))?.isDirectory());
  const file = isDir ? path.join(target, fileNameFromUrl(url)) : target;
  await checkDestination(file, url);
  if (!(await stat(path.dirname(file)).catch(() => null))?.isDirectory()) {
    throw new DownloadError(`Could not write ${file}: its folder does not exist`, { reason: "io", url });
  }
  return file;
}

/** The name prefix of a destination's partial files: `.<name>.` (then 12 hex digits and `.part`). */
function partPrefix(target: string): string {
  return `.${truncateBytes(path.basename(target), MAX_NAME_BYTES)}.`;
}

function isPartOf(target: string, file: string): boolean {
  const name = path.basename(file);
  const prefix = partPrefix(target);
  return (
    path.dirname(path.resolve(file)) === path.dirname(target) &&
    name.startsWith(prefix) &&
    PART_SUFFIX.test(name.slice(prefix.length))
  );
}

/** Deletes the destination's partial files nobody owns: not `keep`, and untouched for {@link STALE_PART_MS}. */
async function removeStaleParts(target: string, keep: string | undefined): Promise<void> {
  const dir = path.dirname(target);
  const prefix = partPrefix(target);
  const names = await readdir(dir).catch(() => [] as string[]);
  const now = Date.now();
  for (const name of names) {
    const file = path.join(dir, name);
    if (!name.startsWith(prefix) || !isPartOf(target, file) || file === keep) continue;
    const info = await lstatOrNull(file).catch(() => null);
    if (info?.isFile() && now - info.mtimeMs > STALE_PART_MS) await unlink(file).catch(() => {});
  }
}

/** Moves the finished part onto the destination: a hard link where nothing is there (no clobbering), else rename. */
async function moveIntoPlace(part: string, target: string, url: string): Promise<void> {
  if ((await checkDestination(target, url)) === "missing") {
    try {
      await link(part, target);
      await unlink(part).catch(() => {});
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "";
      if (code !== "EEXIST" && !NO_LINK_CODES.includes(code)) throw ioError(target, err);
      await checkDestination(target, url);
    }
  }
  await rename(part, target).catch((err: unknown) => {
    throw ioError(target, err);
  });
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}

/** A body decoded like fetch does (gzip, deflate, br): the size cap then counts the decoded bytes. */
function decoded(res: IncomingMessage): Readable {
  const encoding = res.headers["content-encoding"]?.trim().toLowerCase();
  const decoder =
    encoding === "gzip" || encoding === "x-gzip"
      ? zlib.createGunzip()
      : encoding === "deflate"
        ? zlib.createInflate()
        : encoding === "br"
          ? zlib.createBrotliDecompress()
          : null;
  if (!decoder) return res;
  res.on("error", (err) => decoder.destroy(err));
  decoder.on("close", () => res.destroy());
  return res.pipe(decoder);
}

/**
 * The file download's own transport when no `fetch` is given: node:http/node:https, which streams into a file
 * faster and with less memory than Node's fetch (web streams). Redirects are left to `openResult`.
 */
const httpTransport: Transport<Readable> = (url, headers, signal) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === "https:" ? https : http).request(target, { headers, signal }, (res) => {
      const body = decoded(res);
      resolve({
        status: res.statusCode ?? 0,
        header: (name) => headerValue(res.headers[name]),
        body,
        discard: () => {
          body.destroy();
          res.destroy();
        },
      });
    });
    request.on("error", reject);
    request.end();
  });

/** A fetch's transport with its body as a Node stream. */
function fetchFileTransport(doFetch: typeof fetch): Transport<Readable> {
  const inner = fetchTransport(doFetch);
  return async (url, headers, signal) => {
    const response = await inner(url, headers, signal);
    // fromWeb locks the web stream, so releasing it goes through the Node stream (destroy cancels the reader).
    const body = response.body && Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
    return { ...response, body, discard: () => body?.destroy() };
  };
}

/**
 * Pipes the body into the part file, calling `count` for each chunk (it throws to stop: too large). Unlike
 * `pipeline`, a failing body (cut off, reset, aborted) does not throw away the file's write buffer: the file is
 * ended, so every chunk already handed to it is written and a resume asks only for the rest. A failing count or
 * file destroys everything. No Transform in between: one stream hop less keeps this at node:http's own cost.
 */
function writeBody(body: Readable, count: (chunk: Buffer) => void, out: Writable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: { error: unknown } | undefined;
    let settled = false;
    const onAbort = () => body.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    const settle = () => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      if (failure) reject(failure.error);
      else resolve();
    };
    const fail = (error: unknown) => {
      failure ??= { error };
      body.destroy();
      out.destroy();
      settle();
    };
    body.once("error", (error) => {
      failure ??= { error };
      body.unpipe(out);
      out.end();
    });
    out.once("error", fail);
    out.once("finish", settle);
    body.on("data", (chunk: Buffer) => {
      if (failure) return;
      try {
        count(chunk);
      } catch (error) {
        fail(error);
      }
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    body.pipe(out);
  });
}

/** The part file this call writes: resumable when the server gave a validator. */
interface Part {
  path: string;
  validator: string | null;
  total: number | null;
}

async function partSize(file: string): Promise<number> {
  const info = await lstatOrNull(file);
  return info?.isFile() ? info.size : 0;
}

/** The resume state passed in, if it names this destination's partial file and that file is there. */
async function adoptPart(
  target: string,
  resume: DownloadResumeState,
  opts: FileDownloadOptions,
): Promise<Part | undefined> {
  const usable =
    typeof resume?.partPath === "string" &&
    typeof resume.validator === "string" &&
    resume.validator !== "" &&
    isPartOf(target, resume.partPath);
  if (!usable) {
    opts.logger?.warn(`Ignoring a resume state that is not a partial file of ${target}; downloading from the start`);
    return undefined;
  }
  const file = path.resolve(resume.partPath);
  if (!(await lstatOrNull(file))?.isFile()) return undefined;
  return { path: file, validator: resume.validator, total: typeof resume.total === "number" ? resume.total : null };
}

/** The open(2) flags for the part: append to a continued part, else truncate (or create exclusively), never via a link. */
function partFlags(append: boolean, fresh: boolean): number {
  const noFollow = constants.O_NOFOLLOW ?? 0;
  if (append) return constants.O_WRONLY | constants.O_APPEND | noFollow;
  return constants.O_WRONLY | constants.O_CREAT | noFollow | (fresh ? constants.O_EXCL : constants.O_TRUNC);
}

/** Failures after which the bytes already written are still good (the rest can be asked for). */
function keepsPart(failure: KlingError): boolean {
  if (failure instanceof APIUserAbortError || failure instanceof APITimeoutError) return true;
  if (!(failure instanceof DownloadError)) return false;
  return (
    failure.reason === "truncated" ||
    failure.reason === "network" ||
    (failure.reason === "http" && (failure.status ?? 0) >= 500)
  );
}

/** A download failure as the retry policy sees it, or `null` when it is not a transport failure (never retried). */
function attemptOutcome(failure: unknown): AttemptOutcome | null {
  if (!(failure instanceof DownloadError)) return null;
  if (failure.reason === "http" && failure.status !== undefined) return { kind: "status", status: failure.status };
  if (failure.reason === "truncated" || failure.reason === "network") {
    const code = (failure.cause as { code?: unknown } | undefined)?.code;
    return { kind: "connection", code: typeof code === "string" ? code : undefined };
  }
  return null;
}

/**
 * Streams `url` to `destination` (a file path, or a directory to put the URL's file name in). Memory stays flat
 * whatever the size: the body is piped with backpressure, never buffered.
 *
 * Transport: without `fetch`, node:http/node:https (the fastest Node has); with `fetch` (a test's, a proxy's, or the
 * client's when one was given), that fetch with `redirect: "manual"`. Either way each redirect hop is checked before
 * it is requested (https only unless `allowInsecure`, never https -> http), and credentials are not carried to
 * another origin.
 *
 * Failures: the destination is never touched. A destination that exists and is not a regular file (a symlink, a
 * FIFO, a device, a directory's entry that is one) is refused before anything is sent (`DownloadError` reason `io`).
 * A result with no bytes (a 204, an empty 200) is `empty`; past `expiresAt`, `expired` with nothing sent. A body cut
 * off (or a reset, a 5xx) is retried up to `retries` times, each asking only for the missing bytes when the server
 * gave an `ETag` or `Last-Modified` (`Range` with `If-Range`; a 200 instead of a 206 restarts from zero). When the
 * call still fails, the partial file is kept and described by `onResumeState` and `DownloadError.resumeState`: pass
 * it back as `resume` to continue. Any other failure deletes it.
 */
export async function downloadToFile(
  url: string,
  destination: string,
  opts: FileDownloadOptions = {},
): Promise<DownloadResult> {
  checkExpiry(url, opts.expiresAt, opts.logger);
  const retries = opts.retries ?? DEFAULT_DOWNLOAD_RETRIES;
  if (!Number.isSafeInteger(retries) || retries < 0) {
    throw new TypeError(`retries must be a whole number >= 0 (got ${String(opts.retries)})`);
  }
  const scope = new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const transport = opts.fetch ? fetchFileTransport(opts.fetch) : httpTransport;
  const call = {
    part: undefined as Part | undefined,
    bytes: 0,
    /** Whether the caller holds a resume state, so a `null` must tell it the part is gone. */
    reported: opts.resume !== undefined,
    /** An exception from the caller's own `onProgress`: thrown as is, never retried. */
    callerError: undefined as { error: unknown } | undefined,
    /** The part file's own write error, told apart from a failing body. */
    writeError: undefined as unknown,
  };
  const failureOf = (err: unknown): KlingError =>
    err !== undefined && err === call.writeError && !scope.abortKind
      ? ioError(destination, err)
      : streamFailure(err, scope, url, call.bytes);
  const report = async (part: Part | null, bytes: number) => {
    const state = part?.validator ? { partPath: part.path, bytes, validator: part.validator, total: part.total } : null;
    if (!opts.onResumeState || (state === null && !call.reported)) return;
    call.reported = state !== null;
    await opts.onResumeState(state);
  };
  const onProgress = opts.onProgress;
  const progress = onProgress
    ? (bytes: number, total: number | null) => {
        try {
          onProgress(bytes, total);
        } catch (error) {
          call.callerError = { error };
          throw error;
        }
      }
    : undefined;

  const attempt = async (target: string): Promise<DownloadResult> => {
    const resumeFrom = call.part?.validator ? await partSize(call.part.path) : 0;
    const opened = await openResult(url, transport, {
      signal: scope.signal,
      maxBytes,
      allowInsecure: opts.allowInsecure ?? false,
      headers: opts.headers,
      from: call.part?.validator && resumeFrom > 0 ? { offset: resumeFrom, validator: call.part.validator } : undefined,
    });
    const append = call.part !== undefined && opened.offset > 0;
    const fresh = call.part === undefined;
    const part: Part = {
      path:
        call.part?.path ??
        path.join(path.dirname(target), `${partPrefix(target)}${randomBytes(6).toString("hex")}.part`),
      validator: opened.validator,
      total: opened.total,
    };
    call.part = part;
    if (!append) await report(part, 0); // write-ahead: a store knows the part before it exists
    const tally = new ByteTally(url, maxBytes, opened.total, opened.offset, progress);
    call.bytes = tally.bytes;
    const count = (chunk: Buffer) => {
      tally.add(chunk.length);
      call.bytes = tally.bytes;
    };
    // O_NOFOLLOW, and O_EXCL for a new part: a link planted at the part's name is never written through.
    const out = createWriteStream(part.path, {
      flags: partFlags(append, fresh) as unknown as string,
      highWaterMark: PART_BUFFER_BYTES,
    });
    out.once("error", (err) => {
      call.writeError = err;
    });
    await writeBody(opened.body, count, out, scope.signal);
    tally.finish();
    await moveIntoPlace(part.path, target, url);
    call.part = undefined;
    await report(null, tally.bytes);
    opts.logger?.debug(`downloaded ${tally.bytes} bytes to ${target}`);
    return { path: target, bytes: tally.bytes, contentType: opened.contentType, url };
  };

  try {
    const target = await resolveTarget(destination, url);
    const keep = typeof opts.resume?.partPath === "string" ? path.resolve(opts.resume.partPath) : undefined;
    await removeStaleParts(target, keep);
    if (opts.resume) call.part = await adoptPart(target, opts.resume, opts);
    for (let retry = 0; ; retry++) {
      try {
        return await attempt(target);
      } catch (err) {
        if (call.callerError) throw err;
        const failure = failureOf(err);
        const outcome = scope.abortKind ? null : attemptOutcome(failure);
        const plan = outcome
          ? planRetry({
              outcome,
              idempotent: true,
              retriesSoFar: retry,
              maxRetries: retries,
              remainingMs: scope.remaining(),
            })
          : null;
        if (!plan?.retry) throw failure;
        opts.logger?.info(
          `Download of ${url} failed (${failure.message}); retrying in ${plan.delayMs} ms from byte ${call.part?.validator ? await partSize(call.part.path) : 0}`,
        );
        await sleep(plan.delayMs, scope.signal);
      }
    }
  } catch (err) {
    if (call.callerError) {
      if (call.part) await unlink(call.part.path).catch(() => {});
      throw call.callerError.error;
    }
    const failure = failureOf(err);
    const part = call.part;
    if (part) {
      const bytes = await partSize(part.path);
      if (part.validator && bytes > 0 && keepsPart(failure)) {
        const state: DownloadResumeState = { partPath: part.path, bytes, validator: part.validator, total: part.total };
        await report(part, bytes).catch(() => {});
        if (failure instanceof DownloadError) failure.resumeState = state;
      } else {
        await unlink(part.path).catch(() => {});
        await report(null, 0).catch(() => {});
      }
    }
    throw failure;
  } finally {
    scope.dispose();
  }
}
