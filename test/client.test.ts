import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { operations } from "../generated/operations.js";
import { SPEC_SERVER_URL } from "../generated/spec-meta.js";
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ContractViolationError,
  createKlingClient,
  InsufficientQuotaError,
  InternalServerError,
  MissingApiKeyError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  RequestValidationError,
  ServiceUnavailableError,
  UpstreamError,
} from "../src/index.js";
import {
  apiError,
  created,
  json,
  networkError,
  params,
  recordingLogger,
  type Step,
  scriptedFetch,
  TASK_ID,
  taskDetail,
} from "./support/fake-fetch.js";

const KEY = "sk-test-0123456789abcdef";
const BASE = "https://api.test/apiv1";

function client(steps: Step[], options: Parameters<typeof createKlingClient>[0] = {}) {
  const fake = scriptedFetch(...steps);
  return { fake, client: createKlingClient({ apiKey: KEY, baseUrl: BASE, fetch: fake.fetch, ...options }) };
}

/** Settles a promise while fake timers run, so retries' sleeps pass. */
async function settle<T>(promise: Promise<T>, ms = 120_000): Promise<T> {
  const outcome = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  await vi.advanceTimersByTimeAsync(ms);
  const result = await outcome;
  if (result.ok) return result.value;
  throw result.error;
}

describe("configuration", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("sends the wire's snake_case body with the default model, the bearer key, to the base URL", async () => {
    const { fake, client: c } = client([json(200, created, { "x-request-id": "req-1" })]);
    const task = await c.edits.create({ ...params, aspect_ratio: "9:16", keep_original_sound: false });
    expect(task.id).toBe(TASK_ID);
    const [request] = fake.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(`${BASE}/v1/videos/generations`);
    expect(request?.headers.get("authorization")).toBe(`Bearer ${KEY}`);
    expect(request?.headers.get("content-type")).toBe("application/json");
    expect(fake.bodies[0]).toEqual({
      ...params,
      aspect_ratio: "9:16",
      keep_original_sound: false,
      model: "kling-o1-video-edit",
    });
  });

  it("keeps a model the caller chose", async () => {
    const { fake, client: c } = client([json(200, created)]);
    await c.edits.create({ ...params, model: "kling-o1-video-edit-pro" });
    expect(fake.bodies[0]).toMatchObject({ model: "kling-o1-video-edit-pro" });
  });

  it("gives the raw response and the request id through withResponse()", async () => {
    const { client: c } = client([json(200, taskDetail("processing", { progress: 40 }), { "x-request-id": "req-42" })]);
    const { data, response, requestId } = await c.tasks.get(TASK_ID).withResponse();
    expect(data.progress).toBe(40);
    expect(response.status).toBe(200);
    expect(requestId).toBe("req-42");
  });

  it("reads KLING_API_KEY and KLING_BASE_URL, else the spec's server", async () => {
    vi.stubEnv("KLING_API_KEY", "env-key-123456");
    vi.stubEnv("KLING_BASE_URL", "https://env.test/base/");
    const fake = scriptedFetch(json(200, taskDetail("pending")));
    await createKlingClient({ fetch: fake.fetch }).tasks.get(TASK_ID);
    expect(fake.requests[0]?.url).toBe(`https://env.test/base/v1/tasks/${TASK_ID}`);
    expect(fake.requests[0]?.headers.get("authorization")).toBe("Bearer env-key-123456");
    vi.stubEnv("KLING_BASE_URL", "");
    expect(createKlingClient().baseUrl).toBe(SPEC_SERVER_URL);
  });

  it("reports a missing key at the first call, not at creation, and sends nothing", async () => {
    vi.stubEnv("KLING_API_KEY", "");
    const fake = scriptedFetch(json(200, created));
    const c = createKlingClient({ fetch: fake.fetch, baseUrl: BASE });
    await expect(c.edits.create(params)).rejects.toBeInstanceOf(MissingApiKeyError);
    await expect(c.tasks.get(TASK_ID)).rejects.toThrow(/KLING_API_KEY/);
    expect(fake.requests).toHaveLength(0);
  });

  it("does not let a per-call header replace the Authorization header", async () => {
    const { fake, client: c } = client([json(200, taskDetail("pending"))]);
    await c.tasks.get(TASK_ID, { headers: { authorization: "Bearer other", "X-Trace": "t1" } });
    expect(fake.requests[0]?.headers.get("authorization")).toBe(`Bearer ${KEY}`);
    expect(fake.requests[0]?.headers.get("x-trace")).toBe("t1");
  });

  it("encodes the task id into the path", async () => {
    const { fake, client: c } = client([json(200, taskDetail("pending"))], { validateResponses: false });
    await c.tasks.get("task-unified-a/b?c");
    expect(fake.requests[0]?.url).toBe(`${BASE}/v1/tasks/task-unified-a%2Fb%3Fc`);
  });
});

