/**
 * What the mock answers, free of any HTTP library: a status and a body, or a fault. The Hono server and the MSW
 * handlers turn a reply into a response (web.ts); the faults without a response are theirs to produce.
 */

/** What the mock answers: JSON, raw text, a fault, or bytes of a result file. */
export type MockReply =
  | { kind: "json"; status: number; body: unknown; headers: Record<string, string> }
  /** A body sent as it is (a replayed answer that was not JSON: a gateway's HTML page, an empty body). */
  | { kind: "raw"; status: number; text: string; headers: Record<string, string> }
  /** 200 with `Content-Type: application/json` and a body that is not valid JSON. */
  | { kind: "malformed"; text: string }
  /** Drop the connection without an answer. */
  | { kind: "reset" }
  /** Never answer. */
  | { kind: "hang" }
  /** A result file (or a part of it); `truncate` cuts the body off half-way with a network error. */
  | { kind: "bytes"; status: number; body: Uint8Array | null; headers: Record<string, string>; truncate: boolean };

/** The largest request body the mock reads (the API's bodies are a few KB): larger ones answer 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A JSON reply. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): MockReply {
  return { kind: "json", status, body, headers };
}

/** A reply in the API's error envelope (`{ error: { code, message, type, param? } }`). */
export function errorReply(status: number, type: string, message: string, param?: string): MockReply {
  return json(status, { error: { code: status, message, type, ...(param ? { param } : {}) } });
}

/** The answer to a body over {@link MAX_BODY_BYTES}, in the API's error envelope; the body is not read further. */
export function tooLarge(): MockReply {
  return errorReply(
    413,
    "invalid_request_error",
    `Request body is larger than ${MAX_BODY_BYTES} bytes: the mock does not read it`,
  );
}
