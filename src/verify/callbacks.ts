/**
 * Callback checks, pure functions over what a receiver recorded. One delivery: the documented method and content
 * type, a body that validates against the callback's schema (from the operation table), a finished task, and equal
 * to what `GET /v1/tasks/{task_id}` returned while the delivery was held. A series of deliveries for one task, with
 * the receiver's timestamps: delivered once after a 2xx; after a non-2xx retried at about 1/2/4 s and no more than 3
 * times; a receiver slower than 10 s given up on. The timings are the spec's prose (src/mock/callbacks.ts holds them
 * once), divided by a time scale for servers that run faster (a test mock).
 */
import { CALLBACK_RETRY_DELAYS_MS, CALLBACK_TIMEOUT_MS } from "../mock/callbacks.js";
import type { CheckName } from "./catalog.js";
import { jsonBody, validateAgainst } from "./checks.js";
import { isTerminal, taskOf } from "./lifecycle.js";
import { mediaType } from "./prism-inventions.js";
import { type CallbackDef, type Exchange, type Headers, operationTable, type Violation } from "./types.js";

/** One request a callback receiver got. */
export interface CallbackDelivery {
  method: string;
  path: string;
  headers: Headers;
  /** Parsed JSON when it parses, else the raw text. */
  body: unknown;
}

/** A delivery with what the receiver did and when (milliseconds on one clock). */
export interface ReceivedDelivery {
  delivery: CallbackDelivery;
  /** The `getTaskDetail` exchange made while the delivery was held (before answering it). */
  get?: Exchange;
  /** When the request (with its body) arrived. */
  receivedAt: number;
  /** When the receiver answered, or the sender hung up first; absent while the delivery is held. */
  endedAt?: number;
  /** The status the receiver answered with; absent when the sender hung up before the answer. */
  answered?: number;
}

/** How the receiver treats the deliveries of one task, so that each behaviour of the sender can be observed. */
export type ReceiverMode =
  /** Acknowledge with 204 at once: one delivery expected. */
  | "ack"
  /** Answer 500 every time: the first attempt and 3 retries expected, at about 1/2/4 s. */
  | "fail"
  /** Hold the first attempt past the sender's timeout, acknowledge the next one. */
  | "slow";

/** The spec's callback timing, divided by `timeScale`. */
export interface CallbackTiming {
  /** The sender gives up on an attempt after this long. */
  timeoutMs: number;
  /** Waits before each retry; the length is the number of retries. */
  retryDelaysMs: readonly number[];
  /** Real milliseconds of slack for the network and a busy machine (not scaled). */
  slackMs: number;
}

/** Default {@link CallbackTiming.slackMs}. */
export const DEFAULT_CALLBACK_SLACK_MS = 300;

/** The spec's timing (10 s timeout, retries after 1/2/4 s) for a server whose clock runs `timeScale` times faster. */
export function callbackTiming(timeScale = 1, slackMs: number = DEFAULT_CALLBACK_SLACK_MS): CallbackTiming {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError(`timeScale must be > 0 (got ${timeScale})`);
  return {
    timeoutMs: CALLBACK_TIMEOUT_MS / timeScale,
    retryDelaysMs: CALLBACK_RETRY_DELAYS_MS.map((ms) => ms / timeScale),
    slackMs,
  };
}

/**
 * How long a receiver in `mode` waits after the last delivery before deciding that no further one will come: past
 * the longest gap the timing allows, so a late but legitimate retry is still seen.
 */
export function quietPeriodMs(timing: CallbackTiming): number {
  const longest = Math.max(0, ...timing.retryDelaysMs);
  return 2 * longest + timing.slackMs;
}

/** How long the receiver holds a `slow` delivery: well past the sender's timeout. */
export function slowHoldMs(timing: CallbackTiming): number {
  return 2 * timing.timeoutMs + timing.slackMs;
}