describe("pre-flight validation", () => {
  it("lists every broken rule and sends nothing", async () => {
    const { fake, client: c } = client([json(200, created)]);
    const err = await c.edits
      .create({
        prompt: "",
        video_urls: ["https://example.com/a.avi"],
        image_urls: ["https://example.com/1.gif"],
        callback_url: "https://127.0.0.1/hook",
        // @ts-expect-error: not one of the spec's ratios
        aspect_ratio: "4:3",
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestValidationError);
    const violations = (err as RequestValidationError).violations;
    expect(violations.map((v) => `${v.field}:${v.rule}`).sort()).toEqual([
      "aspect_ratio:enum",
      "callback_url:publicHost",
      "image_urls[0]:fileExtension",
      "prompt:minLength",
      "video_urls[0]:fileExtension",
    ]);
    expect((err as Error).message).toMatch(/5 problems, nothing was sent/);
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
    ["not a string", 42 as unknown as string],
  ])("rejects a %s task id without sending", async (_name, id) => {
    const { fake, client: c } = client([json(200, taskDetail("pending"))]);
    const err = await c.tasks.get(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestValidationError);
    expect((err as RequestValidationError).violations[0]).toMatchObject({ field: "task_id", rule: "required" });
    await expect(c.tasks.wait(id)).rejects.toBeInstanceOf(RequestValidationError);
    expect(fake.requests).toHaveLength(0);
  });

  it("sends an id without the task-unified- prefix (only an example message states that rule) and warns", async () => {
    const log = recordingLogger();
    const { fake, client: c } = client([json(200, taskDetail("pending", { id: "abc" }))], { logger: log.logger });
    await c.tasks.get("abc");
    expect(fake.requests).toHaveLength(1);
    expect(log.lines.some((l) => l.level === "warn" && l.message.includes("task-unified-"))).toBe(true);
  });
});

describe("error responses", () => {
  const classes: [number, typeof APIError, string][] = [
    [400, BadRequestError, "invalid_request_error"],
    [401, AuthenticationError, "authentication_error"],
    [402, InsufficientQuotaError, "insufficient_quota_error"],
    [403, PermissionDeniedError, "permission_error"],
    [404, NotFoundError, "not_found_error"],
    [429, RateLimitError, "rate_limit_error"],
    [500, InternalServerError, "internal_server_error"],
    [502, UpstreamError, "upstream_error"],
    [503, ServiceUnavailableError, "service_unavailable_error"],
  ];

  it.each(classes)("create %i -> %o with the envelope's fields", async (status, Class) => {
    // The spec's own example for this status, straight from generated/operations.ts.
    const example = (operations.createVideoGeneration.responses as Record<string, { body?: { example?: unknown } }>)[
      String(status)
    ]?.body?.example as { error: Record<string, unknown> };
    const { client: c } = client([json(status, example, { "x-request-id": `r-${status}` })], { maxRetries: 0 });
    const err = (await c.edits.create(params).catch((e: unknown) => e)) as APIError;
    expect(err).toBeInstanceOf(Class);
    expect(err).toBeInstanceOf(APIError);
    expect(err.status).toBe(status);
    expect(err.type).toBe(example.error.type);
    expect(err.param).toBe(example.error.param);
    expect(err.fallbackSuggestion).toBe(example.error.fallback_suggestion);
    expect(err.code).toBe(status);
    expect(err.requestId).toBe(`r-${status}`);
    expect(err.body).toEqual(example);
    expect(err.message).toContain(`(${status} ${example.error.type}`);
    expect(err.message).toContain("POST /v1/videos/generations");
  });

  it("words messages as 'what (status type): request'", async () => {
    const { client: c } = client([apiError(429, "rate_limit_error", { message: "Rate limit exceeded" })], {
      maxRetries: 0,
    });
    await expect(c.edits.create(params)).rejects.toThrow(
      /^Rate limit exceeded \(429 rate_limit_error\): POST \/v1\/videos\/generations$/,
    );
  });

  it("keeps the task query's string error code", async () => {
    const example = operations.getTaskDetail.responses["400"].body.example;
    const { client: c } = client([json(400, example)]);
    const err = (await c.tasks.get("bad-id").catch((e: unknown) => e)) as BadRequestError;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.code).toBe("invalid_task_id");
    expect(err.param).toBe("task_id");
    expect(err.message).toBe(
      "Invalid task ID format, must start with 'task-unified-' (400 invalid_request_error, param task_id): GET /v1/tasks/bad-id",
    );
  });

  it("gives an undocumented status the base class, and a non-JSON error body its text", async () => {
    const { client: c } = client([new Response("<html>teapot</html>", { status: 418 })]);
    const err = (await c.tasks.get(TASK_ID).catch((e: unknown) => e)) as APIError;
    expect(err.constructor).toBe(APIError);
    expect(err.status).toBe(418);
    expect(err.body).toBe("<html>teapot</html>");
    expect(err.message).toBe(`HTTP 418 (418): GET /v1/tasks/${TASK_ID}`);
  });
});

