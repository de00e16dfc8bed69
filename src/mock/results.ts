/**
 * Serving result files: the sample video's bytes (decoded once from the committed base64), single byte ranges
 * (RFC 9110 section 14) so browsers can seek and download managers can resume, the headers a download reads, and the
 * link's expiry on the mock's clock.
 */
import type { MockEngine } from "./engine.js";
import { errorReply, type MockReply } from "./reply.js";
import { SAMPLE_VIDEO_BASE64 } from "./sample-video.js";
import { scenarioFromPrefer } from "./scenarios.js";

let decoded: Uint8Array | undefined;

/** The sample MP4's bytes (decoded on first use; `atob` works in Node and browsers alike). */
export function sampleVideo(): Uint8Array {
  if (!decoded) {
    const binary = atob(SAMPLE_VIDEO_BASE64);
    decoded = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) decoded[i] = binary.charCodeAt(i);
  }
  return decoded;
}

/** A byte range to serve, inclusive at both ends. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Reads a `Range` header for a resource of `size` bytes. Returns `null` when the whole resource should be served
 * (no header, another unit, several ranges or a malformed value: RFC 9110 lets a server ignore those),
 * `"unsatisfiable"` when no byte of the range exists (416), the range otherwise.
 */
export function parseRange(header: string | null | undefined, size: number): ByteRange | "unsatisfiable" | null {
  if (!header) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return null;
  return { start, end };
}

/** A request for a result file (`GET`/`HEAD /__mock/results/<task id>.mp4`). */
export interface ResultRequest {
  /** The file name: `<task id>.mp4`. */
  file: string;
  /** The `Range` header. */
  range: string | null;
  /** The `Prefer` header: `scenario=reset` cuts the body off half-way, `scenario=hang` never answers. */
  prefer: string | null;
  /** Whether it is a `HEAD` request (headers only). */
  head: boolean;
}

/**
 * The answer to a result file request: 404 while the task has no result, 410 once the link has expired, else the
 * video (whole, or the range asked for) with the headers a download reads (`Expires` is the link's end).
 */
export function resultReply(engine: MockEngine, input: ResultRequest): MockReply {
  const taskId = input.file.replace(/\.mp4$/, "");
  const state = input.file.endsWith(".mp4") ? engine.resultState(taskId) : ({ kind: "missing" } as const);
  const scenario = scenarioFromPrefer(input.prefer);
  if (scenario === "hang") return { kind: "hang" };
  switch (state.kind) {
    case "missing":
      return errorReply(404, "not_found_error", `No result file ${input.file}`);
    case "not-ready":
      return errorReply(404, "not_found_error", `Task ${taskId} is ${state.status}: no result yet`);
    case "expired":
      return errorReply(
        410,
        "result_expired_error",
        `Result link expired at ${new Date(state.expiredAt).toISOString()} (links are valid for ${engine.resultTtlMs / 1000} s after the task completes): download results promptly`,
      );
    case "ready":
      break;
  }
  const bytes = sampleVideo();
  const size = bytes.length;
  const headers: Record<string, string> = {
    "content-type": "video/mp4",
    "accept-ranges": "bytes",
    "cache-control": "private, no-store",
    "content-disposition": `inline; filename="${input.file}"`,
    expires: new Date(state.expiresAt).toUTCString(),
  };
  const range = parseRange(input.range, size);
  if (range === "unsatisfiable") {
    return {
      kind: "bytes",
      status: 416,
      body: null,
      headers: { ...headers, "content-range": `bytes */${size}` },
      truncate: false,
    };
  }
  const part = range ? bytes.subarray(range.start, range.end + 1) : bytes;
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
  headers["content-length"] = String(part.length);
  return {
    kind: "bytes",
    status: range ? 206 : 200,
    body: input.head ? null : part,
    headers,
    truncate: scenario === "reset" && !input.head,
  };
}
