import { describe, expect, it } from "vitest";
import { checkCallbackDelivery } from "../../src/verify/callbacks.js";
import { checkExchange, expectStatus, valueAt } from "../../src/verify/checks.js";
import { checkLifecycle, checkResultDownload, looksLikeVideo } from "../../src/verify/lifecycle.js";
import { recognisePrism } from "../../src/verify/prism-inventions.js";
import { type Exchange, matchOperation, operationTable, pathFor } from "../../src/verify/types.js";

const JSON_TYPE = { "content-type": "application/json" };
const created = operationTable.createVideoGeneration?.responses["200"]?.body?.example;
const completed = operationTable.getTaskDetail?.responses["200"]?.body?.examples?.video_completed;

function exchange(operationId: string, status: number, body: unknown, headers: Record<string, string> = JSON_TYPE) {
  return {
    operationId,
    request: { method: "GET", path: "/v1/tasks/task-unified-1", headers: {}, body: null },
    response: { status, headers, body },
  } satisfies Exchange;
}

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
    expect(recognisePrism({ status: 404, headers: JSON_TYPE, body: { type: "about:blank" } })).toBeUndefined();
  });

  it("expectStatus reports a documented but unexpected status", () => {
    const got = expectStatus(exchange("getTaskDetail", 200, completed), [404], "an unknown task");
    expect(got.map((v) => [v.rule, v.message])).toEqual([
      ["expected-status", "an unknown task: expected 404, got 200"],
    ]);
  });
});

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

  it("valueAt follows JSON pointers", () => {
    expect(valueAt({ a: [{ "b/c": 1 }] }, "/a/0/b~1c")).toBe(1);
    expect(valueAt({ a: 1 }, "/a/b")).toBeUndefined();
  });
});

describe("checkLifecycle", () => {
  const id = "task-unified-1";
  const poll = (status: string, progress: number, extra: Record<string, unknown> = {}) =>
    exchange("getTaskDetail", 200, { id, status, progress, ...extra });
  const done = { results: ["https://example.com/r.mp4"] };
  const cases: [string, { given: Exchange[]; want: string[] }][] = [
    [
      "pending -> processing -> completed",
      { given: [poll("pending", 0), poll("processing", 40), poll("completed", 100, done)], want: [] },
    ],
    ["a poll may skip processing", { given: [poll("pending", 0), poll("completed", 100, done)], want: [] }],
    [
      "transient errors between polls are skipped",
      { given: [poll("pending", 0), exchange("getTaskDetail", 503, {}), poll("processing", 10)], want: [] },
    ],
    ["back to pending", { given: [poll("processing", 40), poll("pending", 40)], want: ["lifecycle:transition"] }],
    ["progress decreasing", { given: [poll("processing", 40), poll("processing", 30)], want: ["lifecycle:progress"] }],
    [
      "a terminal state changing",
      {
        given: [poll("completed", 100, done), poll("failed", 100)],
        want: ["lifecycle:terminal-changed", "lifecycle:failure-reason", "lifecycle:failure-code"],
      },
    ],
    [
      "results vanishing after completion",
      {
        given: [poll("completed", 100, done), poll("completed", 100)],
        want: ["lifecycle:terminal-changed", "result:missing"],
      },
    ],
    ["another task's id", { given: [poll("pending", 0, { id: "other" })], want: ["lifecycle:id"] }],
    [
      "a failure without a reason",
      { given: [poll("failed", 10, { error: { code: "x", message: " " } })], want: ["lifecycle:failure-reason"] },
    ],
  ];
  it.each(cases)("%s", (_, { given, want }) => {
    expect(checkLifecycle(given, id).map((v) => v.rule)).toEqual(want);
  });
});

describe("result downloads", () => {
  const mp4 = new Uint8Array([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]);
  const webm = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0]);
  it("recognises MP4/MOV and WebM openings, not HTML", () => {
    expect(looksLikeVideo(mp4)).toBe(true);
    expect(looksLikeVideo(webm)).toBe(true);
    expect(looksLikeVideo(new TextEncoder().encode("<!doctype html>"))).toBe(false);
  });
  it.each([
    ["a video", { status: 200, type: "video/mp4", head: mp4 }, []],
    ["octet-stream bytes of a video", { status: 200, type: "application/octet-stream", head: mp4 }, []],
    ["an expired link", { status: 410, type: "application/json", head: mp4 }, ["result:download"]],
    [
      "an HTML page",
      { status: 200, type: "text/html", head: new Uint8Array(8) },
      ["result:content-type", "result:not-video"],
    ],
    ["no response", { status: null, type: "", head: new Uint8Array() }, ["result:download"]],
  ] as const)("%s", (_, given, want) => {
    const download = {
      url: "http://x/r.mp4",
      status: given.status,
      headers: { "content-type": given.type },
      head: given.head,
    };
    expect(checkResultDownload("getTaskDetail", { ...download, error: "refused" }).map((v) => v.rule)).toEqual(want);
  });
});

describe("checkCallbackDelivery", () => {
  const body = { id: "task-unified-1", status: "completed", progress: 100, results: ["https://example.com/r.mp4"] };
  const delivery = { method: "POST", path: "/hook", headers: JSON_TYPE, body };
  it("accepts a delivery that validates and matches the query", () => {
    expect(checkCallbackDelivery("videoTaskCallback", delivery, exchange("getTaskDetail", 200, body))).toEqual([]);
  });
  it("reports each broken promise", () => {
    const rules = checkCallbackDelivery(
      "videoTaskCallback",
      { method: "PUT", path: "/hook", headers: {}, body: { ...body, status: "processing", results: undefined } },
      exchange("getTaskDetail", 200, body),
    ).map((v) => v.rule);
    expect(rules).toEqual([
      "callback:method",
      "callback:content-type",
      "callback:not-finished",
      "callback:matches-get",
      "callback:matches-get",
    ]);
  });
  it("an unknown callback is reported", () => {
    expect(checkCallbackDelivery("nope", delivery).map((v) => v.rule)).toEqual(["callback:unknown"]);
  });
});