describe("response validation", () => {
  it("throws a contract violation naming the field", async () => {
    const { client: c } = client([json(200, { ...taskDetail("pending"), status: "queued" })]);
    const err = (await c.tasks.get(TASK_ID).catch((e: unknown) => e)) as ContractViolationError;
    expect(err).toBeInstanceOf(ContractViolationError);
    expect(err.schema).toBe("TaskDetail");
    expect(err.issues.map((i) => i.instancePath)).toContain("/status");
    expect(err.message).toMatch(/\/status must be equal to one of the allowed values/);
  });

  it("says a create whose 2xx body breaks the spec did create a task, and names its id", async () => {
    // The task exists and is billed: without its id the caller can neither poll it nor know not to resubmit.
    const { fake, client: c } = client([json(200, { ...created, status: "queued" })]);
    const err = (await c.edits.create(params).catch((e: unknown) => e)) as ContractViolationError;
    expect(err).toBeInstanceOf(ContractViolationError);
    expect(err.message).toContain(TASK_ID);
    expect(err.message).toMatch(/created/);
    expect(fake.requests).toHaveLength(1);
  });

  it("catches a completed task without results (the spec's if/then rule)", async () => {
    const { client: c } = client([json(200, { ...taskDetail("completed"), results: undefined })]);
    await expect(c.tasks.get(TASK_ID)).rejects.toThrow(/must have required property 'results'/);
  });

  it("in warn mode logs and returns the body; off, returns it silently", async () => {
    const log = recordingLogger();
    const bad = { ...taskDetail("pending"), progress: 101 };
    const warn = client([json(200, bad)], { validateResponses: "warn", logger: log.logger }).client;
    await expect(warn.tasks.get(TASK_ID)).resolves.toMatchObject({ progress: 101 });
    expect(log.lines.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      expect.stringContaining("/progress must be <= 100"),
    ]);
    const off = client([json(200, bad)], { validateResponses: false }).client;
    await expect(off.tasks.get(TASK_ID)).resolves.toMatchObject({ progress: 101 });
  });

  it.each([
    [
      "non-JSON 200",
      new Response("<html>oops</html>", { status: 200, headers: { "content-type": "text/html" } }),
      /Malformed JSON in 200 response \(content-type text\/html\)/,
    ],
    ["truncated JSON 200", new Response('{"id": "task-', { status: 200 }), /Malformed JSON/],
    ["empty 200", new Response(null, { status: 200 }), /Empty body in 200 response/],
    ["empty 200 with length 0", new Response("", { status: 200, headers: { "content-length": "0" } }), /Empty body/],
  ])("%s is a clear error, never undefined", async (_name, response, message) => {
    for (const validateResponses of [true, false] as const) {
      const { client: c } = client([response.clone()], { validateResponses });
      await expect(c.tasks.get(TASK_ID)).rejects.toThrow(message);
    }
  });
});

