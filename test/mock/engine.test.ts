import { describe, expect, it } from "vitest";
import { operations } from "../../generated/operations.js";
import { validateTaskDetail, validateVideoGenerationResponse } from "../../generated/validators.js";
import { createRng, MockEngine, SLOW_FACTOR, TransitionError } from "../../src/mock/engine.js";
import { EXAMPLE_REQUEST, expectValid, FakeClock } from "./helpers.js";

const request = EXAMPLE_REQUEST;

function engine(options: { speed?: number; seed?: number; resultTtlMs?: number } = {}) {
  const clock = new FakeClock();
  return { clock, engine: new MockEngine({ clock, seed: 42, baseUrl: "http://127.0.0.1:9", ...options }) };
}

describe("MockEngine lifecycle (fake clock)", () => {
  it("goes pending -> processing with rising progress -> completed, every state valid against the spec", () => {
    const { clock, engine: e } = engine({ speed: 10 });
    const task = e.create(request);
    const created = e.createdBody(task);
    expectValid(validateVideoGenerationResponse, created);
    expect(created).toMatchObject({ status: "pending", progress: 0, object: "video.generation.task", type: "video" });
    expect(created.id).toMatch(/^task-unified-\d{10}-[a-z0-9]{8}$/);
    expect(created.created).toBe(Math.floor(clock.ms / 1000));
    expect(created.usage).toEqual(operations.createVideoGeneration.responses["200"].body.example.usage);

    const seen: { status: string; progress: number }[] = [];
    const end = e.terminalAt(task);
    for (let t = clock.ms; t <= end + 1000; t += 250) {
      clock.ms = t;
      const detail = e.detail(task);
      expectValid(validateTaskDetail, detail);
      seen.push({ status: detail.status, progress: detail.progress ?? -1 });
    }
    const statuses = [...new Set(seen.map((s) => s.status))];
    expect(statuses).toEqual(["pending", "processing", "completed"]);
    const progress = seen.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b)); // never decreases
    const processing = seen.filter((s) => s.status === "processing").map((s) => s.progress);
    expect(new Set(processing).size).toBeGreaterThan(10); // it visibly moves
    expect(Math.min(...processing)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...processing)).toBeLessThanOrEqual(99);

    const done = e.detail(task);
    expect(done).toEqual({
      created: created.created,
      id: task.id,
      model: "kling-o1-video-edit",
      object: "video.generation.task",
      progress: 100,
      status: "completed",
      type: "video",
      results: [`http://127.0.0.1:9/__mock/results/${task.id}.mp4`],
      task_info: { can_cancel: false },
    });
  });

  it("completes exactly at terminalAt, and estimated_time is that duration in wall-clock seconds", () => {
    const { clock, engine: e } = engine({ speed: 10 });
    const task = e.create(request);
    const estimated = e.createdBody(task).task_info?.estimated_time ?? 0;
    const durationMs = e.terminalAt(task) - clock.ms;
    expect(estimated).toBe(Math.ceil(durationMs / 1000));
    clock.ms = e.terminalAt(task) - 1;
    expect(e.detail(task).status).toBe("processing");
    clock.ms += 1;
    expect(e.detail(task).status).toBe("completed");
  });

  it("--speed compresses time: the same seed at 100x takes a hundredth of the time at 1x", () => {
    const slow = engine({ speed: 1 });
    const fast = engine({ speed: 100 });
    const a = slow.engine.create(request);
    const b = fast.engine.create(request);
    expect(a.id).toBe(b.id);
    expect((slow.engine.terminalAt(a) - slow.clock.ms) / (fast.engine.terminalAt(b) - fast.clock.ms)).toBeCloseTo(
      100,
      3,
    );
    // A simulated task of 45 to 250 s: honest at 1x, and a hundredth (at least a second) at 100x.
    const at1x = slow.engine.createdBody(a).task_info?.estimated_time ?? 0;
    expect(at1x).toBeGreaterThanOrEqual(45);
    expect(at1x).toBeLessThanOrEqual(250);
    expect(fast.engine.createdBody(b).task_info?.estimated_time).toBe(Math.max(1, Math.ceil(at1x / 100)));
  });

  it("fails part-way with the spec's failure example, progress frozen and no results", () => {
    const { clock, engine: e } = engine();
    const task = e.create(request, "fails");
    let last = -1;
    for (let t = clock.ms; t <= e.terminalAt(task) + 5000; t += 100) {
      clock.ms = t;
      const detail = e.detail(task);
      expectValid(validateTaskDetail, detail);
      expect(detail.progress ?? 0).toBeGreaterThanOrEqual(last);
      last = detail.progress ?? 0;
    }
    const failed = e.detail(task);
    expect(failed.status).toBe("failed");
    expect(failed.error).toEqual(operations.getTaskDetail.responses["200"].body.examples.video_failed.error);
    expect(failed.results).toBeUndefined();
    expect(failed.progress).toBeGreaterThan(0);
    expect(failed.progress).toBeLessThan(100);
    expect(e.resultState(task.id)).toEqual({ kind: "not-ready", status: "failed" });
  });

  it("slow tasks take SLOW_FACTOR times as long, and say so in estimated_time", () => {
    const a = engine();
    const b = engine();
    const happy = a.engine.create(request, "happy");
    const slow = b.engine.create(request, "slow");
    expect(b.engine.terminalAt(slow) - b.clock.ms).toBeCloseTo(
      (a.engine.terminalAt(happy) - a.clock.ms) * SLOW_FACTOR,
      1,
    );
    expect(b.engine.createdBody(slow).task_info?.estimated_time).toBeGreaterThan(
      (a.engine.createdBody(happy).task_info?.estimated_time ?? 0) * (SLOW_FACTOR - 1),
    );
  });

  it("never moves a task backwards when the clock steps back", () => {
    const { clock, engine: e } = engine();
    const task = e.create(request);
    clock.ms = task.createdAt + task.pendingMs + task.processingMs / 2;
    const before = e.detail(task);
    clock.ms = task.createdAt;
    expect(e.detail(task)).toEqual(before);
  });

  it("expires result links after resultTtlMs, and at once for expired-result tasks", () => {
    const { clock, engine: e } = engine({ resultTtlMs: 60_000 });
    const happy = e.create(request);
    const expired = e.create(request, "expired-result");
    expect(e.resultState(happy.id)).toEqual({ kind: "not-ready", status: "pending" });
    clock.ms = Math.max(e.terminalAt(happy), e.terminalAt(expired));
    expect(e.resultState(happy.id).kind).toBe("ready");
    expect(e.resultState(expired.id)).toEqual({ kind: "expired", expiredAt: e.terminalAt(expired) });
    expect(e.detail(expired).status).toBe("completed"); // the task itself still reads as completed
    clock.ms = e.terminalAt(happy) + 60_000;
    expect(e.resultState(happy.id)).toEqual({ kind: "expired", expiredAt: e.terminalAt(happy) + 60_000 });
    expect(e.resultState("task-unified-0-nothere0")).toEqual({ kind: "missing" });
  });
});