/** Finds a callback in the operation table by its operationId (`videoTaskCallback`). */
export function findCallback(callbackOperationId: string): CallbackDef | undefined {
  for (const op of Object.values(operationTable)) {
    for (const callback of Object.values(op.callbacks)) {
      if (callback.operationId === callbackOperationId) return callback;
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks one delivery. `get` is the `getTaskDetail` exchange made while the delivery was being received (the
 * receiver holds its acknowledgement until then), or `undefined` when the target cannot be queried.
 */
export function checkCallbackDelivery(
  callbackOperationId: string,
  delivery: CallbackDelivery,
  get?: Exchange,
): Violation[] {
  const def = findCallback(callbackOperationId);
  const base = { operation: callbackOperationId, status: null };
  const v = (check: CheckName, pointer: string, rule: string, message: string): Violation => ({
    check,
    ...base,
    pointer,
    rule,
    message,
  });
  if (!def) return [v("callback-schema", "", "callback:unknown", "the spec documents no such callback")];
  const out: Violation[] = [];
  if (delivery.method.toUpperCase() !== def.method.toUpperCase()) {
    out.push(v("callback-schema", "", "callback:method", `was ${delivery.method}, not ${def.method}`));
  }
  const running = get ? taskOf(get) : undefined;
  if (running && !isTerminal(running)) {
    const message = `delivered while GET ${get?.request.path} still says ${JSON.stringify(running.status)}`;
    out.push(v("callback-after-end", "/body/status", "callback:before-end", message));
  }
  if (!def.body) return out;
  const type = mediaType(delivery.headers["content-type"]);
  if (type !== def.body.contentType) {
    const message = `is ${type || "missing"}, the spec documents ${def.body.contentType}`;
    out.push(v("callback-schema", "/headers/content-type", "callback:content-type", message));
  }
  const parsed = jsonBody(delivery.body);
  if (!parsed.ok) {
    out.push(v("callback-schema", "/body", "callback:json-body", "the delivery body is not JSON"));
    return out;
  }
  const body = parsed.value;
  const context = { ...base, prefix: "/body", rulePrefix: "callback:", check: "callback-schema" as const };
  out.push(...validateAgainst(def.body.schema, body, context));
  if (isRecord(body) && body.status !== "completed" && body.status !== "failed") {
    const message = `the callback is sent when a task finishes, but its status is ${JSON.stringify(body.status)}`;
    out.push(v("callback-after-end", "/body/status", "callback:not-finished", message));
  }
  if (get && get.response.status === 200 && isRecord(get.response.body) && isRecord(body)) {
    for (const field of new Set([...Object.keys(get.response.body), ...Object.keys(body)])) {
      const want = JSON.stringify(get.response.body[field] ?? null);
      const got = JSON.stringify(body[field] ?? null);
      if (want !== got) {
        const message = `is ${got} but GET ${get.request.path} says ${want} at the same moment`;
        out.push(v("callback-matches-get", `/body/${field}`, "callback:matches-get", message));
      }
    }
  }
  return out;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 1000 ? 3 : 1)} s`;

/**
 * Checks the deliveries one task's callback got, in arrival order, against what the receiver's `mode` must cause:
 * `ack` exactly one delivery; `fail` the first attempt and `retryDelaysMs.length` retries, each about its delay
 * after the previous answer (not before half of it, not after twice it plus the slack), and nothing more; `slow` a
 * second attempt about `timeoutMs` plus the first delay after the first, then nothing more.
 */
export function checkCallbackSeries(
  callbackOperationId: string,
  mode: ReceiverMode,
  deliveries: readonly ReceivedDelivery[],
  timing: CallbackTiming,
  taskId: string,
): Violation[] {
  const v = (check: CheckName, rule: string, message: string): Violation => ({
    check,
    operation: callbackOperationId,
    status: null,
    pointer: "",
    rule,
    message: `task ${taskId}: ${message}`,
  });
  const out: Violation[] = [];
  const n = deliveries.length;
  if (n === 0) return [v("callback-delivered", "callback:not-delivered", "no callback arrived after the task ended")];
  const retries = timing.retryDelaysMs.length;
  if (mode === "ack" && n > 1) {
    out.push(v("callback-delivered", "callback:duplicate", `delivered ${n} times although the first got a 2xx`));
  }
  if (mode === "fail") {
    if (n === 1) {
      out.push(v("callback-retries", "callback:not-retried", "not retried after the receiver answered 500"));
    } else if (n < retries + 1) {
      out.push(
        v(
          "callback-retries",
          "callback:too-few-retries",
          `retried ${n - 1} times after 500s, the spec says ${retries}`,
        ),
      );
    } else if (n > retries + 1) {
      const message = `retried ${n - 1} times after 500s, the spec allows at most ${retries}`;
      out.push(v("callback-retries", "callback:too-many-retries", message));
    }
    for (let i = 1; i < n && i <= retries; i++) {
      const previous = deliveries[i - 1] as ReceivedDelivery;
      const gap = (deliveries[i] as ReceivedDelivery).receivedAt - (previous.endedAt ?? previous.receivedAt);
      const want = timing.retryDelaysMs[i - 1] ?? 0;
      if (gap < want / 2) {
        const message = `retry ${i} came ${seconds(gap)} after the failed attempt, the spec waits ${seconds(want)}`;
        out.push(v("callback-retries", "callback:retry-early", message));
      } else if (gap > 2 * want + timing.slackMs) {
        const message = `retry ${i} came ${seconds(gap)} after the failed attempt, the spec waits ${seconds(want)}`;
        out.push(v("callback-retries", "callback:retry-late", message));
      }
    }
  }
  if (mode === "slow") {
    const first = deliveries[0] as ReceivedDelivery;
    const second = deliveries[1];
    const want = timing.timeoutMs + (timing.retryDelaysMs[0] ?? 0);
    if (!second) {
      const message =
        first.answered !== undefined
          ? `waited ${seconds((first.endedAt ?? first.receivedAt) - first.receivedAt)} for a slow receiver instead of giving up after ${seconds(timing.timeoutMs)}`
          : `gave up on a slow receiver but never retried`;
      out.push(v("callback-timeout", "callback:slow-not-given-up", message));
    } else {
      const gap = second.receivedAt - first.receivedAt;
      if (gap < timing.timeoutMs / 2) {
        const message = `gave up on the receiver after at most ${seconds(gap)}, the spec waits ${seconds(timing.timeoutMs)}`;
        out.push(v("callback-timeout", "callback:timeout-early", message));
      } else if (gap > 2 * want + timing.slackMs) {
        const message = `the retry after a slow receiver came ${seconds(gap)} after the first attempt, the spec: about ${seconds(want)}`;
        out.push(v("callback-timeout", "callback:timeout-late", message));
      }
      if (n > 2) {
        out.push(v("callback-delivered", "callback:duplicate", `delivered ${n} times although the second got a 2xx`));
      }
    }
  }
  return out;
}
