/**
 * A loopback result host for download tests: serves a deterministic file with ETag / Last-Modified, honours
 * `Range` with `If-Range` (RFC 9110 §14.2, §13.1.5), and can cut a response off part-way, ignore ranges, answer
 * empty, redirect, or send a gzip bomb. Records every request (path, headers, bytes sent).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";

/** Byte `i` of every served file: a pattern that makes a misplaced range visible. */
export const byteAt = (i: number): number => (i * 7 + 3) % 251;

export function fileBytes(size: number, from = 0): Buffer {
  const out = Buffer.alloc(size - from);
  for (let i = from; i < size; i++) out[i - from] = byteAt(i);
  return out;
}

/** How `/file/<name>` behaves. */
export interface FileScript {
  size: number;
  /** Strong or weak ETag to send (and accept in If-Range). */
  etag?: string;
  lastModified?: string;
  /** Cut the connection once this byte of the file has been sent, for the first `cuts` responses. */
  cutAt?: number;
  cuts?: number;
  /** Answer 200 with the whole file even to a Range request (a server without range support). */
  ignoreRange?: boolean;
  /** Answer 416 to any Range request. */
  refuseRange?: boolean;
}

export interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
  status: number;
  /** Body bytes written for this request. */
  sent: number;
}

export interface ResultServer {
  base: string;
  /** Another origin for the same server (`localhost` instead of `127.0.0.1`). */
  otherOrigin: string;
  seen: Seen[];
  files: Map<string, FileScript>;
  close(): Promise<void>;
}

function serveFile(req: http.IncomingMessage, res: http.ServerResponse, script: FileScript, seen: Seen): void {
  const { size } = script;
  const ifRange = req.headers["if-range"];
  const matches = ifRange === undefined || ifRange === script.etag || ifRange === script.lastModified;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  let start = 0;
  const headers: http.OutgoingHttpHeaders = { "content-type": "video/mp4", "accept-ranges": "bytes" };
  if (script.etag) headers.etag = script.etag;
  if (script.lastModified) headers["last-modified"] = script.lastModified;
  if (range && script.refuseRange) {
    seen.status = 416;
    res.writeHead(416, { "content-range": `bytes */${size}` }).end();
    return;
  }
  if (range && matches && !script.ignoreRange) {
    start = Number(range[1]);
    headers["content-range"] = `bytes ${start}-${size - 1}/${size}`;
  }
  seen.status = start > 0 || headers["content-range"] ? 206 : 200;
  headers["content-length"] = size - start;
  res.writeHead(seen.status, headers);
  const body = fileBytes(size, start);
  const cut =
    script.cutAt !== undefined && (script.cuts ?? 1) > 0 && script.cutAt > start ? script.cutAt - start : null;
  if (cut !== null) {
    script.cuts = (script.cuts ?? 1) - 1;
    seen.sent = cut;
    res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 10));
    return;
  }
  seen.sent = body.length;
  res.end(body);
}

export async function startResultServer(): Promise<ResultServer> {
  const seen: Seen[] = [];
  const files = new Map<string, FileScript>();
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  let port = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const entry: Seen = { path: url.pathname, headers: req.headers, status: 0, sent: 0 };
    seen.push(entry);
    const reply = (status: number, headers: http.OutgoingHttpHeaders = {}, body?: Buffer | string) => {
      entry.status = status;
      entry.sent = body === undefined ? 0 : Buffer.byteLength(body);
      res.writeHead(status, headers).end(body);
    };
    const name = url.pathname.replace(/^\/file\//, "");
    const script = url.pathname.startsWith("/file/") ? files.get(name) : undefined;
    if (script) return serveFile(req, res, script, entry);
    switch (url.pathname) {
      case "/empty-200":
        return reply(200, { "content-type": "video/mp4", "content-length": "0" }, "");
      case "/empty-chunked":
        return reply(200, { "content-type": "video/mp4" }, "");
      case "/no-content":
        return reply(204);
      case "/redirect": {
        // ?to=<absolute or relative URL>; ?host=other sends it to the other origin, same port.
        const to = url.searchParams.get("to") ?? "/";
        const host = url.searchParams.get("host") === "other" ? `http://localhost:${port}` : "";
        return reply(302, { location: `${host}${to}` });
      }
      case "/loop":
        return reply(302, { location: "/loop" });
      case "/gzip-bomb":
        return reply(200, { "content-type": "video/mp4", "content-encoding": "gzip" }, bomb);
      case "/gzip-small":
        return reply(200, { "content-type": "video/mp4", "content-encoding": "gzip" }, gzipSync(fileBytes(5000)));
      default:
        return reply(404);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    otherOrigin: `http://localhost:${port}`,
    seen,
    files,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
