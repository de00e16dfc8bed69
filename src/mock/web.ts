/**
 * Turning a {@link MockReply} into a web-standard `Response`, shared by the Hono server and the MSW handlers. The
 * faults that have no response (`reset`, `hang`) are the transports' own business.
 */
import type { MockReply } from "./reply.js";

/** The JSON content type the spec's responses use. */
export const JSON_TYPE = "application/json";

/** Statuses whose response has no body (the Fetch standard's null body statuses). */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/**
 * A body that sends its first half and then fails, as a connection dropped mid-download does: the client sees the
 * headers (with the full `Content-Length`) and a truncated body.
 */
function truncatedStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  const half = bytes.subarray(0, Math.floor(bytes.length / 2));
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(half);
    },
    pull(controller) {
      controller.error(new Error("mock scenario reset: connection dropped mid-body"));
    },
  });
}

/**
 * The `Response` for a reply that has one (JSON, malformed JSON, or result bytes). `extra` headers (the server's
 * request id and CORS headers) come first, so a header the reply sets itself (a replayed request id) wins.
 */
export function replyToResponse(
  reply: Exclude<MockReply, { kind: "reset" } | { kind: "hang" }>,
  extra: Record<string, string> = {},
): Response {
  switch (reply.kind) {
    case "json":
      return new Response(JSON.stringify(reply.body), {
        status: reply.status,
        headers: { "content-type": JSON_TYPE, ...extra, ...reply.headers },
      });
    case "raw":
      return new Response(NULL_BODY_STATUSES.has(reply.status) ? null : reply.text, {
        status: reply.status,
        headers: { ...extra, ...reply.headers },
      });
    case "malformed":
      return new Response(reply.text, { status: 200, headers: { ...extra, "content-type": JSON_TYPE } });
    case "bytes": {
      let body: BodyInit | null = null;
      if (reply.body) body = reply.truncate ? truncatedStream(reply.body) : reply.body.slice();
      return new Response(body, { status: reply.status, headers: { ...extra, ...reply.headers } });
    }
  }
}
