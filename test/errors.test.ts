import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  ContractViolationError,
  DownloadError,
  InsufficientQuotaError,
  InternalServerError,
  KlingError,
  makeAPIError,
  NotFoundError,
  PermissionDeniedError,
  parseErrorEnvelope,
  RateLimitError,
  RequestValidationError,
  ServiceUnavailableError,
  TaskFailedError,
  UpstreamError,
} from "../src/errors.js";
import { createScrubber } from "../src/internal/redact.js";
import type { Task } from "../src/types.js";

describe("makeAPIError", () => {
  const table: [string, { given: number; want: typeof APIError; name: string }][] = [
    ["400", { given: 400, want: BadRequestError, name: "BadRequestError" }],
    ["401", { given: 401, want: AuthenticationError, name: "AuthenticationError" }],
    ["402", { given: 402, want: InsufficientQuotaError, name: "InsufficientQuotaError" }],
    ["403", { given: 403, want: PermissionDeniedError, name: "PermissionDeniedError" }],
    ["404", { given: 404, want: NotFoundError, name: "NotFoundError" }],
    ["429", { given: 429, want: RateLimitError, name: "RateLimitError" }],
    ["500", { given: 500, want: InternalServerError, name: "InternalServerError" }],
    ["502", { given: 502, want: UpstreamError, name: "UpstreamError" }],
    ["503", { given: 503, want: ServiceUnavailableError, name: "ServiceUnavailableError" }],
    ["undocumented 409", { given: 409, want: APIError, name: "APIError" }],
    ["undocumented 504", { given: 504, want: APIError, name: "APIError" }],
  ];
  it.each(table)("%s", (_name, { given, want, name }) => {
    const err = makeAPIError({ status: given, method: "GET", path: "/v1/tasks/t", body: "" });
    expect(err.constructor).toBe(want);
    expect(err.name).toBe(name);
    expect(err).toBeInstanceOf(KlingError);
    expect(err.status).toBe(given);
  });

  it("uses a default title when the body has no message", () => {
    expect(makeAPIError({ status: 503, method: "POST", path: "/v1/videos/generations", body: "" }).message).toBe(
      "Service temporarily unavailable (503): POST /v1/videos/generations",
    );
  });

  it("redacts credential headers", () => {
    const err = makeAPIError({
      status: 401,
      method: "GET",
      path: "/x",
      body: null,
      headers: { Authorization: "Bearer secret", "Set-Cookie": "a=b", "X-Request-Id": "r1" },
    });
    expect(err.headers).toEqual({ authorization: "[redacted]", "set-cookie": "[redacted]", "x-request-id": "r1" });
  });
});

describe("parseErrorEnvelope", () => {
  const table: [string, { given: unknown; want: ReturnType<typeof parseErrorEnvelope> }][] = [
    [
      "integer code",
      { given: { error: { code: 429, type: "rate_limit_error" } }, want: { code: 429, type: "rate_limit_error" } },
    ],
    [
      "string code",
      {
        given: { error: { code: "invalid_task_id", param: "task_id" } },
        want: { code: "invalid_task_id", param: "task_id" },
      },
    ],
    ["wrong field types dropped", { given: { error: { code: true, message: 5, type: "x" } }, want: { type: "x" } }],
    ["text body", { given: "<html>", want: {} }],
    ["null", { given: null, want: {} }],
    ["no envelope", { given: { message: "x" }, want: {} }],
  ];
  it.each(table)("%s", (_name, { given, want }) => {
    expect(parseErrorEnvelope(given)).toEqual(want);
  });
});

describe("other errors", () => {
  it("RequestValidationError lists every violation", () => {
    const err = new RequestValidationError([
      { field: "prompt", param: "prompt", rule: "maxLength", message: "prompt must be at most 5000 characters" },
      {
        field: "video_urls[0]",
        param: "video_urls",
        rule: "fileExtension",
        message: "video_urls[0] must be a video URL",
      },
    ]);
    expect(err.message).toBe(
      "Invalid request (2 problems, nothing was sent): prompt must be at most 5000 characters; video_urls[0] must be a video URL",
    );
    expect(JSON.parse(JSON.stringify(err)).violations).toHaveLength(2);
  });

  it("TaskFailedError carries the task and its code", () => {
    const task = { id: "task-unified-1", status: "failed", error: { code: "nsfw", message: "Blocked" } } as Task;
    const err = new TaskFailedError(task);
    expect(err.message).toBe("Task task-unified-1 failed (nsfw): Blocked");
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ name: "TaskFailedError", code: "nsfw", task });
  });

  it("keeps the cause, and serialises it by name and message only", () => {
    const cause = Object.assign(new Error("socket hang up"), { secretThing: "x" });
    const err = new DownloadError("Download broke off", { reason: "truncated", url: "https://a/b.mp4", cause });
    expect(err.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: "DownloadError",
      message: "Download broke off",
      reason: "truncated",
      url: "https://a/b.mp4",
      cause: { name: "Error", message: "socket hang up" },
    });
  });
});

