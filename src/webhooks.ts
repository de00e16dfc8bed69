/**
 * Task callbacks (the spec's `callbacks.taskFinished`): the API POSTs the task, in the task query's shape, to
 * `callback_url` when it completes or fails, retrying up to 3 times (at 1, 2 and 4 s) until it gets a 2xx.
 *
 * The API documents no signature or authentication header on these requests, so a receiver cannot tell a real
 * callback from a forged one by the request alone. `verify: "fetch"` closes that gap: it accepts only a finished
 * task (`completed` or `failed`, the only callbacks the API sends), confirms it with `GET /v1/tasks/{id}` (with
 * your key), and hands your code the API's answer, not the request's body. Confirmations are coalesced per task id,
 * so a flood of forged callbacks costs at most one GET per task per {@link DEFAULT_CONFIRM_WINDOW_MS}.
 *
 * {@link readCallback} is the part without the idempotency store and `onTask`: read, limit, parse, confirm.
 */
import { CREATE_VIDEO_GENERATION_TASK_FINISHED_CALLBACK, TASK_STATUS_VALUES } from "../generated/spec-facts.js";
import { validateTaskDetail } from "../generated/validators/TaskDetail.js";
import type { KlingClient } from "./client.js";
import {
  DEFAULT_CALLBACK_BODY_TIMEOUT_MS,
  DEFAULT_CALLBACK_STORE_SIZE,
  DEFAULT_CONFIRM_WINDOW_MS,
  DEFAULT_JOB_REF_PARAM,
  DEFAULT_MAX_CALLBACK_BYTES,
  MAX_CONFIRMATIONS,
  MAX_JOB_REF_LENGTH,
  VERIFY_TIMEOUT_MS,
} from "./defaults.js";
import { APIError, ContractViolationError, NotFoundError, PermissionDeniedError } from "./errors.js";
import { formatIssues } from "./internal/issues.js";
import type { Logger } from "./logger.js";
import type { Task } from "./types.js";

// The webhook defaults live in defaults.ts; exported from here too, where they have always been.
export {
  DEFAULT_CALLBACK_BODY_TIMEOUT_MS,
  DEFAULT_CALLBACK_STORE_SIZE,
  DEFAULT_CONFIRM_WINDOW_MS,
  DEFAULT_MAX_CALLBACK_BYTES,
} from "./defaults.js";
/** The query parameter {@link readCallback} reads `jobRef` from: `https://you.example/hook?kling_job=...`. */
export const DEFAULT_JOB_PARAM = DEFAULT_JOB_REF_PARAM;
/** The statuses the API sends callbacks for (the spec's `taskFinished`: completed or failed). */
const FINISHED: readonly string[] = TASK_STATUS_VALUES.filter((s) => s === "completed" || s === "failed");
const CALLBACK_SCHEMA = CREATE_VIDEO_GENERATION_TASK_FINISHED_CALLBACK.bodySchema;

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
  /** @param maxEntries how many keys to remember. @default {@link DEFAULT_CALLBACK_STORE_SIZE} */
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
      throw new ContractViolationError("Callback body is not JSON", { schema: CALLBACK_SCHEMA, cause });
    }
  }
  if (!validateTaskDetail(value)) {
    const issues = validateTaskDetail.errors ?? [];
    throw new ContractViolationError(`Callback body is not a valid task (${formatIssues(issues)})`, {
      schema: CALLBACK_SCHEMA,
      issues,
    });
  }
  return value;
}

/**
 * Fetches a task from the API for confirmation: `(id, signal) => client.tasks.get(id, { signal })`. Throw the
 * client's errors: `NotFoundError`, `PermissionDeniedError` or a 400 mean "not a task of this account" (400), any
 * other error "cannot confirm now" (503, so the API retries).
 */
export type ConfirmTask = (taskId: string, signal: AbortSignal) => Promise<Task>;

/** Options of {@link readCallback}. */
export interface ReadCallbackOptions {
  /** The largest body accepted; larger ones get 413. @default {@link DEFAULT_MAX_CALLBACK_BYTES} */
  maxBodyBytes?: number;
  /** How long the body may take to arrive, in ms; slower ones get 408. @default {@link DEFAULT_CALLBACK_BODY_TIMEOUT_MS} */
  bodyTimeoutMs?: number;
  /**
   * Confirms the task with the API: only `completed` and `failed` callbacks are accepted, and only when the API
   * returns the same id and status; the API's task is returned, not the body's. Coalesced per task id: pass the
   * same function on every call. @default none (the body is trusted)
   */
  confirm?: ConfirmTask;
  /** How long a confirmation is reused for the same task id, in ms. @default {@link DEFAULT_CONFIRM_WINDOW_MS} */
  confirmWindowMs?: number;
  /** The query parameter of the request URL returned as `jobRef`. @default "kling_job" */
  jobParam?: string;
  /** Where to report rejected callbacks. @default none */
  logger?: Logger;
}

