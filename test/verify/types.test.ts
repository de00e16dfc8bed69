import { describe, expect, it } from "vitest";
import {
  attach,
  CREATE_OPERATION,
  documentedStatuses,
  type Exchange,
  formatViolation,
  matchOperation,
  operationTable,
  pathFor,
  QUERY_OPERATION,
  requestIdOf,
} from "../../src/verify/types.js";
import { enumViolation } from "./helpers.js";

describe("operation table helpers", () => {
  it("fills and matches path templates", () => {
    expect(pathFor("getTaskDetail", { task_id: "a/b" })).toBe("/v1/tasks/a%2Fb");
    expect(matchOperation("GET", "/v1/tasks/task-unified-1?x=1")).toEqual({
      operationId: "getTaskDetail",
      params: { task_id: "task-unified-1" },
    });
    expect(matchOperation("POST", "/v1/tasks/x")).toBeUndefined();
    expect(matchOperation("POST", "/v1/videos/generations")?.operationId).toBe("createVideoGeneration");
  });
});

describe("the operation table", () => {
  it("names the create and query operations by codegen's routes", () => {
    expect(CREATE_OPERATION).toBe("createVideoGeneration");
    expect(QUERY_OPERATION).toBe("getTaskDetail");
    expect(documentedStatuses(QUERY_OPERATION)[0]).toBe("200");
    expect(documentedStatuses("nope")).toEqual([]);
  });

  it("knows only the spec's operations, not Object.prototype's keys", () => {
    for (const id of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect([id, operationTable[id]]).toEqual([id, undefined]);
      expect(documentedStatuses(id)).toEqual([]);
      expect(() => pathFor(id)).toThrow(`unknown operation ${id}`);
    }
  });

  it("pathFor names a missing path parameter", () => {
    expect(() => pathFor(QUERY_OPERATION)).toThrow("getTaskDetail: missing path parameter task_id");
  });

  it("matchOperation decodes parameters and refuses a path with an extra segment", () => {
    expect(matchOperation("get", "/v1/tasks/a%20b")).toEqual({
      operationId: "getTaskDetail",
      params: { task_id: "a b" },
    });
    expect(matchOperation("GET", "/v1/tasks/a/b")).toBeUndefined();
    expect(matchOperation("GET", "/prefix/v1/tasks/a")).toBeUndefined();
  });
});

describe("violations", () => {
  const violation = enumViolation("must be one of pending, processing");

  it("formatViolation writes one line, with - and (exchange) where there is no status or pointer", () => {
    expect(formatViolation(violation)).toBe(
      "body-schema getTaskDetail 200 /body/status schema:enum: must be one of pending, processing",
    );
    expect(formatViolation({ ...violation, status: null, pointer: "" })).toBe(
      "body-schema getTaskDetail - (exchange) schema:enum: must be one of pending, processing",
    );
  });

  it("attach adds the exchange and its request id (x-request-id first), keeping one a violation already has", () => {
    const exchange = (headers: Record<string, string>): Exchange => ({
      operationId: "getTaskDetail",
      request: { method: "GET", path: "/v1/tasks/t", headers: {}, body: null },
      response: { status: 200, headers, body: {} },
    });
    expect(requestIdOf(exchange({ "x-request-id": "a", "request-id": "b" }))).toBe("a");
    expect(requestIdOf(exchange({ "request-id": "b" }))).toBe("b");
    expect(requestIdOf(undefined)).toBeUndefined();
    const ex = exchange({ "x-request-id": "req_1" });
    const [plain, kept] = attach(ex, [violation, { ...violation, requestId: "req_0" }]);
    expect(plain).toEqual({ ...violation, exchange: ex, requestId: "req_1" });
    expect(kept?.requestId).toBe("req_0");
    expect(attach(exchange({}), [violation])[0]).not.toHaveProperty("requestId");
  });
});
