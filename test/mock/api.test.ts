import { describe, expect, it } from "vitest";
import { operations } from "../../generated/operations.js";
import { validateErrorResponse, validateTaskDetail } from "../../generated/validators.js";
import { MockApi, type MockApiOptions } from "../../src/mock/api.js";
import { TransitionError, type VideoGenerationResponse } from "../../src/mock/engine.js";
import type { Recording } from "../../src/mock/replay.js";
import type { MockReply } from "../../src/mock/reply.js";
import { EXAMPLE_REQUEST, expectValid, FakeClock } from "./helpers.js";

const AUTH: { authorization: string | null; prefer: string | null } = { authorization: "Bearer k", prefer: null };
const CALLBACK = "https://hooks.example.com/kling?kling_job=job-7&tenant=a";

/** An API on a fake clock whose callbacks go to a recording fetch (instant retries). */
function setup(options: MockApiOptions = {}) {
  const clock = new FakeClock();
  const sent: { url: string; body: unknown }[] = [];
  const api = new MockApi({
    clock,
    seed: 7,
    callbackFetch: (async (url: string, init: RequestInit) => {
      sent.push({ url, body: JSON.parse(String(init.body)) });
      return new Response(null, { status: 204 });
    }) as typeof fetch,
    callbackSleep: async () => {},
    ...options,
  });
  return { api, clock, sent };
}

function body(reply: MockReply): unknown {
  if (reply.kind !== "json") throw new Error(`expected a JSON reply, got ${reply.kind}`);
  return reply.body;
}

function create(api: MockApi, extra: Partial<typeof AUTH> = {}, request: object = EXAMPLE_REQUEST): MockReply {
  return api.create({ ...AUTH, ...extra, bodyText: JSON.stringify(request) });
}

function createTask(api: MockApi, request: object = { ...EXAMPLE_REQUEST, callback_url: CALLBACK }): string {
  return (body(create(api, {}, request)) as VideoGenerationResponse).id;
}

describe("MockApi controls", () => {
  it("a forced end delivers the callback once, to the URL with its query string, with the task as GET shows it", async () => {
    const { api, clock, sent } = setup();
    const id = createTask(api);
    api.complete(id);
    await api.idle();
    const detail = body(api.getTask({ ...AUTH, taskId: id }));
    expectValid(validateTaskDetail, detail);
    expect(sent).toEqual([{ url: CALLBACK, body: detail }]);
    clock.advance(24 * 60 * 60_000); // the simulated end passes too: no second delivery
    api.sweep();
    await api.idle();
    expect(sent).toHaveLength(1);
    expect(api.snapshot().tasks[0]?.callback).toMatchObject({ state: "delivered", payload: detail });
  });

  it("a forced failure sends its reason in the callback; the failed task refuses further transitions", async () => {
    const { api, sent } = setup();
    const id = createTask(api);
    const view = api.fail(id, { code: "content_policy_violation", message: "Refused" });
    expect(view).toMatchObject({ status: "failed", resultExpiresAt: null, resultExpiresInMs: null });
    await api.idle();
    expect(sent[0]?.body).toMatchObject({ id, status: "failed", error: { code: "content_policy_violation" } });
    expect(() => api.complete(id)).toThrow(TransitionError);
    expect(() => api.setProgress(id, 50)).toThrow(/already failed/);
  });

  it("a paused clock holds callbacks back; advancing it sends them", async () => {
    const { api, clock, sent } = setup();
    const id = createTask(api);
    api.pause();
    clock.advance(24 * 60 * 60_000);
    api.sweep();
    await api.idle();
    expect(sent).toEqual([]);
    expect(api.snapshot().tasks[0]).toMatchObject({ id, status: "pending" });
    const task = api.engine.get(id);
    if (!task) throw new Error("missing task");
    expect(api.advance(api.engine.terminalAt(task) - api.engine.clock.now())).toMatchObject({ paused: true });
    await api.idle();
    expect(sent).toHaveLength(1);
  });

  it("setScenario changes the server-wide scenario; reset restores the starting one", () => {
    const { api } = setup({ scenario: "happy" });
    api.setScenario("rate-limited");
    expect(create(api)).toMatchObject({ kind: "json", status: 429 });
    expect(() => api.setScenario("sunny" as never)).toThrow(TransitionError);
    api.reset();
    expect(api.scenario).toBe("happy");
  });

  it("the snapshot reports the clock, each task's time left on its link, and the requests answered", () => {
    const { api, clock } = setup({ resultTtlMs: 60_000 });
    const id = createTask(api, EXAMPLE_REQUEST);
    api.complete(id);
    clock.advance(15_000);
    api.getTask({ ...AUTH, taskId: id });
    const snapshot = api.snapshot();
    expect(snapshot.clock).toEqual({ now: new Date(clock.ms).toISOString(), paused: false, speed: 10 });
    expect(snapshot.tasks[0]).toMatchObject({ status: "completed", resultExpiresInMs: 45_000 });
    expect(snapshot.requests.map((r) => [r.method, r.status, r.source])).toEqual([
      ["POST", 200, "simulation"],
      ["GET", 200, "simulation"],
    ]);
  });
});

