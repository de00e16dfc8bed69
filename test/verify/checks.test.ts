import { describe, expect, it } from "vitest";
import { checkExchange, expectStatus, valueAt } from "../../src/verify/checks.js";
import type { Exchange } from "../../src/verify/types.js";
import { completed, created, exchange } from "./helpers.js";

describe("checkExchange", () => {
  const cases: [string, { given: Exchange; want: [string, string][] }][] = [
    ["the spec's own create example", { given: exchange("createVideoGeneration", 200, created), want: [] }],
    ["the spec's completed task example", { given: exchange("getTaskDetail", 200, completed), want: [] }],
    [
      "an undocumented status",
      { given: exchange("getTaskDetail", 402, { error: { code: 402 } }), want: [["status-documented", "/status"]] },
    ],
    [
      "a charset parameter is fine, another media type is not",
      {
        given: exchange("getTaskDetail", 200, completed, { "content-type": "text/html; charset=utf-8" }),
        want: [["content-type", "/headers/content-type"]],
      },
    ],
    [
      "a missing content type",
      { given: exchange("getTaskDetail", 200, completed, {}), want: [["content-type", "/headers/content-type"]] },
    ],
    ["a body that is not JSON", { given: exchange("getTaskDetail", 200, "<html>"), want: [["json-body", "/body"]] }],
    [
      "a required property missing points at it",
      { given: exchange("getTaskDetail", 200, { id: "task-unified-1" }), want: [["schema:required", "/body/status"]] },
    ],
    [
      "a completed task without results (the spec's if/then) reports the cause, not the summary",
      {
        given: exchange("getTaskDetail", 200, { id: "t", status: "completed" }),
        want: [["schema:required", "/body/results"]],
      },
    ],
    [
      "an error without the envelope",
      {
        given: exchange("getTaskDetail", 404, { message: "nope" }),
        want: [
          ["schema:required", "/body/error"],
          ["error-envelope", "/body/error"],
        ],
      },
    ],
    [
      "an integer error.code that is not the status",
      {
        given: exchange("getTaskDetail", 404, { error: { code: 400, message: "x" } }),
        want: [["error-code-matches-status", "/body/error/code"]],
      },
    ],
    [
      "a string business code where the task query allows it",
      { given: exchange("getTaskDetail", 400, { error: { code: "invalid_task_id" } }), want: [] },
    ],
    [
      "a string code where the create operation requires an integer",
      {
        given: exchange("createVideoGeneration", 400, { error: { code: "bad" } }),
        want: [["schema:type", "/body/error/code"]],
      },
    ],
    [
      "Prism's own 404 is reported as Prism's, not checked as the API's",
      {
        given: exchange(
          "getTaskDetail",
          404,
          { type: "https://stoplight.io/prism/errors#NOT_FOUND", title: "x", status: 404, detail: "no 418" },
          { "content-type": "application/problem+json" },
        ),
        want: [["prism-invention:NOT_FOUND", ""]],
      },
    ],
    [
      "Prism's --errors 500 lists what the upstream broke",
      {
        given: exchange(
          "getTaskDetail",
          500,
          {
            type: "https://stoplight.io/prism/errors#VIOLATIONS",
            detail: "invalid",
            validation: [{ location: ["response", "body", "id"], message: "must be string" }],
          },
          { "content-type": "application/problem+json" },
        ),
        want: [["prism-invention:VIOLATIONS", ""]],
      },
    ],
    [
      "Prism's generated 422 for a bad request",
      {
        given: exchange(
          "createVideoGeneration",
          422,
          { type: "https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY", title: "Invalid request", status: 422 },
          { "content-type": "application/problem+json" },
        ),
        want: [["prism-invention:UNPROCESSABLE_ENTITY", ""]],
      },
    ],
    [
      "Prism's invalid_json 400, which mimics the API's envelope",
      {
        given: exchange("createVideoGeneration", 400, { error: { code: "invalid_json", message: "Invalid JSON" } }),
        want: [["prism-invention:INVALID_JSON", ""]],
      },
    ],
    ["an unknown operation", { given: exchange("deleteTask", 200, {}), want: [["unknown-operation", ""]] }],
  ];
  it.each(cases)("%s", (_, { given, want }) => {
    expect(checkExchange(given).map((v) => [v.rule, v.pointer])).toEqual(want);
  });

  it("names the value it found", () => {
    const [v] = checkExchange(exchange("getTaskDetail", 200, { id: "t", status: "queued" }));
    expect(v?.message).toContain('"queued"');
    expect(v?.operation).toBe("getTaskDetail");
    expect(v?.status).toBe(200);
  });

  it("Prism inventions can be left out where they are expected", () => {
    const prism = exchange(
      "getTaskDetail",
      404,
      { type: "https://stoplight.io/prism/errors#NOT_FOUND" },
      { "content-type": "application/problem+json" },
    );
    expect(checkExchange(prism, { reportPrismInventions: false })).toEqual([]);
  });

  it("expectStatus reports a documented but unexpected status", () => {
    const got = expectStatus(exchange("getTaskDetail", 200, completed), [404], "an unknown task");
    expect(got.map((v) => [v.rule, v.message])).toEqual([
      ["expected-status", "an unknown task: expected 404, got 200"],
    ]);
  });
});

describe("valueAt", () => {
  it("valueAt follows JSON pointers", () => {
    expect(valueAt({ a: [{ "b/c": 1 }] }, "/a/0/b~1c")).toBe(1);
    expect(valueAt({ a: 1 }, "/a/b")).toBeUndefined();
  });
});

describe("checkExchange on an operation id that names an Object property", () => {
  it.each(["constructor", "toString"])("%s is one unknown-operation violation, not a crash", (operationId) => {
    expect(checkExchange(exchange(operationId, 200, {})).map((v) => `${v.rule}: ${v.message}`)).toEqual([
      `unknown-operation: the spec has no ${operationId}`,
    ]);
  });
});
