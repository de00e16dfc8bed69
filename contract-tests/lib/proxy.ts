/**
 * The validating proxy behind `npm run proxy -- <upstream>`: Prism in proxy mode (`--errors`) in front of any
 * upstream, with a small front server that makes up for Prism's blind spots:
 *
 * - Prism only warns about a status the spec does not document, and does not know the spec's prose promises (error
 *   envelope, `error.code` equal to the status, the task lifecycle): the front runs the suite's own checks on every
 *   exchange and, like `--errors`, turns a violation into a 500 problem document (or, with `warnOnly`, passes the
 *   response through with an `x-contract-violations` header).
 * - Prism answers some requests itself instead of forwarding them (no bearer token: its own 401; a body that is not
 *   JSON: its own 400; a path not in the spec: its own 404; a request breaking the schema: its own 422). The front
 *   sends those straight to the upstream, and Prism runs with `--validate-request=false`, so the client always sees
 *   the API's own answer, which is then checked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkExchange } from "../../src/verify/checks.js";
import { parseBody, plainHeaders } from "../../src/verify/http.js";
import { checkLifecycle, taskOf } from "../../src/verify/lifecycle.js";
import { recognisePrism } from "../../src/verify/prism-inventions.js";
import { type Exchange, type Headers, matchOperation, type Violation } from "../../src/verify/types.js";
import { type PrismProcess, startPrism } from "./prism.js";

/** The problem `type` of the front's own 500s (distinct from Prism's). */
export const PROXY_VIOLATIONS_TYPE = "urn:kling-o1-video-edit:contract-violations";
/** The header that lists violations on a response passed through (`warnOnly`) or replaced. */
export const VIOLATIONS_HEADER = "x-contract-violations";
/** Default port of `npm run proxy` (the mock and Prism default to 4010, so both can run side by side). */
export const DEFAULT_PROXY_PORT = 4011;

/** Options of {@link startValidatingProxy}. */
export interface ProxyOptions {
  /** The API to check, e.g. `https://ai.odkkk.com/apiv1` or `http://127.0.0.1:4010`. */
  upstream: string;
  /** Port of the proxy; 0 picks a free one. @default 4011 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Pass violating responses through (with the header) instead of replacing them with a 500. @default false */
  warnOnly?: boolean;
  /** Where each exchange's one-line verdict goes. @default no logging */
  log?: (line: string) => void;
  /** A Prism proxy already running in front of `upstream` (tests share one). @default a new one */
  prism?: PrismProcess;
}

/** What the proxy found in one exchange. */
export interface ProxyFinding {
  method: string;
  path: string;
  /** The upstream's status (before any replacement). */
  status: number;
  /** `prism` when it went through Prism, `direct` when the front sent it to the upstream itself. */
  via: "prism" | "direct";
  violations: Violation[];
}

/** A running proxy. */
export interface ValidatingProxy {
  /** Point clients here: `http://127.0.0.1:PORT`. */
  url: string;
  /** The Prism proxy behind it. */
  prismUrl: string;
  /** Every exchange with at least one violation, oldest first (the last 1000). */
  readonly findings: readonly ProxyFinding[];
  close(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 section 7.6.1), plus what fetch decodes or recomputes.
const DROP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
  "content-length",
  "content-encoding",
  "accept-encoding",
]);

function forwardable(headers: Headers): Headers {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !DROP.has(name)));
}

function requestHeaders(req: IncomingMessage): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") out[name] = value;
    else if (Array.isArray(value)) out[name] = value.join(", ");
  }
  return out;
}

/** Whether Prism would answer a request itself rather than forward it. */
function prismWouldAnswer(headers: Headers, body: Buffer, operationKnown: boolean): boolean {
  if (!operationKnown) return true;
  if (!/^Bearer\s+\S/i.test(headers.authorization ?? "")) return true;
  if (body.length === 0) return false;
  try {
    JSON.parse(body.toString("utf8"));
    return false;
  } catch {
    return true;
  }
}

const MAX_TASKS = 200;

