/** The Hono app in-process (app.request): admin origin rule, body limit, control routes, the page, request ids. */
import { describe, expect, it } from "vitest";
import { MockApi } from "../../src/mock/api.js";
import { createMockApp, type MockAppOptions } from "../../src/mock/app.js";
import { MAX_BODY_BYTES } from "../../src/mock/reply.js";
import { EXAMPLE_REQUEST, FakeClock, headers } from "./helpers.js";

const OWN = "http://localhost"; // app.request's default origin
const EVIL = "https://evil.example";

function setup(options: MockAppOptions = {}) {
  const api = new MockApi({ clock: new FakeClock(), seed: 3 });
  const never = () => {
    throw new Error("no fault expected");
  };
  const app = createMockApp(api, { reset: never, hang: never }, options);
  const request = (path: string, init: RequestInit = {}) => app.request(path, init);
  const post = (path: string, payload?: unknown, extra: Record<string, string> = {}) =>
    request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...extra },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
  return { api, request, post };
}

async function createTask(post: ReturnType<typeof setup>["post"]): Promise<string> {
  const res = await post("/v1/videos/generations", EXAMPLE_REQUEST, headers());
  return ((await res.json()) as { id: string }).id;
}

describe("admin endpoints and other origins", () => {
  it("refuse a page from another origin (403, no CORS header), and do not act on its POST", async () => {
    const { api, request, post } = setup();
    await createTask(post);
    const read = await request("/__mock/tasks", { headers: { origin: EVIL } });
    expect(read.status).toBe(403);
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
    expect(await read.json()).toMatchObject({ error: { code: 403, type: "permission_error" } });
    expect((await post("/__mock/reset", undefined, { origin: EVIL })).status).toBe(403);
    expect(api.engine.tasks()).toHaveLength(1); // not reset
    const preflight = await request("/__mock/reset", {
      method: "OPTIONS",
      headers: { origin: EVIL, "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answer the mock's own page, and clients that send no Origin (curl, tests)", async () => {
    const { request } = setup();
    expect((await request("/__mock/tasks", { headers: { origin: OWN } })).status).toBe(200);
    expect((await request("/__mock/tasks")).status).toBe(200);
  });

  it("answer an origin the server was told to allow, with CORS for it alone", async () => {
    const { request } = setup({ adminOrigins: ["http://localhost:5173"] });
    const res = await request("/__mock/tasks", { headers: { origin: "http://localhost:5173" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect((await request("/__mock/tasks", { headers: { origin: EVIL } })).status).toBe(403);
    const any = setup({ adminOrigins: "*" });
    expect((await any.request("/__mock/tasks", { headers: { origin: EVIL } })).status).toBe(200);
  });

  it("leave the API and result files open to any origin (bearer tokens, no cookies)", async () => {
    const { request, post } = setup();
    const created = await post("/v1/videos/generations", EXAMPLE_REQUEST, headers({ origin: EVIL }));
    expect(created.headers.get("access-control-allow-origin")).toBe("*");
    const file = await request("/__mock/results/task-unified-1-x.mp4", { headers: { origin: EVIL } });
    expect(file.status).toBe(404);
    expect(file.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("request bodies", () => {
  it("over the limit answer 413 in the API's error envelope, before the body is read", async () => {
    const { api, post } = setup();
    const big = { ...EXAMPLE_REQUEST, prompt: "x".repeat(MAX_BODY_BYTES) };
    const res = await post("/v1/videos/generations", big, headers());
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: { code: 413, type: "invalid_request_error", message: expect.stringContaining(String(MAX_BODY_BYTES)) },
    });
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    expect(api.engine.tasks()).toEqual([]);
  });
});

describe("control routes", () => {
  it("complete, fail, progress and expire a task over HTTP, each answering the task", async () => {
    const { post } = setup();
    const a = await createTask(post);
    const progressed = await post(`/__mock/tasks/${a}/progress`, { progress: 40 });
    expect(await progressed.json()).toMatchObject({ task: { id: a, status: "processing", progress: 40 } });
    const failed = await post(`/__mock/tasks/${a}/fail`, { code: "quota_exceeded", message: "No credits" });
    expect(await failed.json()).toMatchObject({
      task: { status: "failed", detail: { error: { code: "quota_exceeded", message: "No credits" } } },
    });
    const b = await createTask(post);
    expect(await (await post(`/__mock/tasks/${b}/complete`)).json()).toMatchObject({ task: { status: "completed" } });
    expect(await (await post(`/__mock/tasks/${b}/expire`)).json()).toMatchObject({ task: { resultExpiresInMs: 0 } });
  });

  it("answer refusals in the error envelope: 404 unknown task, 409 final state, 400 bad value or body", async () => {
    const { post } = setup();
    const id = await createTask(post);
    await post(`/__mock/tasks/${id}/complete`);
    const cases: [string, unknown, number, string][] = [
      ["/__mock/tasks/task-unified-1-none/complete", undefined, 404, "not_found_error"],
      [`/__mock/tasks/${id}/fail`, undefined, 409, "conflict_error"],
      [`/__mock/tasks/${id}/progress`, { progress: "lots" }, 400, "invalid_request_error"],
      ["/__mock/clock/advance", { by: "soon" }, 400, "invalid_request_error"],
      ["/__mock/scenario", { scenario: "sunny" }, 400, "invalid_request_error"],
    ];
    for (const [path, payload, status, type] of cases) {
      const res = await post(path, payload);
      expect([path, res.status]).toEqual([path, status]);
      expect(await res.json()).toMatchObject({ error: { code: status, type } });
    }
    const notJson = await setup().request("/__mock/clock/pause", { method: "POST", body: "[1]" });
    expect(notJson.status).toBe(400);
  });

  it("drive the clock and the scenario", async () => {
    const { api, post } = setup();
    expect(await (await post("/__mock/clock/pause")).json()).toMatchObject({ clock: { paused: true } });
    const before = api.engine.clock.now();
    await post("/__mock/clock/advance", { by: "2m" });
    expect(api.engine.clock.now()).toBe(before + 120_000);
    await post("/__mock/clock/advance", { ms: 500 });
    expect(api.engine.clock.now()).toBe(before + 120_500);
    expect(await (await post("/__mock/clock/resume")).json()).toMatchObject({ clock: { paused: false } });
    expect(await (await post("/__mock/clock/speed", { speed: 250 })).json()).toMatchObject({ clock: { rate: 25 } });
    expect(api.engine.speed).toBe(250);
    expect(await (await post("/__mock/scenario", { scenario: "quota" })).json()).toEqual({ scenario: "quota" });
    expect((await post("/v1/videos/generations", EXAMPLE_REQUEST, headers())).status).toBe(402);
  });
});

describe("the control page", () => {
  it("is served at /__mock/ as HTML with its script from the same origin, nothing from elsewhere", async () => {
    const { request } = setup();
    expect((await request("/__mock")).headers.get("location")).toBe("/__mock/");
    const page = await request("/__mock/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await page.text();
    expect([...html.matchAll(/\bsrc="([^"]+)"/g)].map((m) => m[1])).toEqual(["page.js"]);
    expect(html).not.toMatch(/<link|@import|https?:\/\/(?!example\.com\/original-video\.mp4)/);
    const script = await request("/__mock/page.js");
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await script.text()).not.toMatch(/https?:\/\//);
  });

  it("gives every response a request id, and unknown routes the API's 404 envelope naming the page", async () => {
    const { request } = setup();
    const res = await request("/nowhere");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("/__mock/");
  });
});