describe("MockEngine seeding", () => {
  function run(seed: number) {
    const { clock, engine: e } = engine({ seed });
    const out: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const task = e.create(request, i % 2 ? "fails" : "happy");
      out.push(e.createdBody(task));
      clock.advance(30_000);
      out.push(e.detail(task));
    }
    out.push(Array.from({ length: 30 }, () => e.flakyStatus()));
    return out;
  }

  it("the same seed reproduces ids, timings, outcomes and flaky answers; another seed does not", () => {
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it("reset() forgets tasks and counters and restarts the sequence from the seed", () => {
    const { engine: e } = engine();
    const first = e.create(request).id;
    e.createRequests = 3;
    e.reset();
    expect(e.tasks()).toEqual([]);
    expect(e.createRequests).toBe(0);
    expect(e.create(request).id).toBe(first);
  });

  it("flaky fails about a third of requests with 502/503, never more than two in a row", () => {
    const { engine: e } = engine();
    const draws = Array.from({ length: 3000 }, () => e.flakyStatus());
    const failures = draws.filter((d) => d !== null).length;
    expect(failures / draws.length).toBeGreaterThan(0.2);
    expect(failures / draws.length).toBeLessThan(0.4);
    expect(new Set(draws)).toEqual(new Set([null, 502, 503]));
    let run = 0;
    for (const d of draws) {
      run = d === null ? 0 : run + 1;
      expect(run).toBeLessThanOrEqual(2);
    }
  });

  it("createRng is a deterministic [0, 1) sequence", () => {
    const a = createRng(1);
    const b = createRng(1);
    const values = Array.from({ length: 1000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });

  it("rejects a speed that is not a positive number", () => {
    expect(() => new MockEngine({ speed: 0 })).toThrow(/speed/);
    expect(() => new MockEngine({ speed: Number.NaN })).toThrow(/speed/);
  });
});

describe("MockEngine controls (fake clock)", () => {
  const failed = operations.getTaskDetail.responses["200"].body.examples.video_failed.error;

  function refusal(run: () => unknown): { status: number; message: string } {
    try {
      run();
    } catch (error) {
      if (error instanceof TransitionError) return { status: error.status, message: error.message };
      throw error;
    }
    throw new Error("the control was not refused");
  }

  it("complete ends a pending task at once, with a result link, and it stays completed", () => {
    const { clock, engine: e } = engine();
    const task = e.create(request);
    e.complete(task.id);
    expect(e.terminalAt(task)).toBe(clock.ms);
    const detail = e.detail(task);
    expectValid(validateTaskDetail, detail);
    expect(detail).toMatchObject({ status: "completed", progress: 100, results: [e.resultUrl(task)] });
    expect(e.resultState(task.id)).toEqual({ kind: "ready", expiresAt: clock.ms + e.resultTtlMs });
    clock.advance(10 * 60_000);
    expect(e.detail(task).status).toBe("completed");
  });

  it("fail ends a running task with the business code and message given, keeping its progress", () => {
    const { clock, engine: e } = engine();
    const task = e.create(request);
    clock.ms = task.createdAt + task.pendingMs + task.processingMs * 0.4;
    e.fail(task.id, { code: "content_policy_violation", message: "The prompt was refused" });
    const detail = e.detail(task);
    expectValid(validateTaskDetail, detail);
    expect(detail).toMatchObject({
      status: "failed",
      progress: 40,
      error: { code: "content_policy_violation", message: "The prompt was refused" },
    });
    expect(e.resultState(task.id)).toEqual({ kind: "not-ready", status: "failed" });
  });

  it("fail without a reason uses the spec's example error, and refuses an empty code", () => {
    const { engine: e } = engine();
    const task = e.create(request);
    expect(refusal(() => e.fail(task.id, { code: "" }))).toMatchObject({ status: 400 });
    e.fail(task.id);
    expect(e.detail(task).error).toEqual(failed);
  });

  it("a final state refuses every further transition (409), naming the state", () => {
    const { clock, engine: e } = engine();
    const done = e.create(request);
    clock.ms = e.terminalAt(done); // completed on its own
    for (const run of [() => e.complete(done.id), () => e.fail(done.id), () => e.setProgress(done.id, 50)]) {
      expect(refusal(run)).toEqual({ status: 409, message: expect.stringContaining("already completed") });
    }
    const failedTask = e.create(request);
    e.fail(failedTask.id);
    expect(refusal(() => e.complete(failedTask.id))).toEqual({
      status: 409,
      message: expect.stringContaining("already failed"),
    });
    expect(e.detail(failedTask).status).toBe("failed");
  });

  it("an unknown task is a 404", () => {
    const { engine: e } = engine();
    expect(refusal(() => e.complete("task-unified-1-nothere"))).toMatchObject({ status: 404 });
  });

  it("progress moves a task to processing at that value, it goes on from there, and never goes back", () => {
    const { clock, engine: e } = engine();
    const task = e.create(request);
    e.setProgress(task.id, 60);
    expect(e.detail(task)).toMatchObject({ status: "processing", progress: 60 });
    clock.advance(task.processingMs * 0.1);
    expect(e.detail(task).progress).toBe(70);
    expect(refusal(() => e.setProgress(task.id, 30))).toMatchObject({ status: 409 });
    for (const bad of [0, 100, 12.5, Number.NaN]) expect(refusal(() => e.setProgress(task.id, bad)).status).toBe(400);
    clock.ms = e.terminalAt(task);
    expect(e.detail(task).status).toBe("completed");
  });

  it("progress past a failing task's failure point moves the failure later, so it still fails", () => {
    const { clock, engine: e } = engine();
    const task = e.create(request, "fails");
    e.setProgress(task.id, 95);
    expect(e.detail(task)).toMatchObject({ status: "processing", progress: 95 });
    clock.ms = e.terminalAt(task);
    expect(e.detail(task).status).toBe("failed");
  });

  it("expire ends a completed task's link now (410 from then on), and refuses a task without a result", () => {
    const { clock, engine: e } = engine();
    const task = e.create(request);
    expect(refusal(() => e.expire(task.id))).toMatchObject({ status: 409 });
    e.complete(task.id);
    e.expire(task.id);
    expect(e.resultState(task.id)).toEqual({ kind: "expired", expiredAt: clock.ms });
  });

  it("pausing the clock stops tasks; advancing it moves them and expires links on the mock's time", () => {
    const { clock, engine: e } = engine({ resultTtlMs: 60_000 });
    const task = e.create(request);
    e.clock.pause();
    clock.advance(24 * 60 * 60_000); // the wall clock runs on, the mock's stands still
    expect(e.detail(task).status).toBe("pending");
    e.clock.advance(e.terminalAt(task) - e.clock.now());
    expect(e.detail(task).status).toBe("completed");
    e.clock.advance(60_000);
    expect(e.resultState(task.id).kind).toBe("expired");
  });

  it("setSpeed speeds up running tasks from now on", () => {
    const { clock, engine: e } = engine({ speed: 10 });
    const task = e.create(request);
    const wallToEnd = e.terminalAt(task) - clock.ms;
    e.setSpeed(100);
    expect(e.speed).toBe(100);
    clock.advance(Math.ceil(wallToEnd / 10));
    expect(e.detail(task).status).toBe("completed");
    expect(() => e.setSpeed(0)).toThrow(TransitionError);
  });
});