/** Starts Prism (unless given) and the checking front server. */
export async function startValidatingProxy(options: ProxyOptions): Promise<ValidatingProxy> {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== "http:" && upstream.protocol !== "https:") {
    throw new Error(`upstream must be an http(s) URL, got ${options.upstream}`);
  }
  const upstreamBase = options.upstream.replace(/\/+$/, "");
  const ownPrism = options.prism === undefined;
  // Prism's own validator lines add its view to the log; the ones before start-up are the readiness probe's.
  let started = false;
  const prism =
    options.prism ??
    (await startPrism(
      { mode: "proxy", upstream: upstreamBase, errors: true, validateRequest: false },
      { onLine: (line) => (started && /VALIDATOR/.test(line) ? options.log?.(`[prism] ${line.trim()}`) : undefined) },
    ));
  started = true;
  const findings: ProxyFinding[] = [];
  const tasks = new Map<string, Exchange[]>();

  function lifecycleViolations(exchange: Exchange, taskIdParam: string | undefined): Violation[] {
    const task = taskOf(exchange);
    const id = taskIdParam ?? (typeof task?.id === "string" ? task.id : undefined);
    if (!task || !id) return [];
    const seen = tasks.get(id) ?? [];
    seen.push(exchange);
    tasks.delete(id);
    tasks.set(id, seen);
    if (tasks.size > MAX_TASKS) tasks.delete(tasks.keys().next().value as string);
    const last = seen.length - 1;
    return checkLifecycle(seen, id).filter((v) => v.message.startsWith(`poll ${last}:`));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = (req.method ?? "GET").toUpperCase();
    const path = req.url ?? "/";
    const headers = requestHeaders(req);
    const match = matchOperation(method, path);
    const via = prismWouldAnswer(headers, body, match !== undefined) ? "direct" : "prism";
    const base = via === "direct" ? upstreamBase : prism.url;
    let response: Response;
    let payload: Buffer;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: forwardable(headers),
        ...(body.length && method !== "GET" && method !== "HEAD" ? { body } : {}),
        redirect: "manual",
      });
      payload = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      options.log?.(`${method} ${path} -> upstream unreachable: ${(error as Error).message}`);
      res.writeHead(502, { "content-type": "application/problem+json" });
      res.end(JSON.stringify({ type: PROXY_VIOLATIONS_TYPE, title: "Upstream unreachable", status: 502 }));
      return;
    }
    const outHeaders = forwardable(plainHeaders(response.headers));
    if (!match) {
      options.log?.(`${method} ${path} -> ${response.status} (not in the spec: passed through unchecked)`);
      res.writeHead(response.status, outHeaders).end(payload);
      return;
    }
    const exchange: Exchange = {
      operationId: match.operationId,
      request: { method, path, headers: {}, body: null },
      response: {
        status: response.status,
        headers: plainHeaders(response.headers),
        body: parseBody(payload.toString("utf8"), response.headers.get("content-type") ?? undefined),
      },
    };
    const violations = [...checkExchange(exchange), ...lifecycleViolations(exchange, match.params.task_id)];
    if (!violations.length) {
      options.log?.(`${method} ${path} -> ${response.status} ok (${via})`);
      res.writeHead(response.status, outHeaders).end(payload);
      return;
    }
    findings.push({ method, path, status: response.status, via, violations });
    if (findings.length > 1000) findings.shift();
    for (const v of violations) {
      options.log?.(
        `${method} ${path} -> ${response.status} VIOLATION ${v.rule} at ${v.pointer || "(exchange)"}: ${v.message}`,
      );
    }
    const summary = JSON.stringify(violations.map((v) => ({ pointer: v.pointer, rule: v.rule }))).slice(0, 4000);
    // Prism already replaced this response (--errors); a second replacement would hide nothing new.
    if (options.warnOnly || recognisePrism(exchange.response)?.kind === "VIOLATIONS") {
      res.writeHead(response.status, { ...outHeaders, [VIOLATIONS_HEADER]: summary }).end(payload);
      return;
    }
    res.writeHead(500, { "content-type": "application/problem+json", [VIOLATIONS_HEADER]: summary });
    res.end(
      JSON.stringify({
        type: PROXY_VIOLATIONS_TYPE,
        title: "The upstream response breaks the API contract",
        status: 500,
        detail: `${method} ${path}: the upstream answered ${response.status}; run the proxy with --warn-only to pass such responses through`,
        upstreamStatus: response.status,
        validation: violations,
      }),
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      options.log?.(`proxy error: ${error.message}`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("validating proxy error");
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? DEFAULT_PROXY_PORT, options.host ?? "127.0.0.1", resolve);
    });
  } catch (error) {
    if (ownPrism) await prism.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    prismUrl: prism.url,
    findings,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownPrism) await prism.close();
    },
  };
}
