/**
 * Task callbacks (the spec's `callbacks.taskFinished`): the API POSTs the task, in the task query's shape, to
 * `callback_url` when it completes or fails, retrying up to 3 times (at 1, 2 and 4 s) until it gets a 2xx.
 *
 * The API documents no signature or authentication header on these requests, so a receiver cannot tell a real
 * callback from a forged one by the request alone. `verify: "fetch"` closes that gap: it confirms the task with
 * `GET /v1/tasks/{id}` (with your key) and hands your code the API's answer, not the request's body.
 */
import { validateTaskDetail } from "../generated/validators.js";
import type { KlingClient } from "./client.js";
import { APIError, ContractViolationError, NotFoundError, PermissionDeniedError } from "./errors.js";
import { formatIssues } from "./internal/issues.js";
import type { Logger } from "./logger.js";
import type { Task } from "./types.js";

/** The largest callback body accepted (a task is well under 10 KiB). @default 262144 (256 KiB) */
export const DEFAULT_MAX_CALLBACK_BYTES = 256 * 1024;
/** How long `verify: "fetch"` may take: the API gives up on a callback after 10 s. */
const VERIFY_TIMEOUT_MS = 8_000;
/** How many delivered callbacks the in-memory store remembers. @default 10000 */
export const DEFAULT_CALLBACK_STORE_SIZE = 10_000;

/** Remembers which callbacks were handled, so the API's retries are reported once. */
export interface CallbackStore {
  /** Marks `key` as being handled; `false` when it already was (a duplicate). Must be atomic for concurrent calls. */
  claim(key: string): boolean | Promise<boolean>;
  /** Forgets `key` (its handler failed, so the API's retry must be handled again). */
  release(key: string): void | Promise<void>;
}

/**
 * A bounded in-memory {@link CallbackStore}: the oldest keys are forgotten beyond `maxEntries`. Fine for one process;
 * behind a load balancer use a shared store (Redis `SET key 1 NX EX 86400`, a database unique key).
 */
