/**
 * Streaming a result to a file (Node, Bun, Deno): loaded lazily by `client.download`, and exported from the
 * `kling-o1-video-edit/node` entry, so the main entry stays free of `node:` imports.
 *
 * The bytes go to a temporary file next to the destination (same directory, so the final rename is atomic on one
 * file system) and the rename happens only when the byte count matches `Content-Length`. Any failure or abort
 * deletes the temporary file: the destination is either the complete file or untouched.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  type DownloadInternals,
  openResult,
  streamFailure,
} from "./download.js";
import { DownloadError, KlingError } from "./errors.js";
import { CallScope } from "./internal/scope.js";
import type { Logger } from "./logger.js";
import type { DownloadOptions, DownloadResult } from "./types.js";

/** The file name a URL suggests (its last path segment), for a destination that is a directory. */
export function fileNameFromUrl(url: string): string {
  try {
    const last = decodeURIComponent(new URL(url).pathname.split("/").pop() ?? "");
    const safe = last.replace(/[\\/:*?"<>|\0]/g, "_");
    return safe && safe !== "." && safe !== ".." ? safe : "result.mp4";
  } catch {
    return "result.mp4";
  }
}

async function resolveTarget(destination: string, url: string): Promise<string> {
  const target = path.resolve(destination);
  const info = await stat(target).catch(() => null);
  return info?.isDirectory() ? path.join(target, fileNameFromUrl(url)) : target;
}

/**
 * Streams `url` to `destination` (a file path, or a directory to put the URL's file name in). Memory stays flat
 * whatever the size: the body is piped with backpressure, never buffered.
 */
export async function downloadToFile(
  url: string,
  destination: string,
  opts: DownloadOptions & DownloadInternals & { logger?: Logger } = {},
): Promise<DownloadResult> {
  const scope = new CallScope(opts.signal, opts.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  let bytes = 0;
  let tmp: string | undefined;
  try {
    const target = await resolveTarget(destination, url);
    const opened = await openResult(url, {
      fetch: opts.fetch,
      signal: scope.signal,
      maxBytes,
      allowInsecure: opts.allowInsecure ?? false,
    });
    tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString("hex")}.part`);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          callback(
            new DownloadError(`Result passed the ${maxBytes}-byte limit (maxBytes): ${url}`, {
              reason: "too-large",
              url,
            }),
          );
          return;
        }
        try {
          opts.onProgress?.(bytes, opened.total);
        } catch (err) {
          callback(err as Error);
          return;
        }
        callback(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(opened.body as NodeReadableStream<Uint8Array>),
      counter,
      createWriteStream(tmp, { flags: "wx" }),
      { signal: scope.signal },
    );
    if (opened.total !== null && bytes !== opened.total) {
      throw new DownloadError(`Result was cut off: ${bytes} of ${opened.total} bytes arrived: ${url}`, {
        reason: "truncated",
        url,
      });
    }
    await rename(tmp, target);
    tmp = undefined;
    opts.logger?.debug(`downloaded ${bytes} bytes to ${target}`);
    return { path: target, bytes, contentType: opened.response.headers.get("content-type"), url };
  } catch (err) {
    if (tmp) await unlink(tmp).catch(() => {});
    const failure = streamFailure(err, scope, url, bytes);
    // File-system errors (ENOENT directory, EACCES, ENOSPC) are neither network nor abort: say so.
    if (
      !(err instanceof KlingError) &&
      !scope.abortKind &&
      typeof (err as { syscall?: unknown }).syscall === "string"
    ) {
      throw new DownloadError(`Could not write ${destination}: ${(err as Error).message}`, {
        reason: "io",
        url,
        cause: err,
      });
    }
    throw failure;
  } finally {
    scope.dispose();
  }
}
