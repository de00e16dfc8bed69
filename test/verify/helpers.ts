/** Exchanges for the verify tests: the spec's own examples, wrapped as one request and its response. */
import { type Exchange, operationTable, type Violation } from "../../src/verify/types.js";

export const JSON_TYPE = { "content-type": "application/json" };
export const created = operationTable.createVideoGeneration?.responses["200"]?.body?.example;
export const completed = operationTable.getTaskDetail?.responses["200"]?.body?.examples?.video_completed;

/** A GET of a task answered with `status`, `body` and `headers` (JSON by default). */
export function exchange(
  operationId: string,
  status: number,
  body: unknown,
  headers: Record<string, string> = JSON_TYPE,
): Exchange {
  return {
    operationId,
    request: { method: "GET", path: "/v1/tasks/task-unified-1", headers: {}, body: null },
    response: { status, headers, body },
  };
}

/** A body-schema violation of the task query (the message is the caller's). */
export function enumViolation(message: string): Violation {
  return {
    check: "body-schema",
    operation: "getTaskDetail",
    status: 200,
    pointer: "/body/status",
    rule: "schema:enum",
    message,
  };
}
