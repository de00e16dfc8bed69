import { bypass } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { operations } from "../../generated/operations.js";
import { SPEC_SERVER_URL } from "../../generated/spec-meta.js";
import { validateTaskDetail } from "../../generated/validators.js";
import type { TaskDetail, VideoGenerationResponse } from "../../src/mock/engine.js";
import { startMockServer } from "../../src/mock/index.js";
import { createMockHandlers, type MockHandlers } from "../../src/mock/msw.js";
import { sampleVideo } from "../../src/mock/results.js";
import { EXAMPLE_REQUEST, expectSpecResponse, expectValid, FakeClock, headers } from "./helpers.js";

const clock = new FakeClock();
const mock = createMockHandlers({ clock, seed: 8 });
const custom = createMockHandlers({ clock, seed: 8, baseUrl: "http://api.example.test/apiv1/" });
const server = setupServer(...mock.handlers, ...custom.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(async () => {
  server.close();
  await Promise.all([mock.api.close(), custom.api.close()]);
});
beforeEach(() => {
  mock.api.reset();
  custom.api.reset();
});

const base = SPEC_SERVER_URL;

function post(extra: Record<string, string> = {}, body: unknown = EXAMPLE_REQUEST, signal?: AbortSignal) {
  return fetch(`${base}/v1/videos/generations`, {
    method: "POST",
    headers: headers(extra),
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

describe("MSW handlers (msw/node setupServer, plain fetch)", () => {
  it("runs the lifecycle at the client's default base URL, with spec-valid bodies and a downloadable result", async () => {
    const res = await post();
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const created = (await expectSpecResponse("createVideoGeneration", res)) as VideoGenerationResponse;
    const poll = async () =>
      (await expectSpecResponse(
        "getTaskDetail",
        await fetch(`${base}/v1/tasks/${created.id}`, { headers: headers() }),
      )) as TaskDetail;
    expect((await poll()).status).toBe("pending");
    const task = mock.engine.get(created.id);
    if (!task) throw new Error("missing task");
    clock.ms = mock.engine.terminalAt(task);
    const done = await poll();
    expect(done.results).toEqual([`${base}/__mock/results/${created.id}.mp4`]);
    const video = await fetch(done.results?.[0] ?? "");
    expect(video.headers.get("content-type")).toBe("video/mp4");
    expect(new Uint8Array(await video.arrayBuffer())).toEqual(sampleVideo());
    const part = await fetch(done.results?.[0] ?? "", { headers: { range: "bytes=0-15" } });
    expect(part.status).toBe(206);
    expect((await part.arrayBuffer()).byteLength).toBe(16);
  });

  it("answers like the server: the same seed and clock give the same bodies", async () => {
    const http = await startMockServer({ port: 0, clock, seed: 8 });
    try {
      const viaMsw = (await (await post({ prefer: "scenario=fails" })).json()) as VideoGenerationResponse;
      // bypass(): this one request goes to the real server instead of the handlers.
      const request = new Request(`${http.url}/v1/videos/generations`, {
        method: "POST",
        headers: headers({ prefer: "scenario=fails" }),
        body: JSON.stringify(EXAMPLE_REQUEST),
      });
      const viaHttp = (await (await fetch(bypass(request))).json()) as VideoGenerationResponse;
      expect(viaMsw).toEqual(viaHttp);
    } finally {
      await http.close();
    }
  });

  it("answers errors with the spec's bodies: 401, 400 with param, 400 invalid_task_id, 404", async () => {
    const unauthorized = await fetch(`${base}/v1/videos/generations`, { method: "POST", body: "{}" });
    expect(unauthorized.status).toBe(401);
    expect(await expectSpecResponse("createVideoGeneration", unauthorized)).toEqual(
      operations.createVideoGeneration.responses["401"].body.example,
    );
    const invalid = await post({}, { ...EXAMPLE_REQUEST, video_urls: ["https://example.com/a.avi"] });
    expect(invalid.status).toBe(400);
    expect(await expectSpecResponse("createVideoGeneration", invalid)).toMatchObject({
      error: { param: "video_urls" },
    });
    const badId = await fetch(`${base}/v1/tasks/42`, { headers: headers() });
    expect(await expectSpecResponse("getTaskDetail", badId)).toEqual(
      operations.getTaskDetail.responses["400"].body.example,
    );
    const unknown = await fetch(`${base}/v1/tasks/task-unified-1-zzzzzzzz`, { headers: headers() });
    expect(unknown.status).toBe(404);
    await expectSpecResponse("getTaskDetail", unknown);
  });

  it("turns reset into a network error and hang into a request that only ends when aborted", async () => {
    await expect(post({ prefer: "scenario=reset" })).rejects.toThrow(TypeError);
    const controller = new AbortController();
    const hanging = post({ prefer: "scenario=hang" }, EXAMPLE_REQUEST, controller.signal);
    await expect.poll(() => mock.engine.tasks().length).toBe(2);
    controller.abort();
    await expect(hanging).rejects.toThrow(/abort/i);
    expect(mock.engine.createRequests).toBe(2);
  });

  it("serves malformed JSON and the rate-limited 429 with Retry-After", async () => {
    const malformed = await post({ prefer: "scenario=malformed" });
    expect(malformed.status).toBe(200);
    await expect(malformed.json()).rejects.toThrow(SyntaxError);
    const limited = await post({ prefer: "scenario=rate-limited" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
  });

  it("serves the admin endpoints", async () => {
    await post();
    const state = (await (await fetch(`${base}/__mock/tasks`)).json()) as { createRequests: number; tasks: unknown[] };
    expect(state.createRequests).toBe(1);
    expect(state.tasks).toHaveLength(1);
    await fetch(`${base}/__mock/reset`, { method: "POST" });
    expect(mock.engine.tasks()).toEqual([]);
  });

  it("drives tasks and the clock from the returned object, and over the admin routes", async () => {
    const created = (await (await post()).json()) as VideoGenerationResponse;
    expect(mock.setProgress(created.id, 30)).toMatchObject({ status: "processing", progress: 30 });
    const failed = await fetch(`${base}/__mock/tasks/${created.id}/fail`, {
      method: "POST",
      body: JSON.stringify({ code: "video_too_long", message: "Too long" }),
    });
    expect(await failed.json()).toMatchObject({ task: { status: "failed", progress: 30 } });
    const detail = await expectSpecResponse(
      "getTaskDetail",
      await fetch(`${base}/v1/tasks/${created.id}`, { headers: headers() }),
    );
    expect(detail).toMatchObject({ status: "failed", error: { code: "video_too_long", message: "Too long" } });
    expect(() => mock.complete(created.id)).toThrow(/already failed/);

    const second = (await (await post()).json()) as VideoGenerationResponse;
    mock.pause();
    clock.advance(24 * 60 * 60 * 1000);
    expect(mock.api.snapshot().tasks[1]).toMatchObject({ status: "pending" });
    mock.complete(second.id);
    mock.advance(60_000);
    expect(mock.api.snapshot().tasks[1]).toMatchObject({
      status: "completed",
      resultExpiresInMs: 24 * 60 * 60 * 1000 - 60_000,
    });
    mock.expire(second.id);
    const gone = await fetch(`${base}/__mock/results/${second.id}.mp4`);
    expect(gone.status).toBe(410);
    expect(mock.setSpeed(50)).toMatchObject({ paused: true, rate: 5 });
    expect(mock.setScenario("server-error")).toBe("server-error");
    expect((await post()).status).toBe(500);
  });

  it("refuses a body over the size limit with 413 in the API's error envelope", async () => {
    const res = await post({}, { ...EXAMPLE_REQUEST, prompt: "x".repeat(1024 * 1024) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 413, type: "invalid_request_error" } });
    expect(mock.engine.tasks()).toEqual([]);
  });

  it("intercepts a custom base URL and points result links at it", async () => {
    const res = await fetch("http://api.example.test/apiv1/v1/videos/generations", {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(EXAMPLE_REQUEST),
    });
    const created = (await res.json()) as VideoGenerationResponse;
    clock.advance(24 * 60 * 60 * 1000 - 1);
    const detail = await (
      await fetch(`http://api.example.test/apiv1/v1/tasks/${created.id}`, { headers: headers() })
    ).json();
    expectValid(validateTaskDetail, detail);
    expect(detail.results).toEqual([`http://api.example.test/apiv1/__mock/results/${created.id}.mp4`]);
    expect(mock.engine.tasks()).toEqual([]); // the default-URL handlers saw nothing
  });

  it("is typed from the generated types", () => {
    expectTypeOf(mock).toEqualTypeOf<MockHandlers>();
    expectTypeOf(mock.engine.createdBody).returns.toEqualTypeOf<VideoGenerationResponse>();
    expectTypeOf(mock.engine.detail).returns.toEqualTypeOf<TaskDetail>();
  });
});