describe("retries (fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("retries a GET on 408, 429, 500, 502, 503, 504 and network errors, then succeeds", async () => {
    for (const fault of [408, 429, 500, 502, 503, 504, "ECONNRESET"] as const) {
      const first = typeof fault === "number" ? apiError(fault, "x") : networkError(fault);
      const { fake, client: c } = client([first, json(200, taskDetail("processing"))]);
      await expect(settle(c.tasks.get(TASK_ID))).resolves.toMatchObject({ status: "processing" });
      expect(fake.requests, String(fault)).toHaveLength(2);
    }
  });

  it("keeps every attempt's request id, in order: requestIds on the answer, and on the error that ends the call", async () => {
    const id = (x: string) => ({ "x-request-id": x });
    const ok = client([
      apiError(503, "service_unavailable_error", {}, id("req-a")),
      apiError(500, "x", {}, id("req-b")),
      json(200, taskDetail("processing"), id("req-c")),
    ]);
    const answer = await settle(ok.client.tasks.get(TASK_ID).withResponse());
    expect(answer.requestId).toBe("req-c");
    expect(answer.requestIds).toEqual(["req-a", "req-b", "req-c"]);
    const failing = client([
      apiError(502, "x", {}, id("req-d")),
      apiError(502, "x", {}, id("req-e")),
      apiError(502, "x", {}, id("req-f")),
    ]);
    const error = await settle(failing.client.tasks.get(TASK_ID)).catch((e: unknown) => e);
    expect(error).toMatchObject({ requestId: "req-f", requestIds: ["req-d", "req-e", "req-f"] });
    // A create refused with the API's own 429, then created: both ids.
    const create = client([
      apiError(429, "rate_limit_error", {}, { ...id("req-g"), "retry-after": "0" }),
      json(200, created, id("req-h")),
    ]);
    const made = await settle(create.client.edits.create(params).withResponse());
    expect(made.requestIds).toEqual(["req-g", "req-h"]);
  });

  it("gives up after maxRetries (default 2: three requests), per client and per call", async () => {
    const a = client([apiError(503, "service_unavailable_error")]);
    await expect(settle(a.client.tasks.get(TASK_ID))).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(a.fake.requests).toHaveLength(3);
    const b = client([apiError(503, "service_unavailable_error")], { maxRetries: 5 });
    await expect(settle(b.client.tasks.get(TASK_ID, { maxRetries: 0 }))).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    expect(b.fake.requests).toHaveLength(1);
  });

  it("does not retry 400, 401, 403, 404", async () => {
    for (const status of [400, 401, 403, 404]) {
      const { fake, client: c } = client([apiError(status, "x"), json(200, taskDetail("pending"))]);
      await expect(settle(c.tasks.get(TASK_ID))).rejects.toBeInstanceOf(APIError);
      expect(fake.requests).toHaveLength(1);
    }
  });

  it("backs off exponentially with jitter: no retry before 375 ms, one by 500 ms", async () => {
    const { fake, client: c } = client([apiError(500, "x"), apiError(500, "x"), json(200, taskDetail("pending"))]);
    const done = c.tasks.get(TASK_ID);
    await vi.advanceTimersByTimeAsync(374);
    expect(fake.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(126);
    expect(fake.requests).toHaveLength(2);
    // The second retry waits 750-1000 ms after the second request (sent at 375-500 ms).
    await vi.advanceTimersByTimeAsync(1124 - 500);
    expect(fake.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1500 - 1124);
    expect(fake.requests).toHaveLength(3);
    await expect(done).resolves.toMatchObject({ status: "pending" });
  });

  it("honours Retry-After in seconds", async () => {
    const { fake, client: c } = client([
      apiError(429, "rate_limit_error", {}, { "retry-after": "3" }),
      json(200, taskDetail("pending")),
    ]);
    const done = c.tasks.get(TASK_ID);
    await vi.advanceTimersByTimeAsync(2999);
    expect(fake.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.requests).toHaveLength(2);
    await done;
  });

  it("honours Retry-After as an HTTP date", async () => {
    vi.setSystemTime(Date.parse("2025-01-01T00:00:00Z"));
    const { fake, client: c } = client([
      apiError(503, "service_unavailable_error", {}, { "retry-after": "Wed, 01 Jan 2025 00:00:04 GMT" }),
      json(200, taskDetail("pending")),
    ]);
    const done = c.tasks.get(TASK_ID);
    await vi.advanceTimersByTimeAsync(3999);
    expect(fake.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.requests).toHaveLength(2);
    await done;
  });

  it("honours the fallback_suggestion 'retry after N seconds'", async () => {
    const { fake, client: c } = client(
      [
        apiError(503, "service_unavailable_error", { fallback_suggestion: "retry after 30 seconds" }),
        json(200, taskDetail("pending")),
      ],
      { timeoutMs: 120_000 },
    );
    const done = c.tasks.get(TASK_ID);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(fake.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.requests).toHaveLength(2);
    await done;
  });

  it("gives up at once when the server's wait is over 60 s or past the deadline, with retryAfterMs on the error", async () => {
    const long = client([apiError(429, "rate_limit_error", {}, { "retry-after": "120" })], { timeoutMs: 600_000 });
    const err = (await settle(long.client.tasks.get(TASK_ID), 0).catch((e: unknown) => e)) as RateLimitError;
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.retryAfterMs).toBe(120_000);
    expect(long.fake.requests).toHaveLength(1);
    // The spec's own 429 example says "retry after 60 seconds"; the default 60 s deadline cannot fit that wait.
    const example = client([json(429, operations.getTaskDetail.responses["429"].body.example)]);
    await expect(settle(example.client.tasks.get(TASK_ID), 0)).rejects.toBeInstanceOf(RateLimitError);
    expect(example.fake.requests).toHaveLength(1);
  });

  it("treats timeoutMs as one deadline across attempts and sleeps", async () => {
    const { fake, client: c } = client([apiError(500, "x"), "hang"], { timeoutMs: 5_000 });
    const done = c.tasks.get(TASK_ID);
    const outcome = done.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5_000);
    const err = await outcome;
    expect(err).toBeInstanceOf(APITimeoutError);
    expect((err as Error).message).toBe(`Timed out after 5000 ms: GET /v1/tasks/${TASK_ID}`);
    expect(fake.requests).toHaveLength(2);
  });
});