/** What {@link readCallback} found. */
export interface CallbackReading {
  /**
   * The answer to send: with `task`, a 200 `{ received: true }` to send once the task is handled (send a 500
   * instead if handling fails, so the API retries); without, the rejection (400, 405, 408, 413, or 503 when the API
   * could not confirm now).
   */
  response: Response;
  /** The accepted task: the API's, when confirmed. */
  task?: Task;
  /**
   * The `jobParam` query parameter of the request URL, when present (at most 256 characters). Anyone can call the
   * URL: check that the job it names is the job of `task.id` before trusting it.
   */
  jobRef?: string;
}

/** Options of {@link handleCallback}. */
export interface HandleCallbackOptions extends Omit<ReadCallbackOptions, "confirm" | "jobParam"> {
  /** Your code: called once per task id and status. Throw to answer 500, so the API retries. */
  onTask(task: Task): void | Promise<void>;
  /** Where handled callbacks are remembered. @default a shared MemoryCallbackStore of {@link DEFAULT_CALLBACK_STORE_SIZE} keys */
  store?: CallbackStore;
  /**
   * `"fetch"`: accept only finished tasks confirmed with `GET /v1/tasks/{id}` (needs `client` or `confirm`) and
   * pass the API's task to `onTask`; `"none"`: trust the body. The API documents no signature, so only `"fetch"`
   * resists forged callbacks. @default "none"
   */
  verify?: "none" | "fetch";
  /** The client used by `verify: "fetch"` (`tasks.get`, 8 s, one retry). */
  client?: KlingClient;
  /** Used by `verify: "fetch"` instead of `client`. */
  confirm?: ConfirmTask;
}