describe("MockApi scenarios for every documented answer", () => {
  const create200 = operations.createVideoGeneration.responses;
  it.each([
    ["forbidden", 403, create200["403"].body.example],
    ["model-not-found", 404, create200["404"].body.example],
    ["server-error", 500, create200["500"].body.example],
    ["unavailable", 503, create200["503"].body.example],
  ] as const)("%s: create answers %d with the spec's example body", (scenario, status, example) => {
    const { api } = setup();
    const reply = create(api, { prefer: `scenario=${scenario}` });
    expect(reply).toMatchObject({ kind: "json", status, body: example });
    expectValid(validateErrorResponse, body(reply));
    expect(api.engine.tasks()).toEqual([]); // refused: nothing was created
    if (status === 503) expect(reply).toMatchObject({ headers: { "retry-after": "30" } });
  });

  it("task queries answer normally under forbidden and model-not-found (documented for the create only)", () => {
    const { api } = setup();
    const id = createTask(api, EXAMPLE_REQUEST);
    for (const scenario of ["forbidden", "model-not-found"]) {
      expect(api.getTask({ ...AUTH, prefer: `scenario=${scenario}`, taskId: id })).toMatchObject({ status: 200 });
    }
    expect(api.getTask({ ...AUTH, prefer: "scenario=server-error", taskId: id })).toMatchObject({
      status: 500,
      body: operations.getTaskDetail.responses["500"].body.example,
    });
  });
});

describe("MockApi replay", () => {
  const recording = (file: string, at: string, path: string, status: number, responseBody: unknown): Recording => ({
    file,
    recordedAt: at,
    request: { method: "GET", path, headers: {}, body: null },
    response: {
      status,
      headers: { "content-type": "application/json", "x-request-id": `req_${file}` },
      body: responseBody,
    },
  });

  it("answers a matching request from its recording, logs it as replayed, and simulates the rest", () => {
    const path = "/v1/tasks/task-unified-1-recorded";
    const { api } = setup({
      replay: [
        recording("b.json", "2026-01-01T00:00:02Z", path, 200, { id: "second" }),
        recording("a.json", "2026-01-01T00:00:01Z", path, 200, { id: "first" }),
      ],
    });
    expect(api.getTask({ ...AUTH, taskId: "task-unified-1-recorded" })).toMatchObject({
      status: 200,
      body: { id: "first" },
      headers: { "x-request-id": "req_a.json" },
    });
    expect(body(api.getTask({ ...AUTH, taskId: "task-unified-1-recorded" }))).toEqual({ id: "second" });
    expect(api.getTask({ ...AUTH, taskId: "task-unified-1-other" })).toMatchObject({ status: 404 });
    expect(api.snapshot().requests.map((r) => [r.source, r.file])).toEqual([
      ["replay", "a.json"],
      ["replay", "b.json"],
      ["simulation", undefined],
    ]);
    expect(api.snapshot().replay).toEqual({ recordings: 2, used: 2 });
  });
});
