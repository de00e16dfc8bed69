/**
 * Sends one request of a spec operation to a target and returns the exchange, with the body parsed the way the
 * recordings store it. The Authorization header is never part of the returned exchange.
 */

import {
  DEFAULT_PROBE_REQUEST_TIMEOUT_MS,
  DEFAULT_RESULT_HEAD_BYTES,
  DEFAULT_RESULT_HEAD_TIMEOUT_MS,
} from "../defaults.js";
import { mediaType } from "./prism-inventions.js";
import { type Exchange, type Headers, operationTable, pathFor } from "./types.js";

/** Where the suite sends requests, and how. */
export interface Target {
  /** `prism`, `mock`, `live`, or a drift-corpus case. */
  name: string;
  /** Base URL; operation paths are appended (`${baseUrl}/v1/tasks/...`). */
  baseUrl: string;
  /** A bearer token the target accepts. */
  token: string;
  /** `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Per-request deadline, so a hanging target fails a check instead of the run. @default {@link DEFAULT_PROBE_REQUEST_TIMEOUT_MS} */
  requestTimeoutMs?: number;
  /** Called with every exchange (the recorder, the report's coverage table). */
  onExchange?: (exchange: Exchange) => void;
}

/** How to authenticate one request. */
export type Auth = "token" | "none" | { bearer: string };

/** What to send for one operation. */
export interface SendOptions {
  /** Path parameters (`{ task_id: "..." }`). */
  params?: Record<string, string>;
  /** A JSON body (serialised), or a raw string sent as is. */
  body?: unknown;
  /** Extra headers (`Prefer`); names are lowercased and an `Authorization` among them is dropped (use `auth`). */
  headers?: Headers;
  /** @default "token" */
  auth?: Auth;
}

/** Thrown when no HTTP response arrived (refused, reset, timed out). */
export class TransportError extends Error {
  override name = "TransportError";
}

/** Parses a response text: JSON when the content type says JSON and it parses, else the text itself. */
export function parseBody(text: string, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (text !== "" && (type === "application/json" || type.endsWith("+json"))) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Lowercase-keyed plain headers from a fetch `Headers`. */
export function plainHeaders(headers: globalThis.Headers): Headers {
  const out: Headers = {};
  headers.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}

/** Sends one request of `operationId` to `target`; throws {@link TransportError} when no response arrives. */
export async function send(target: Target, operationId: string, options: SendOptions = {}): Promise<Exchange> {
  const op = operationTable[operationId];
  if (!op) throw new Error(`unknown operation ${operationId}`);
  const path = pathFor(operationId, options.params);
  // Lowercase names, and no credential from the caller's headers: the one Authorization header comes from `auth`
  // (a second, differently cased one would be sent joined to ours, and would stay in the exchange).
  const headers: Headers = { accept: "application/json" };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower !== "authorization") headers[lower] = value;
  }
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= op.requestBody?.contentType ?? "application/json";
  }
  const auth = options.auth ?? "token";
  const authorization = auth === "none" ? undefined : `Bearer ${typeof auth === "object" ? auth.bearer : target.token}`;
  const doFetch = target.fetch ?? globalThis.fetch;
  let response: Response;
  let text: string;
  try {
    response = await doFetch(`${target.baseUrl}${path}`, {
      method: op.method,
      headers: authorization ? { ...headers, authorization } : headers,
      ...(payload !== undefined ? { body: payload } : {}),
      signal: AbortSignal.timeout(target.requestTimeoutMs ?? DEFAULT_PROBE_REQUEST_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    const cause = error as Error;
    const reason =
      cause.name === "TimeoutError" ? "no answer in time" : (cause.cause as Error)?.message || cause.message;
    throw new TransportError(`${op.method} ${path}: ${reason}`, { cause: error });
  }
  const responseHeaders = plainHeaders(response.headers);
  const exchange: Exchange = {
    operationId,
    request: {
      method: op.method,
      path,
      headers,
      body: payload === undefined ? null : parseBody(payload, headers["content-type"]),
    },
    response: {
      status: response.status,
      headers: responseHeaders,
      body: parseBody(text, responseHeaders["content-type"]),
    },
  };
  target.onExchange?.(exchange);
  return exchange;
}

/** Fetches the first `maxBytes` of a URL (a result video); never throws. */
export async function fetchHead(
  url: string,
  options: { fetch?: typeof fetch; timeoutMs?: number; maxBytes?: number } = {},
): Promise<{ status: number | null; headers: Headers; head: Uint8Array; error?: string }> {
  const maxBytes = options.maxBytes ?? DEFAULT_RESULT_HEAD_BYTES;
  try {
    const response = await (options.fetch ?? globalThis.fetch)(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_RESULT_HEAD_TIMEOUT_MS),
    });
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body?.getReader();
    while (reader && size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
    await reader?.cancel();
    const head = new Uint8Array(Math.min(size, maxBytes));
    let offset = 0;
    for (const chunk of chunks) {
      const part = chunk.subarray(0, head.length - offset);
      head.set(part, offset);
      offset += part.length;
    }
    return { status: response.status, headers: plainHeaders(response.headers), head };
  } catch (error) {
    return { status: null, headers: {}, head: new Uint8Array(), error: (error as Error).message };
  }
}
