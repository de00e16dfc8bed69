/**
 * Node `http` adapter for {@link handleCallback}: turns an `IncomingMessage` into a standard `Request` and writes
 * the `Response` back. Works with `http.createServer` and Express (which passes the same objects); a body already
 * parsed by a body parser (`req.body`) is used as is. A body still arriving after `bodyTimeoutMs` (default 10 s,
 * `DEFAULT_CALLBACK_BODY_TIMEOUT_MS`) gets 408 with `Connection: close`, so a slow sender cannot hold a connection
 * until Node's own 300 s request timeout.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { type HandleCallbackOptions, handleCallback } from "./webhooks.js";

/** Converts a Node request into a standard `Request` (the body is streamed, not read here). */
export function toWebRequest(req: IncomingMessage & { body?: unknown }): Request {
  const host = req.headers.host ?? "localhost";
  const url = new URL(req.url ?? "/", `http://${host}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const method = req.method ?? "GET";
  if (method === "GET" || method === "HEAD") return new Request(url, { method, headers });
  if (req.body !== undefined) {
    // Express with a body parser has consumed the stream already.
    const body: BodyInit =
      typeof req.body === "string"
        ? req.body
        : req.body instanceof Uint8Array
          ? new Uint8Array(req.body)
          : JSON.stringify(req.body);
    headers.delete("content-length");
    return new Request(url, { method, headers, body });
  }
  return new Request(url, {
    method,
    headers,
    body: Readable.toWeb(req) as ReadableStream<Uint8Array>,
    duplex: "half",
  } as RequestInit);
}

/** Writes a standard `Response` to a Node response. */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

/**
 * A Node `http` request listener (or Express handler) that handles task callbacks.
 * @example http.createServer(createNodeCallbackListener({ onTask: save })).listen(8080);
 */
export function createNodeCallbackListener(
  opts: HandleCallbackOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let request: Request;
    try {
      request = toWebRequest(req);
    } catch (err) {
      // Node accepts requests the Fetch API refuses (a Host that is not a host name, TRACE): thrown here, the error
      // would escape the listener as an uncaught exception and take the whole server down.
      opts.logger?.warn(`callback rejected (400): ${(err as Error).message}`);
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: 400, message: "Malformed request", type: "invalid_request_error" } }));
      return;
    }
    handleCallback(request, opts)
      .then((response) => sendWebResponse(res, response))
      .catch((err: unknown) => {
        opts.logger?.error(`callback listener failed: ${(err as Error).message}`);
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: 500, message: "Internal error", type: "internal_server_error" } }));
      });
  };
}
