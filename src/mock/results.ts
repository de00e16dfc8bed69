/**
 * Serving the sample result video: bytes decoded once from the committed base64, and single byte ranges
 * (RFC 9110 section 14) so browsers can seek and download managers can resume.
 */
import { SAMPLE_VIDEO_BASE64 } from "./sample-video.js";

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