function reply(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

const ERROR_TYPES: Record<number, string> = {
  405: "method_not_allowed",
  408: "request_timeout",
  413: "request_too_large",
  503: "service_unavailable",
};

const EXTRA_HEADERS: Record<number, Record<string, string>> = {
  405: { allow: "POST" },
  // The sender is too slow to finish its body: do not keep its connection for another request.
  408: { connection: "close" },
};

function rejectWith(status: number, message: string, logger?: Logger): Response {
  logger?.warn(`callback rejected (${status}): ${message}`);
  const type = ERROR_TYPES[status] ?? "invalid_request_error";
  return reply(status, { error: { code: status, message, type } }, EXTRA_HEADERS[status]);
}

class TooLarge extends Error {}
class TooSlow extends Error {}

/**
 * Reads a body up to `max` bytes within `timeoutMs`; throws {@link TooLarge} past the size and {@link TooSlow} past
 * the time, cancelling the rest (which closes a Node request's stream).
 */
async function readLimited(request: Request, max: number, timeoutMs: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > max) throw new TooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TooSlow()), timeoutMs);
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), late]);
      if (done) break;
      size += value.byteLength;
      if (size > max) throw new TooLarge();
      chunks.push(value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return concat(chunks, size);
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** A confirmation's outcome: the API's task, "not a task of this account", or an error (not reused). */
type Confirmation = { task: Task } | { unknown: true } | { error: unknown };

/** Confirmations per confirm function: task id -> when asked and the shared answer. */
const confirmations = new WeakMap<ConfirmTask, Map<string, { at: number; answer: Promise<Confirmation> }>>();

/** One stable confirm function per client, so confirmations through `client` are coalesced too. */
const clientConfirmers = new WeakMap<KlingClient, ConfirmTask>();

function confirmerOf(client: KlingClient): ConfirmTask {
  let confirm = clientConfirmers.get(client);
  if (!confirm) {
    confirm = (id, signal) => client.tasks.get(id, { signal, timeoutMs: VERIFY_TIMEOUT_MS, maxRetries: 1 });
    clientConfirmers.set(client, confirm);
  }
  return confirm;
}

/** Asks the API about `taskId`, or reuses an answer asked for less than `windowMs` ago (or still in flight). */
function confirmOnce(confirm: ConfirmTask, taskId: string, windowMs: number): Promise<Confirmation> {
  const cache = confirmations.get(confirm) ?? new Map<string, { at: number; answer: Promise<Confirmation> }>();
  confirmations.set(confirm, cache);
  const now = Date.now();
  const cached = cache.get(taskId);
  if (cached && now - cached.at < windowMs) return cached.answer;
  const answer = confirm(taskId, AbortSignal.timeout(VERIFY_TIMEOUT_MS)).then(
    (task): Confirmation => ({ task }),
    (error: unknown): Confirmation => {
      // A transient failure is not reused: the API's retry of a real callback must be able to get through.
      if (cache.get(taskId)?.answer === answer) cache.delete(taskId);
      const refused =
        error instanceof NotFoundError ||
        error instanceof PermissionDeniedError ||
        (error instanceof APIError && error.status === 400);
      return refused ? { unknown: true } : { error };
    },
  );
  cache.delete(taskId); // re-inserted last: the Map's order is the age order
  cache.set(taskId, { at: now, answer });
  for (const [id, entry] of cache) {
    if (cache.size <= MAX_CONFIRMATIONS && now - entry.at < windowMs) break;
    cache.delete(id);
  }
  return answer;
}

function jobRefOf(request: Request, param: string): string | undefined {
  let value: string | null = null;
  try {
    value = new URL(request.url).searchParams.get(param);
  } catch {
    // a relative URL (some frameworks' test requests): no query to read
  }
  return value && value.length <= MAX_JOB_REF_LENGTH ? value : undefined;
}

/**
 * Reads one callback request without handling it: method, body size and time limits, `TaskDetail` validation,
 * and, with `confirm`, the confirmation (finished tasks only; same id and status at the API; coalesced per task id).
 * For code that keeps its own state (the jobs module), and the first half of {@link handleCallback}.
 * @example
 * const { response, task, jobRef } = await readCallback(request, { confirm: (id, signal) => client.tasks.get(id, { signal }) });
 * if (task) await save(task, jobRef);
 * return response;
 */
export async function readCallback(request: Request, opts: ReadCallbackOptions = {}): Promise<CallbackReading> {
  const { logger } = opts;
  const jobRef = jobRefOf(request, opts.jobParam ?? DEFAULT_JOB_PARAM);
  const reading = (response: Response, task?: Task): CallbackReading => ({
    response,
    ...(task ? { task } : {}),
    ...(jobRef !== undefined ? { jobRef } : {}),
  });
  if (request.method !== "POST") return reading(rejectWith(405, `Method ${request.method} not allowed`, logger));
  const max = opts.maxBodyBytes ?? DEFAULT_MAX_CALLBACK_BYTES;
  const timeoutMs = opts.bodyTimeoutMs ?? DEFAULT_CALLBACK_BODY_TIMEOUT_MS;
  let bytes: Uint8Array;
  try {
    bytes = await readLimited(request, max, timeoutMs);
  } catch (err) {
    if (err instanceof TooLarge) return reading(rejectWith(413, `Body over ${max} bytes`, logger));
    if (err instanceof TooSlow) return reading(rejectWith(408, `Body not received within ${timeoutMs} ms`, logger));
    return reading(rejectWith(400, "Could not read the body", logger));
  }
  let task: Task;
  try {
    task = parseCallback(bytes);
  } catch (err) {
    return reading(rejectWith(400, (err as Error).message, logger));
  }
  if (opts.confirm) {
    // The API calls back only for finished tasks: anything else is not worth a GET with the user's key.
    if (!FINISHED.includes(task.status)) {
      return reading(rejectWith(400, `Task ${task.id}: callbacks are sent for completed or failed tasks only`, logger));
    }
    const confirmation = await confirmOnce(opts.confirm, task.id, opts.confirmWindowMs ?? DEFAULT_CONFIRM_WINDOW_MS);
    if ("error" in confirmation) {
      const message = confirmation.error instanceof Error ? confirmation.error.message : String(confirmation.error);
      logger?.warn(`callback for ${task.id}: could not verify (${message}); asking the API to retry`);
      return reading(
        reply(503, { error: { code: 503, message: "Could not verify the task now", type: "service_unavailable" } }),
      );
    }
    const confirmed = "task" in confirmation ? confirmation.task : undefined;
    if (confirmed?.id !== task.id || confirmed.status !== task.status) {
      // The sender may be forging: tell it nothing the API said (a task's real status, whether it exists).
      const said = confirmed ? `answered ${confirmed.id} ${confirmed.status}` : "does not know the task";
      logger?.warn(`callback for ${task.id} (${task.status}) not confirmed: the API ${said}`);
      return reading(rejectWith(400, `Task ${task.id} (${task.status}) is not confirmed by the API`));
    }
    task = confirmed;
  }
  return reading(reply(200, { received: true }), task);
}

/**
 * Handles one callback request (a standard `Request`: Hono, Next.js route handlers, Deno, Bun, or Node through
 * `kling-o1-video-edit/node`'s adapter) and returns the `Response` to send:
 * 200 when handled or a duplicate (so the API stops retrying), 400 for bad JSON or a body that is not a valid task
 * (or, with `verify: "fetch"`, one that is not finished or that the API does not confirm), 405 for other methods,
 * 408 for a body slower than `bodyTimeoutMs`, 413 for bodies over `maxBodyBytes`, 500 when `onTask` throws and 503
 * when verification could not reach the API (the API retries both).
 * @example app.post("/webhooks/kling", (c) => handleCallback(c.req.raw, { onTask: save }));
 */
export async function handleCallback(request: Request, opts: HandleCallbackOptions): Promise<Response> {
  const { logger } = opts;
  let confirm: ConfirmTask | undefined;
  if (opts.verify === "fetch") {
    confirm = opts.confirm ?? (opts.client ? confirmerOf(opts.client) : undefined);
    if (!confirm) throw new TypeError('handleCallback: verify: "fetch" needs the `client` (or `confirm`) option');
  }
  const { confirm: _unlessVerifying, ...rest } = opts;
  const { response, task } = await readCallback(request, confirm ? { ...rest, confirm } : rest);
  if (!task) return response;
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