export class MemoryCallbackStore implements CallbackStore {
  readonly #keys = new Set<string>();
  readonly #max: number;
  /** @param maxEntries how many keys to remember. @default 10000 */
  constructor(maxEntries = DEFAULT_CALLBACK_STORE_SIZE) {
    this.#max = Math.max(1, maxEntries);
  }
  claim(key: string): boolean {
    if (this.#keys.has(key)) return false;
    this.#keys.add(key);
    if (this.#keys.size > this.#max) {
      const oldest = this.#keys.values().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
    return true;
  }
  release(key: string): void {
    this.#keys.delete(key);
  }
  /** How many keys are remembered. */
  get size(): number {
    return this.#keys.size;
  }
}

/** Shared by every handler without its own store, so a retry is a duplicate however the handler was created. */
const defaultStore = new MemoryCallbackStore();

/**
 * Deliveries being handled in this process, per store: a retry that arrives meanwhile (the API gives up on a slow
 * delivery after 10 s) waits for the first one's outcome instead of being acknowledged as a duplicate at once.
 */
const inFlight = new WeakMap<CallbackStore, Map<string, Promise<boolean>>>();

/** The idempotency key of a callback: the same task in the same status is one event. */
export function callbackKey(task: Pick<Task, "id" | "status">): string {
  return `${task.id}:${task.status}`;
}

/**
 * Parses and validates a callback body (a JSON string, bytes, or an already parsed object) against the spec's
 * `TaskDetail` schema. Throws `ContractViolationError` naming the fields when it is not a valid task.
 * @example const task = parseCallback(await request.text());
 */
export function parseCallback(body: unknown): Task {
  let value = body;
  if (typeof body === "string" || body instanceof Uint8Array || body instanceof ArrayBuffer) {
    const text = typeof body === "string" ? body : new TextDecoder().decode(body);
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new ContractViolationError("Callback body is not JSON", { schema: "TaskDetail", cause });
    }
  }
  if (!validateTaskDetail(value)) {
    const issues = validateTaskDetail.errors ?? [];
    throw new ContractViolationError(`Callback body is not a valid task (${formatIssues(issues)})`, {
      schema: "TaskDetail",
      issues,
    });
  }
  return value;
}

/** Options of {@link handleCallback}. */
export interface HandleCallbackOptions {
  /** Your code: called once per task id and status. Throw to answer 500, so the API retries. */
  onTask(task: Task): void | Promise<void>;
  /** Where handled callbacks are remembered. @default a shared MemoryCallbackStore of 10000 keys */
  store?: CallbackStore;
  /** The largest body accepted; larger ones get 413. @default 262144 */
  maxBodyBytes?: number;
  /**
   * `"fetch"`: confirm the task with `GET /v1/tasks/{id}` (needs `client`) and pass the API's task to `onTask`;
   * `"none"`: trust the body. The API documents no signature, so only `"fetch"` resists forged callbacks.
   * @default "none"
   */
  verify?: "none" | "fetch";
  /** The client used by `verify: "fetch"`. */
  client?: KlingClient;
  /** Where to report rejected callbacks. @default none */
  logger?: Logger;
}

function reply(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function rejectWith(status: number, message: string, logger?: Logger): Response {
  logger?.warn(`callback rejected (${status}): ${message}`);
  const type = status === 413 ? "request_too_large" : status === 405 ? "method_not_allowed" : "invalid_request_error";
  return reply(status, { error: { code: status, message, type } }, status === 405 ? { allow: "POST" } : {});
}

class TooLarge extends Error {}

/** Reads a body up to `max` bytes; throws {@link TooLarge} past it without reading the rest. */
async function readLimited(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > max) throw new TooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      reader.cancel().catch(() => {});
      throw new TooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Handles one callback request (a standard `Request`: Hono, Next.js route handlers, Deno, Bun, or Node through
 * `kling-o1-video-edit/node`'s adapter) and returns the `Response` to send:
 * 200 when handled or a duplicate (so the API stops retrying), 400 for bad JSON or a body that is not a valid task
 * (or, with `verify: "fetch"`, one the API does not confirm), 405 for other methods, 413 for bodies over
 * `maxBodyBytes`, 500 when `onTask` throws and 503 when verification could not reach the API (the API retries both).
 * @example app.post("/webhooks/kling", (c) => handleCallback(c.req.raw, { onTask: save }));
 */
export async function handleCallback(request: Request, opts: HandleCallbackOptions): Promise<Response> {
  const { logger } = opts;
  if (request.method !== "POST") return rejectWith(405, `Method ${request.method} not allowed`, logger);
  const max = opts.maxBodyBytes ?? DEFAULT_MAX_CALLBACK_BYTES;
  let bytes: Uint8Array;
  try {
    bytes = await readLimited(request, max);
  } catch (err) {
    if (err instanceof TooLarge) return rejectWith(413, `Body over ${max} bytes`, logger);
    return rejectWith(400, "Could not read the body", logger);
  }
  let task: Task;
  try {
    task = parseCallback(bytes);
  } catch (err) {
    return rejectWith(400, (err as Error).message, logger);
  }
  if (opts.verify === "fetch") {
    if (!opts.client) throw new TypeError('handleCallback: verify: "fetch" needs the `client` option');
    try {
      const confirmed = await opts.client.tasks.get(task.id, { timeoutMs: VERIFY_TIMEOUT_MS, maxRetries: 1 });
      if (confirmed.status !== task.status) {
        return rejectWith(400, `Task ${task.id} is ${confirmed.status} at the API, not ${task.status}`, logger);
      }
      task = confirmed;
    } catch (err) {
      if (
        err instanceof NotFoundError ||
        err instanceof PermissionDeniedError ||
        (err instanceof APIError && err.status === 400)
      ) {
        return rejectWith(400, `Task ${task.id} is not known to the API`, logger);
      }
      logger?.warn(`callback for ${task.id}: could not verify (${(err as Error).message}); asking the API to retry`);
      return reply(503, {
        error: { code: 503, message: "Could not verify the task now", type: "service_unavailable" },
      });
    }
  }
  const store = opts.store ?? defaultStore;
  const key = callbackKey(task);
  const handlerFailed = () =>
    reply(500, { error: { code: 500, message: "Handler failed", type: "internal_server_error" } });
  const running = inFlight.get(store) ?? new Map<string, Promise<boolean>>();
  inFlight.set(store, running);
  const earlier = running.get(key);
  // A 2xx here before the first delivery succeeded would lose the event if it then failed: answer as it does.
  if (earlier) return (await earlier) ? reply(200, { received: true, duplicate: true }) : handlerFailed();
  let handled = false;
  let settle: (ok: boolean) => void = () => {};
  running.set(key, new Promise<boolean>((resolve) => (settle = resolve)));
  try {
    if (!(await store.claim(key))) {
      handled = true;
      return reply(200, { received: true, duplicate: true });
    }
    try {
      await opts.onTask(task);
    } catch (err) {
      await store.release(key);
      logger?.error(`callback handler failed for ${key}: ${(err as Error).message}`);
      return handlerFailed();
    }
    handled = true;
    return reply(200, { received: true });
  } finally {
    running.delete(key);
    settle(handled);
  }
}

/** A `(request) => Promise<Response>` handler with fixed options, for frameworks that take one. */
export function createCallbackHandler(opts: HandleCallbackOptions): (request: Request) => Promise<Response> {
  return (request) => handleCallback(request, opts);
}
