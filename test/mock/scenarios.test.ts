import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { operations } from "../../generated/operations.js";
import type { TaskDetail, VideoGenerationResponse } from "../../src/mock/engine.js";
import { type MockServer, type MockServerOptions, SCENARIOS, startMockServer } from "../../src/mock/index.js";
import { EXAMPLE_REQUEST, expectSpecResponse, FakeClock, headers } from "./helpers.js";

const create = operations.createVideoGeneration.responses;
const query = operations.getTaskDetail.responses;
const clock = new FakeClock();
let mock: MockServer;

beforeAll(async () => {
  mock = await startMockServer({ port: 0, clock, seed: 5 });
});
afterAll(() => mock.close());
beforeEach(async () => {
  await fetch(`${mock.url}/__mock/reset`, { method: "POST" });
});

function post(
  server: MockServer,
  extra: Record<string, string> = {},
  body: unknown = EXAMPLE_REQUEST,
  signal?: AbortSignal,
) {
  return fetch(`${server.url}/v1/videos/generations`, {
    method: "POST",
    headers: headers(extra),
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

function get(server: MockServer, id: string, extra: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${server.url}/v1/tasks/${id}`, { headers: headers(extra), ...(signal ? { signal } : {}) });
}

async function admin(server: MockServer = mock) {
  return (await (await fetch(`${server.url}/__mock/tasks`)).json()) as {
    createRequests: number;
    tasks: { id: string; scenario: string; status: string }[];
  };
}

async function newTask(extra: Record<string, string> = {}): Promise<VideoGenerationResponse> {
  const res = await post(mock, extra);
  return (await expectSpecResponse("createVideoGeneration", res)) as VideoGenerationResponse;
}

function finish(id: string): void {
  const task = mock.engine.get(id);
  if (!task) throw new Error(`no task ${id}`);
  clock.ms = Math.max(clock.ms, mock.engine.terminalAt(task));
}

async function withServer(options: MockServerOptions, body: (server: MockServer) => Promise<void>): Promise<void> {
  const server = await startMockServer({ port: 0, ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

describe("lifecycle scenarios", () => {
  it("slow: the task takes five times as long as the same seed's happy task, and estimated_time says so", async () => {
    const happy = await newTask();
    await fetch(`${mock.url}/__mock/reset`, { method: "POST" }); // same seed: same draws for the next task
    const slow = await newTask({ prefer: "scenario=slow" });
    expect(slow.id).toBe(happy.id);
    expect(slow.task_info?.estimated_time).toBeGreaterThanOrEqual(4 * (happy.task_info?.estimated_time ?? 0));
    clock.ms = (mock.engine.get(slow.id)?.createdAt ?? 0) + (happy.task_info?.estimated_time ?? 0) * 1000;
    const body = (await expectSpecResponse("getTaskDetail", await get(mock, slow.id))) as TaskDetail;
    expect(body.status).not.toBe("completed");
  });

  it("fails: the task fails with the spec's error body and no results", async () => {
    const task = await newTask({ prefer: "scenario=fails" });
    finish(task.id);
    const body = (await expectSpecResponse("getTaskDetail", await get(mock, task.id))) as TaskDetail;
    expect(body).toMatchObject({ status: "failed", error: query["200"].body.examples.video_failed.error });
  });

  it("expired-result: the task completes, its link answers 410 at once with a reason", async () => {
    const task = await newTask({ prefer: "scenario=expired-result" });
    finish(task.id);
    const body = (await expectSpecResponse("getTaskDetail", await get(mock, task.id))) as TaskDetail;
    expect(body.status).toBe("completed");
    const res = await fetch(body.results?.[0] ?? "");
    expect(res.status).toBe(410);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const error = (await res.json()) as { error: { message: string; type: string } };
    expect(error.error.type).toBe("result_expired_error");
    expect(error.error.message).toMatch(/expired/);
  });
});

describe("fault scenarios (per request with Prefer, and server-wide)", () => {
  it("rate-limited: 429 with Retry-After and the spec's body on both operations; no task is created", async () => {
    const existing = await newTask();
    const res = await post(mock, { prefer: "scenario=rate-limited" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(await expectSpecResponse("createVideoGeneration", res)).toEqual(create["429"].body.example);
    const q = await get(mock, existing.id, { prefer: "scenario=rate-limited" });
    expect(await expectSpecResponse("getTaskDetail", q)).toEqual(query["429"].body.example);
    expect(await admin()).toMatchObject({ createRequests: 2, tasks: [{ id: existing.id }] });
  });

  it("quota: creating answers 402 with the spec's body; queries answer normally (402 is not documented there)", async () => {
    await withServer({ scenario: "quota", seed: 1 }, async (server) => {
      const res = await post(server);
      expect(await expectSpecResponse("createVideoGeneration", res)).toEqual(create["402"].body.example);
      expect(res.status).toBe(402);
      expect((await admin(server)).tasks).toEqual([]);
    });
    const task = await newTask();
    const res = await get(mock, task.id, { prefer: "scenario=quota" });
    expect(res.status).toBe(200);
    await expectSpecResponse("getTaskDetail", res);
  });

  it("upstream-down: every API request answers 502 with the spec's body", async () => {
    await withServer({ scenario: "upstream-down" }, async (server) => {
      const created = await post(server);
      expect(created.status).toBe(502);
      expect(await expectSpecResponse("createVideoGeneration", created)).toEqual(create["502"].body.example);
      const queried = await get(server, "task-unified-1-aaaaaaaa");
      expect(queried.status).toBe(502);
      expect(await expectSpecResponse("getTaskDetail", queried)).toEqual(query["502"].body.example);
      expect(await admin(server)).toMatchObject({ createRequests: 1, tasks: [] });
    });
  });

  it("flaky: some 502/503 (503 with Retry-After), never three in a row, the same pattern for the same seed", async () => {
    const pattern = async () => {
      const statuses: number[] = [];
      await withServer({ scenario: "flaky", seed: 99, clock }, async (server) => {
        for (let i = 0; i < 40; i++) {
          const res = i % 2 ? await get(server, "task-unified-1-aaaaaaaa") : await post(server);
          statuses.push(res.status);
          if (res.status === 503) expect(res.headers.get("retry-after")).toBe("30");
          await expectSpecResponse(i % 2 ? "getTaskDetail" : "createVideoGeneration", res);
        }
        const tasks = (await admin(server)).tasks.length;
        expect(tasks).toBe(statuses.filter((s, i) => i % 2 === 0 && s === 200).length);
      });
      return statuses;
    };
    const first = await pattern();
    expect(first).toContain(502);
    expect(first).toContain(503);
    expect(first.filter((s) => s === 200 || s === 404).length).toBeGreaterThan(20);
    expect(first.join(",")).not.toMatch(/50\d,50\d,50\d/);
    expect(await pattern()).toEqual(first);
  });

  it("reset: the connection drops without an answer; the create request has created its task", async () => {
    await expect(post(mock, { prefer: "scenario=reset" })).rejects.toThrow(TypeError);
    const state = await admin();
    expect(state.createRequests).toBe(1);
    expect(state.tasks).toHaveLength(1);
    await expect(get(mock, state.tasks[0]?.id ?? "", { prefer: "scenario=reset" })).rejects.toThrow(TypeError);
    const res = await get(mock, state.tasks[0]?.id ?? ""); // the server is still fine
    expect(res.status).toBe(200);
  });

  it("hang: no answer until the client gives up; the create request has created its task", async () => {
    const controller = new AbortController();
    const pending = post(mock, { prefer: "scenario=hang" }, EXAMPLE_REQUEST, controller.signal);
    await expect.poll(async () => (await admin()).tasks.length).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    expect((await admin()).createRequests).toBe(1);
  });

  it("malformed: 200 with a JSON content type and a body that does not parse; the task exists", async () => {
    const res = await post(mock, { prefer: "scenario=malformed" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(text).toMatch(/^\{"created":\d+,"id":"task-unified-/);
    const [task] = (await admin()).tasks;
    const q = await get(mock, task?.id ?? "", { prefer: "scenario=malformed" });
    expect(q.status).toBe(200);
    const detail = await q.text();
    expect(() => JSON.parse(detail)).toThrow(SyntaxError);
    expect(detail).toContain(task?.id);
  });

  it("server-wide scenarios apply without a header, and a request's Prefer overrides them", async () => {
    await withServer({ scenario: "rate-limited" }, async (server) => {
      expect((await post(server)).status).toBe(429);
      expect((await post(server, { prefer: "scenario=happy" })).status).toBe(200);
    });
    await withServer({ scenario: "fails", clock }, async (server) => {
      const res = await post(server, { prefer: "respond-async, scenario=malformed" });
      await res.text();
      const [task] = (await admin(server)).tasks;
      expect(task?.scenario).toBe("fails"); // the fault lost the response; the task follows the server's lifecycle
    });
  });

  it("answers 400 naming the scenarios when Prefer names an unknown one", async () => {
    const res = await post(mock, { prefer: "scenario=sunny" });
    const body = (await expectSpecResponse("createVideoGeneration", res)) as {
      error: { param: string; message: string };
    };
    expect(res.status).toBe(400);
    expect(body.error.param).toBe("Prefer");
    for (const name of SCENARIOS) expect(body.error.message).toContain(name);
  });
});

describe("authentication", () => {
  it.each([
    ["no header", {}],
    ["an empty bearer", { authorization: "Bearer " }],
    ["another scheme", { authorization: "Basic dXNlcjpwYXNz" }],
    ["two tokens", { authorization: "Bearer a b" }],
  ])("answers 401 with the spec's body for %s", async (_name, auth) => {
    const h = headers(auth);
    if (!("authorization" in auth)) delete h.authorization;
    const res = await fetch(`${mock.url}/v1/videos/generations`, { method: "POST", headers: h, body: "{}" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await expectSpecResponse("createVideoGeneration", res)).toEqual(create["401"].body.example);
    const q = await fetch(`${mock.url}/v1/tasks/task-unified-1-aaaaaaaa`, { headers: h });
    expect(q.status).toBe(401);
    expect(await expectSpecResponse("getTaskDetail", q)).toEqual(query["401"].body.example);
  });

  it("accepts only the configured apiKey when one is set", async () => {
    await withServer({ apiKey: "sk-right" }, async (server) => {
      expect((await post(server, { authorization: "Bearer sk-wrong" })).status).toBe(401);
      expect((await post(server, { authorization: "Bearer sk-right" })).status).toBe(200);
    });
  });
});

describe("request validation (src/rules.ts)", () => {
  async function rejected(body: unknown) {
    const res = await post(mock, {}, body);
    expect(res.status).toBe(400);
    return ((await expectSpecResponse("createVideoGeneration", res)) as { error: Record<string, unknown> }).error;
  }

  it("answers 400 for malformed JSON", async () => {
    const error = await rejected('{"model": "kling-o1-video-edit",');
    expect(error).toMatchObject({ code: 400, type: "invalid_request_error" });
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.param).toBeUndefined();
  });

  it.each([
    [
      "a missing prompt",
      { model: "kling-o1-video-edit", video_urls: ["https://e.com/a.mp4"] },
      "prompt",
      /prompt is required/,
    ],
    ["a long prompt", { ...EXAMPLE_REQUEST, prompt: "x".repeat(5001) }, "prompt", /prompt must be at most 5000/],
    [
      "two videos",
      { ...EXAMPLE_REQUEST, video_urls: ["https://e.com/a.mp4", "https://e.com/b.mp4"] },
      "video_urls",
      /at most 1/,
    ],
    [
      "a video that is not a video",
      { ...EXAMPLE_REQUEST, video_urls: ["https://e.com/a.gif"] },
      "video_urls",
      /video_urls\[0\].*\.mp4/,
    ],
    ["a bad aspect ratio", { ...EXAMPLE_REQUEST, aspect_ratio: "4:3" }, "aspect_ratio", /aspect_ratio must be one of/],
    ["an http callback", { ...EXAMPLE_REQUEST, callback_url: "http://example.com/cb" }, "callback_url", /HTTPS/],
    ["an internal callback", { ...EXAMPLE_REQUEST, callback_url: "https://10.0.0.8/cb" }, "callback_url", /internal/],
    ["a body that is not an object", [1, 2], undefined, /body must be an object/],
  ])("answers 400 for %s, naming the field and the rule", async (_name, body, param, message) => {
    const error = await rejected(body);
    expect(error.param).toBe(param);
    expect(error.message).toMatch(message);
    expect(error).toMatchObject({ code: 400, type: create["400"].body.example.error.type });
    expect((await admin()).tasks).toEqual([]);
  });

  it("refuses a loopback callback without allowLoopbackCallbacks, and says how to allow it", async () => {
    const error = await rejected({ ...EXAMPLE_REQUEST, callback_url: "http://127.0.0.1:9/cb" });
    expect(error.param).toBe("callback_url");
    expect(error.message).toMatch(/--allow-loopback-callbacks/);
  });

  it("with allowLoopbackCallbacks, accepts http(s) loopback callbacks but still refuses other internal hosts", async () => {
    await withServer({ allowLoopbackCallbacks: true, clock }, async (server) => {
      for (const url of ["http://127.0.0.1:9/cb", "https://localhost/cb", "http://[::1]:9/cb"]) {
        expect((await post(server, {}, { ...EXAMPLE_REQUEST, callback_url: url })).status).toBe(200);
      }
      for (const url of ["https://192.168.1.2/cb", "http://10.0.0.1/cb", "http://example.com/cb"]) {
        const res = await post(server, {}, { ...EXAMPLE_REQUEST, callback_url: url });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { param: string } }).error.param).toBe("callback_url");
      }
    });
  });
});

describe("task queries", () => {
  it("answers 400 with the spec's own invalid_task_id example for an id without the task-unified- prefix", async () => {
    const res = await get(mock, "12345");
    expect(res.status).toBe(400);
    expect(await expectSpecResponse("getTaskDetail", res)).toEqual(query["400"].body.example);
  });

  it("answers 404 in the TaskQueryErrorResponse shape, param task_id, for an unknown task", async () => {
    const res = await get(mock, "task-unified-1757169743-unknown1");
    expect(res.status).toBe(404);
    const body = (await expectSpecResponse("getTaskDetail", res)) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ code: 404, type: "not_found_error", param: "task_id" });
    expect(body.error.message).toContain("task-unified-1757169743-unknown1");
  });

  it("answers 404 with a JSON reason for a path the API does not have, with CORS and a request id", async () => {
    const res = await fetch(`${mock.url}/v1/videos`, { headers: { origin: "http://localhost:5173" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/GET \/v1\/videos/);
  });
});

describe("CORS", () => {
  it("answers a preflight for Authorization, Content-Type and Prefer from any origin", async () => {
    const res = await fetch(`${mock.url}/v1/videos/generations`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:5173",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,prefer",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(",");
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "prefer"]));
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("lets a page read the request id and Retry-After of real responses", async () => {
    const res = await post(mock, { origin: "http://localhost:5173", prefer: "scenario=rate-limited" });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    expect(exposed).toContain("x-request-id");
    expect(exposed).toContain("retry-after");
    await res.body?.cancel();
  });
});
