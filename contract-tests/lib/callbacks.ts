/**
 * Callback checks: a delivery to `callback_url` uses the documented method and content type, validates against the
 * callback's documented body schema (from the operation table), reports a finished task, and matches what
 * `GET /v1/tasks/{task_id}` returns at that moment.
 */
import { jsonBody, validateAgainst } from "./checks.js";
import { mediaType } from "./prism-inventions.js";
import { type CallbackDef, type Exchange, type Headers, operationTable, type Violation } from "./types.js";

/** One request a callback sink received. */
export interface CallbackDelivery {
  method: string;
  path: string;
  headers: Headers;
  /** Parsed JSON when it parses, else the raw text. */
  body: unknown;
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

/** The fields a callback must agree on with the task query at the same moment. */
const COMPARED_FIELDS = ["id", "status", "results", "error"] as const;

/**
 * Checks one delivery. `get` is the `getTaskDetail` exchange made while the delivery was being received (the sink
 * holds its acknowledgement until then), or `undefined` when the target cannot be queried.
 */
export function checkCallbackDelivery(
  callbackOperationId: string,
  delivery: CallbackDelivery,
  get?: Exchange,
): Violation[] {
  const def = findCallback(callbackOperationId);
  const base = { operation: callbackOperationId, status: null };
  if (!def) return [{ ...base, pointer: "", rule: "callback:unknown", message: "the spec documents no such callback" }];
  const out: Violation[] = [];
  if (delivery.method.toUpperCase() !== def.method.toUpperCase()) {
    out.push({ ...base, pointer: "", rule: "callback:method", message: `was ${delivery.method}, not ${def.method}` });
  }
  if (!def.body) return out;
  const type = mediaType(delivery.headers["content-type"]);
  if (type !== def.body.contentType) {
    out.push({
      ...base,
      pointer: "/headers/content-type",
      rule: "callback:content-type",
      message: `is ${type || "missing"}, the spec documents ${def.body.contentType}`,
    });
  }
  const parsed = jsonBody(delivery.body);
  if (!parsed.ok) {
    out.push({ ...base, pointer: "/body", rule: "callback:json-body", message: "the delivery body is not JSON" });
    return out;
  }
  const body = parsed.value;
  out.push(...validateAgainst(def.body.schema, body, { ...base, prefix: "/body", rulePrefix: "callback:" }));
  if (isRecord(body) && body.status !== "completed" && body.status !== "failed") {
    out.push({
      ...base,
      pointer: "/body/status",
      rule: "callback:not-finished",
      message: `the callback is sent when a task finishes, but its status is ${JSON.stringify(body.status)}`,
    });
  }
  if (get && get.response.status === 200 && isRecord(get.response.body) && isRecord(body)) {
    for (const field of COMPARED_FIELDS) {
      const want = JSON.stringify(get.response.body[field] ?? null);
      const got = JSON.stringify(body[field] ?? null);
      if (want !== got) {
        out.push({
          ...base,
          pointer: `/body/${field}`,
          rule: "callback:matches-get",
          message: `is ${got} but GET ${get.request.path} says ${want} at the same moment`,
        });
      }
    }
  }
  return out;
}