// Issue 11 items 5-7: a server that echoes the key puts it in fields the client used to pass through. The key is
// given as a CRLF .env file would give it; Headers sends it trimmed, and that is what comes back.
describe("errors built with a scrubber keep the key out of every output", () => {
  const RAW_KEY = "sk-live-0123456789abcdef\r\n";
  const SENT = RAW_KEY.trim();
  const scrubber = createScrubber([RAW_KEY]);
  const outputs = (err: Error) => [
    err.message,
    String(err.stack),
    JSON.stringify(err),
    inspect(err, { depth: 10, showHidden: true }),
    inspect(err, { depth: 10 }),
  ];

  it("TaskFailedError: error.message echoing the key (item 5)", () => {
    const task = {
      id: "task-unified-1",
      status: "failed",
      error: { code: "video_download_failed", message: `could not fetch with Bearer ${SENT}` },
    } as Task;
    const err = new TaskFailedError(task, { scrubber });
    for (const out of outputs(err)) expect(out).not.toContain(SENT);
    expect(err.message).toBe(
      "Task task-unified-1 failed (video_download_failed): could not fetch with Bearer [redacted]",
    );
    expect(err.task.error?.message).toBe("could not fetch with Bearer [redacted]");
    expect(task.error?.message).toContain(SENT); // the caller's object is not modified
  });

  it("APIError: header values, x-request-id, body keys and values (item 6)", () => {
    const err = makeAPIError({
      status: 401,
      method: "GET",
      path: "/v1/tasks/t",
      body: { error: { message: `bad token ${SENT}`, type: "authentication_error" }, [SENT]: JSON.stringify(SENT) },
      headers: new Headers({
        "x-request-id": `req-${SENT}`,
        "x-echo-authorization": `Bearer ${SENT}`,
        "www-authenticate": `Bearer realm="${SENT}"`,
        authorization: "Bearer whatever",
      }),
      requestId: `req-${SENT}`,
      cause: Object.assign(new Error("wrapped"), { request: { headers: { authorization: `Bearer ${SENT}` } } }),
      scrubber,
    });
    for (const out of outputs(err)) expect(out).not.toContain(SENT);
    expect(err.requestId).toBe("req-[redacted]");
    expect(err.headers).toMatchObject({
      "x-echo-authorization": "Bearer [redacted]",
      authorization: "[redacted]",
      "x-request-id": "req-[redacted]",
    });
    expect(err.message).toBe("bad token [redacted] (401 authentication_error): GET /v1/tasks/t");
  });

  it("ContractViolationError: a created task's id and the issues (item 7)", () => {
    const err = new ContractViolationError(`Response breaks the spec (the task was created: id ${SENT})`, {
      schema: "VideoGenerationResponse",
      issues: [
        {
          instancePath: "/id",
          schemaPath: "#/id",
          keyword: "pattern",
          params: { value: SENT },
          message: `bad ${SENT}`,
        },
      ],
      status: 200,
      scrubber,
    });
    for (const out of outputs(err)) expect(out).not.toContain(SENT);
    expect(err.message).toBe("Response breaks the spec (the task was created: id [redacted])");
  });

  it("APIConnectionError and DownloadError: message, cause chain and URL", () => {
    const deep = new Error("inner", { cause: new Error(`proxy said ${SENT}`) });
    const conn = new APIConnectionError(`Connection failed: ${SENT}`, { cause: deep, code: "ECONNRESET", scrubber });
    const download = new DownloadError("gone", { reason: "http", url: `https://x/y?k=${SENT}`, scrubber });
    for (const err of [conn, download]) for (const out of outputs(err)) expect(out).not.toContain(SENT);
    expect(conn.code).toBe("ECONNRESET");
    expect(conn.cause).toMatchObject({ message: "inner" });
  });

  it("keeps a cause that does not carry the key", () => {
    const cause = new Error("socket hang up");
    expect(new APIConnectionError("x", { cause, scrubber }).cause).toBe(cause);
  });
});
