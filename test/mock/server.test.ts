import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { operations } from "../../generated/operations.js";
import { validateTaskDetail, validateVideoGenerationResponse } from "../../generated/validators.js";
import type { TaskDetail, VideoGenerationResponse } from "../../src/mock/engine.js";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import { SAMPLE_VIDEO_SIZE } from "../../src/mock/sample-video.js";
import { EXAMPLE_REQUEST, expectValid, FakeClock, headers } from "./helpers.js";

const clock = new FakeClock();
let mock: MockServer;

beforeAll(async () => {
  mock = await startMockServer({ port: 0, clock, seed: 1, speed: 10 });
});
afterAll(() => mock.close());
beforeEach(async () => {
  await fetch(`${mock.url}/__mock/reset`, { method: "POST" });
});

async function create(extra: Record<string, string> = {}, body: unknown = EXAMPLE_REQUEST) {
  return fetch(`${mock.url}/v1/videos/generations`, {
    method: "POST",
    headers: headers(extra),
    body: JSON.stringify(body),
  });
}

async function getTask(id: string, extra: Record<string, string> = {}) {
  return fetch(`${mock.url}/v1/tasks/${id}`, { headers: headers(extra) });
}

async function admin() {
  return (await (await fetch(`${mock.url}/__mock/tasks`)).json()) as {
    createRequests: number;
    tasks: { id: string; scenario: string; status: string }[];
  };
}

describe("startMockServer", () => {
  it("listens on a free loopback port and reports its base URL", () => {
    expect(mock.url).toBe(`http://127.0.0.1:${mock.port}`);
    expect(mock.port).toBeGreaterThan(0);
  });

  it("serves the happy lifecycle over HTTP: created, pending, processing, completed, a playable MP4", async () => {
    const res = await create();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    const created = (await res.json()) as VideoGenerationResponse;
    expectValid(validateVideoGenerationResponse, created);

    const poll = async () => {
      const r = await getTask(created.id);
      expect(r.status).toBe(200);
      const body = await r.json();
      expectValid(validateTaskDetail, body);
      return body as TaskDetail;
    };
    expect((await poll()).status).toBe("pending");
    const task = mock.engine.get(created.id);
    if (!task) throw new Error("the engine does not hold the task");
    clock.ms = task.createdAt + task.pendingMs + task.processingMs / 2;
    const halfway = await poll();
    expect(halfway).toMatchObject({ status: "processing", progress: 50 });
    clock.ms = mock.engine.terminalAt(task);
    const done = await poll();
    expect(done.status).toBe("completed");
    expect(done.results).toEqual([`${mock.url}/__mock/results/${created.id}.mp4`]);

    const video = await fetch(done.results?.[0] ?? "");
    expect(video.status).toBe(200);
    expect(video.headers.get("content-type")).toBe("video/mp4");
    expect(video.headers.get("content-length")).toBe(String(SAMPLE_VIDEO_SIZE));
    expect(video.headers.get("accept-ranges")).toBe("bytes");
    const bytes = new Uint8Array(await video.arrayBuffer());
    expect(bytes.length).toBe(SAMPLE_VIDEO_SIZE);
    expect(new TextDecoder().decode(bytes.subarray(4, 8))).toBe("ftyp"); // an ISO BMFF (MP4) file
  });

  it("runs a task chosen with Prefer: scenario=fails to its failure, whatever later requests prefer", async () => {
    const created = (await (await create({ prefer: "scenario=fails" })).json()) as VideoGenerationResponse;
    const task = mock.engine.get(created.id);
    if (!task) throw new Error("missing task");
    clock.ms = mock.engine.terminalAt(task);
    const res = await getTask(created.id, { prefer: "scenario=happy" });
    const body = (await res.json()) as TaskDetail;
    expectValid(validateTaskDetail, body);
    expect(body.status).toBe("failed");
    expect(body.error).toEqual(operations.getTaskDetail.responses["200"].body.examples.video_failed.error);
  });

  it("reports tasks and create requests on GET /__mock/tasks, and forgets them on POST /__mock/reset", async () => {
    await create();
    await create({ authorization: "" }); // refused, but still a create request received
    await create({ prefer: "scenario=fails" });
    const before = await admin();
    expect(before.createRequests).toBe(3);
    expect(before.tasks.map((t) => t.scenario)).toEqual(["happy", "fails"]);
    const reset = await fetch(`${mock.url}/__mock/reset`, { method: "POST" });
    expect(await reset.json()).toEqual({ reset: true });
    expect(await admin()).toMatchObject({ createRequests: 0, tasks: [] });
  });
});