describe("creates are never duplicated by default (injected fetch)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /**
   * A fake API that creates (and bills) a task whenever a request gets past its front door, then fails the way
   * `fault` says. A duplicate is a second created task.
   */
  function faultyApi(fault: string) {
    let tasksCreated = 0;
    const createThen = (answer: Step): Step => {
      return () => {
        tasksCreated++;
        return typeof answer === "function" ? answer(new Request("http://x")) : (answer as Response | Error);
      };
    };
    const steps: Record<string, Step> = {
      "429": apiError(429, "rate_limit_error", {}, { "retry-after": "0" }),
      "503": apiError(503, "service_unavailable_error", {}, { "retry-after": "0" }),
      "500": createThen(apiError(500, "internal_server_error", {}, { "retry-after": "0" })),
      "502": createThen(apiError(502, "upstream_error", {}, { "retry-after": "0" })),
      "504": createThen(apiError(504, "gateway_timeout", {}, { "retry-after": "0" })),
      "408": createThen(apiError(408, "timeout", {}, { "retry-after": "0" })),
      reset: createThen(networkError("ECONNRESET")),
      "socket closed": createThen(networkError("UND_ERR_SOCKET")),
      "network error without code": createThen(new TypeError("Failed to fetch")),
      malformed: createThen(new Response("{not json", { status: 200 })),
      "schema violation": createThen(json(200, { id: TASK_ID, status: "weird" })),
    };
    const step = steps[fault];
    if (!step) throw new Error(fault);
    return { step, created: () => tasksCreated };
  }

  const faults = [
    "429",
    "503",
    "500",
    "502",
    "504",
    "408",
    "reset",
    "socket closed",
    "network error without code",
    "malformed",
    "schema violation",
  ];

  it.each(faults)("%s: at most one task is created, and unsafe faults are sent exactly once", async (fault) => {
    const api = faultyApi(fault);
    const { fake, client: c } = client([api.step]);
    await expect(settle(c.edits.create(params))).rejects.toBeInstanceOf(Error);
    expect(api.created()).toBeLessThanOrEqual(1);
    if (api.created() === 1) expect(fake.requests).toHaveLength(1);
    else expect(fake.requests).toHaveLength(3); // refused (429/503): retried, since no task exists
  });

  it("times out a hanging create without resending it, and says the task may exist", async () => {
    const { fake, client: c } = client(["hang"], { timeoutMs: 10_000 });
    const outcome = c.edits.create(params).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(60_000);
    const err = await outcome;
    expect(err).toBeInstanceOf(APITimeoutError);
    expect((err as Error).message).toMatch(/not retried: the task may have been created/);
    expect(fake.requests).toHaveLength(1);
  });

  it("retries a create refused at connect (nothing was sent), then succeeds once", async () => {
    const { fake, client: c } = client([networkError("ECONNREFUSED"), json(200, created)]);
    await expect(settle(c.edits.create(params))).resolves.toMatchObject({ id: TASK_ID });
    expect(fake.requests).toHaveLength(2);
  });

  it("retries a rate-limited create and creates one task", async () => {
    const { fake, client: c } = client([
      apiError(429, "rate_limit_error", {}, { "retry-after": "1" }),
      json(200, created),
    ]);
    await expect(settle(c.edits.create(params))).resolves.toMatchObject({ id: TASK_ID });
    expect(fake.requests).toHaveLength(2);
  });

  it("with retryUnsafe: true, retries a create after 500/502/reset (the documented risk)", async () => {
    for (const first of [apiError(500, "x"), apiError(502, "x"), networkError("ECONNRESET")]) {
      const { fake, client: c } = client([first, json(200, created)], { retryUnsafe: true });
      await expect(settle(c.edits.create(params))).resolves.toMatchObject({ id: TASK_ID });
      expect(fake.requests).toHaveLength(2);
    }
    const perCall = client([apiError(500, "x"), json(200, created)]);
    await expect(settle(perCall.client.edits.create(params, { retryUnsafe: true }))).resolves.toMatchObject({
      id: TASK_ID,
    });
  });

  it("says in the error that a 500 create was not retried because the task may exist", async () => {
    const { client: c } = client([apiError(500, "internal_server_error", { message: "Internal server error" })]);
    await expect(settle(c.edits.create(params))).rejects.toThrow(
      "Internal server error (500 internal_server_error): POST /v1/videos/generations (not retried: the task may have been created; see README, Retries)",
    );
  });
});

