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

  it("creates and polls 1,000 concurrent tasks over real HTTP without an error or a duplicate", async () => {
    const responses = await Promise.all(Array.from({ length: 1000 }, () => create()));
    expect(responses.map((r) => r.status)).toEqual(Array(1000).fill(200));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as VideoGenerationResponse).id));
    expect(new Set(ids).size).toBe(1000);
    expect((await admin()).createRequests).toBe(1000);
    clock.advance(24 * 60 * 60 * 1000);
    const polled = await Promise.all(ids.map((id) => getTask(id)));
    expect(polled.map((r) => r.status)).toEqual(Array(1000).fill(200));
    const bodies = await Promise.all(polled.map((r) => r.json()));
    for (const body of bodies) expectValid(validateTaskDetail, body);
    expect(bodies.map((b) => (b as TaskDetail).status)).toEqual(Array(1000).fill("completed"));
  });

  it("replays a run for the same seed: the same ids, timings and bodies", async () => {
    const run = async () => {
      const runClock = new FakeClock();
      const server = await startMockServer({ port: 0, clock: runClock, seed: 2024 });
      try {
        const out: unknown[] = [];
        for (const prefer of ["scenario=happy", "scenario=fails", "scenario=slow"]) {
          const res = await fetch(`${server.url}/v1/videos/generations`, {
            method: "POST",
            headers: headers({ prefer }),
            body: JSON.stringify(EXAMPLE_REQUEST),
          });
          const created = (await res.json()) as VideoGenerationResponse;
          runClock.advance(20_000);
          const detail = await (await fetch(`${server.url}/v1/tasks/${created.id}`, { headers: headers() })).json();
          out.push(created, JSON.stringify(detail).replaceAll(server.url, "BASE"));
        }
        return out;
      } finally {
        await server.close();
      }
    };
    const first = await run();
    expect(await run()).toEqual(first);
  });

  it("close() returns while a hanging request is open, and that request fails instead of waiting forever", async () => {
    const server = await startMockServer({ port: 0 });
    const pending = fetch(`${server.url}/v1/videos/generations`, {
      method: "POST",
      headers: headers({ prefer: "scenario=hang" }),
      body: JSON.stringify(EXAMPLE_REQUEST),
    });
    await expect.poll(() => server.engine.tasks().length).toBe(1);
    await server.close();
    await expect(pending).rejects.toThrow(TypeError);
    await expect(fetch(`${server.url}/__mock/tasks`)).rejects.toThrow(TypeError); // no longer listening
    await server.close(); // idempotent
  });

  it("answers 413 to a body over the limit streamed without Content-Length, and keeps serving", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 4 MB at most: far past the 1 MiB limit, so the mock must stop reading rather than buffer it all.
        if (sent >= 4 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${mock.url}/v1/videos/generations`, {
      method: "POST",
      headers: headers(),
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 413, type: "invalid_request_error" } });
    expect((await create()).status).toBe(200);
  });

  it("refuses admin requests from another origin's page, and does not reset for it", async () => {
    await create();
    const evil = { origin: "https://evil.example" };
    const read = await fetch(`${mock.url}/__mock/tasks`, { headers: evil });
    expect(read.status).toBe(403);
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
    await read.body?.cancel();
    const reset = await fetch(`${mock.url}/__mock/reset`, { method: "POST", headers: evil });
    expect(reset.status).toBe(403);
    await reset.body?.cancel();
    expect((await admin()).tasks).toHaveLength(1);
  });

  it("rejects when the port is taken", async () => {
    await expect(startMockServer({ port: mock.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