describe("abort", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("before the call: nothing is sent", async () => {
    const { fake, client: c } = client([json(200, created)]);
    await expect(c.edits.create(params, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(APIUserAbortError);
    expect(fake.requests).toHaveLength(0);
  });

  it("during the request", async () => {
    const { client: c } = client(["hang"]);
    const controller = new AbortController();
    const outcome = c.tasks.get(TASK_ID, { signal: controller.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    expect(await outcome).toBeInstanceOf(APIUserAbortError);
  });

  it("during a retry sleep: no further request", async () => {
    const { fake, client: c } = client([apiError(503, "x", {}, { "retry-after": "30" })], { timeoutMs: 120_000 });
    const controller = new AbortController();
    const outcome = c.tasks.get(TASK_ID, { signal: controller.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    controller.abort(new Error("user went away"));
    const err = await outcome;
    expect(err).toBeInstanceOf(APIUserAbortError);
    expect((err as Error).message).toBe(`Aborted by the caller: GET /v1/tasks/${TASK_ID}`);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.requests).toHaveLength(1);
  });

  it("while the body is read", async () => {
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"id":'));
      },
    });
    const { client: c } = client([
      (req) => {
        req.signal.addEventListener("abort", () => body.cancel().catch(() => {}));
        return new Response(body, { status: 200 });
      },
    ]);
    const outcome = c.tasks.get(TASK_ID, { signal: controller.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    expect(await outcome).toBeInstanceOf(APIUserAbortError);
  });
});

describe("connection errors", () => {
  it("wrap the cause and its code", async () => {
    const { client: c } = client([networkError("ECONNRESET")], { maxRetries: 0 });
    const err = (await c.tasks.get(TASK_ID).catch((e: unknown) => e)) as APIConnectionError;
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err.code).toBe("ECONNRESET");
    expect(err.cause).toBeInstanceOf(TypeError);
    expect(err.message).toBe(`Connection failed (ECONNRESET): GET /v1/tasks/${TASK_ID}: fetch failed`);
  });
});

describe("secrets", () => {
  it("never shows the key in errors, their JSON, inspect output, or log lines", async () => {
    const log = recordingLogger();
    const echo = json(
      401,
      { error: { code: 401, message: `Invalid token ${KEY}`, type: "authentication_error" } },
      {
        "set-cookie": "session=abc",
      },
    );
    const { client: c } = client([echo], { logger: log.logger, logLevel: "debug" });
    const err = (await c.tasks.get(TASK_ID).catch((e: unknown) => e)) as AuthenticationError;
    expect(err).toBeInstanceOf(AuthenticationError);
    for (const text of [err.message, String(err), JSON.stringify(err), inspect(err, { depth: 10 }), err.stack ?? ""]) {
      expect(text).not.toContain(KEY);
    }
    expect(err.message).toContain("[redacted]");
    expect(err.headers["set-cookie"]).toBe("[redacted]");
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ name: "AuthenticationError", status: 401 });
    expect(log.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(log.lines)).not.toContain(KEY);
    expect(JSON.stringify(log.lines)).toContain("authorization");
  });

  it("never shows the key in the client's own string, JSON or inspect output", () => {
    const c = createKlingClient({ apiKey: KEY, baseUrl: BASE });
    for (const text of [String(c), JSON.stringify(c), inspect(c, { depth: 10, showHidden: true })]) {
      expect(text).not.toContain(KEY);
    }
    expect(JSON.parse(JSON.stringify(c))).toMatchObject({ apiKey: "[redacted]", baseUrl: BASE });
  });

  it("keeps the key out of connection errors that echo it", async () => {
    const { client: c } = client([new TypeError(`fetch failed for Bearer ${KEY}`)], { maxRetries: 0 });
    const err = (await c.tasks.get(TASK_ID).catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain(KEY);
    expect(JSON.stringify(err)).not.toContain(KEY);
  });
  it("redacts a key read with a trailing newline, which fetch trims before sending (and the server echoes)", async () => {
    // fs.readFileSync("key.txt", "utf8") keeps the newline; Headers strips it, so the echo is of the trimmed key.
    const echo = (request: Request) =>
      json(401, {
        error: { code: 401, message: `Invalid token ${request.headers.get("authorization")}`, type: "x" },
      });
    const { client: c } = client([echo], { apiKey: `${KEY}\n`, maxRetries: 0 });
    const err = (await c.tasks.get(TASK_ID).catch((e: unknown) => e)) as AuthenticationError;
    expect(err).toBeInstanceOf(AuthenticationError);
    for (const text of [err.message, JSON.stringify(err), inspect(err, { depth: 10 })]) {
      expect(text).not.toContain(KEY);
    }
  });

  it("keeps the key out of a connection error's deeper causes (wrappers that put the request in their errors)", async () => {
    const inner = Object.assign(new Error("proxy refused the request"), {
      code: "ECONNRESET",
      config: { headers: { Authorization: `Bearer ${KEY}` } },
    });
    const { client: c } = client([new TypeError("fetch failed", { cause: inner })], { maxRetries: 0 });
    const err = (await c.tasks.get(TASK_ID).catch((e: unknown) => e)) as APIConnectionError;
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err.code).toBe("ECONNRESET");
    expect(inspect(err, { depth: 10 })).not.toContain(KEY);
  });
});
