/**
 * src/internal/jobs-run.ts, the half of jobs that acts, through the Job and Jobs methods that load it: it is not
 * loaded before the first action (restore, get, list and the getters work without it), and what an action stores
 * reaches the Job and the store alike. In-process, with a scripted fetch. The whole life against the mock server is in
 * test/jobs.test.ts.
 */
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_RESUME_POLLS, RESULT_TTL_MS } from "../../src/defaults.js";
import {
  createKlingClient,
  type JobSnapshot,
  type JobStore,
  memoryJobStore,
  NotFoundError,
  RequestValidationError,
  SubmitOutcomeUnknownError,
} from "../../src/index.js";
import { apiError, json, type Step, scriptedFetch, TASK_ID, taskDetail } from "../support/fake-fetch.js";

const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock("../../src/internal/jobs-run.js", async (importOriginal) => {
  loads.count++;
  return importOriginal();
});

// Waits take no real time here (a failed poll's back-off is a second or more); the delays asked for are in `slept`.
vi.mock("../../src/internal/scope.js", async (original) =>
  (await import("../support/instant-sleep.js")).instantSleep(original),
);

const KEY = "sk-jobs-run-0123456789";
const SUBMITTED_AT = 1_700_000_000_000;

function setup(steps: Step[], store: JobStore = memoryJobStore()) {
  const fake = scriptedFetch(...steps);
  const client = createKlingClient({ apiKey: KEY, baseUrl: "https://api.test", fetch: fake.fetch, jobs: { store } });
  return { fake, client, store };
}

const snapshot = (extra: Partial<JobSnapshot> = {}): JobSnapshot => ({
  version: 1,
  id: "job-1",
  state: "submitted",
  params: { prompt: "Make it cinematic", video_urls: ["https://example.com/in.mp4"] },
  taskId: TASK_ID,
  requestIds: ["req-create"],
  createdAt: SUBMITTED_AT,
  updatedAt: SUBMITTED_AT,
  submittedAt: SUBMITTED_AT,
  ...extra,
});

describe("loading", () => {
  it("restore, get, list and the getters work without the module; the first action loads it, once", async () => {
    const store = memoryJobStore();
    await store.put(snapshot({ id: "stored" }));
    const { client } = setup([json(200, taskDetail("processing", { progress: 20 }))], store);
    const restored = client.jobs.restore(JSON.stringify(snapshot()));
    expect([restored.id, restored.state, restored.taskId]).toEqual(["job-1", "submitted", TASK_ID]);
    expect((await client.jobs.get("stored"))?.state).toBe("submitted");
    expect((await client.jobs.list({ state: "submitted" })).map((j) => j.id)).toEqual(["stored"]);
    // An import started on the way (say, by a constructor) would have settled here.
    await vi.dynamicImportSettled();
    expect(loads.count).toBe(0);

    await restored.step({ maxRetries: 0 });
    await (await client.jobs.get("stored"))?.step({ maxRetries: 0 });
    expect(loads.count).toBe(1);
  });
});

describe("job.step", () => {
  it("a completed task: the Job and the store both say completed, expiry counted from the look before", async () => {
    const { client, store, fake } = setup([json(200, taskDetail("completed"), { "x-request-id": "req-poll" })]);
    const job = client.jobs.restore(snapshot());
    expect(await job.step({ maxRetries: 0 })).toEqual({ done: true, nextLookInMs: 0 });
    expect(fake.requests.map((r) => [r.method, r.url.endsWith(`/${TASK_ID}`)])).toEqual([["GET", true]]);
    expect(job.state).toBe("completed");
    expect(job.resultUrl).toBe(`https://cdn.example.com/results/${TASK_ID}.mp4`);
    // No earlier look: the task cannot have completed before it was submitted.
    expect(job.resultExpiresAt?.getTime()).toBe(SUBMITTED_AT + RESULT_TTL_MS);
    expect(job.requestIds).toEqual(["req-create", "req-poll"]);
    const stored = await store.get("job-1");
    expect(stored).toMatchObject({
      state: "completed",
      completedAt: SUBMITTED_AT,
      looks: { count: 1, errorsInRow: 0 },
    });
    expect(job.toJSON()).toMatchObject({ state: "completed", completedAt: SUBMITTED_AT });
  });

  it("a transient poll error is counted in the stored looks and waits at least the server's Retry-After", async () => {
    const { client, store } = setup([
      apiError(503, "service_unavailable_error", {}, { "retry-after": "40" }),
      json(200, taskDetail("processing", { progress: 30 })),
      json(200, taskDetail("processing", { progress: 45 })),
    ]);
    const job = client.jobs.restore(snapshot());
    const first = await job.step({ maxRetries: 0 });
    expect(first.done).toBe(false);
    expect(first.nextLookInMs).toBeGreaterThanOrEqual(40_000);
    expect((await store.get("job-1"))?.looks).toMatchObject({ count: 1, errorsInRow: 1 });
    expect(job.state).toBe("submitted");

    // A good look clears the run of errors and records the progress; the next look is scheduled, not immediate.
    const second = await job.step({ maxRetries: 0 });
    expect(second.done).toBe(false);
    expect(second.nextLookInMs).toBeGreaterThan(0);
    const looks = (await store.get("job-1"))?.looks;
    expect(looks).toMatchObject({ count: 2, errorsInRow: 0, first: { progress: 30 }, last: { progress: 30 } });
    expect(job.toJSON().looks).toEqual(looks);

    // Same status, new progress: the task itself needs no new record, but the looks are stored for the next process.
    await job.step({ maxRetries: 0 });
    expect((await store.get("job-1"))?.looks).toMatchObject({
      count: 3,
      first: { progress: 30 },
      last: { progress: 45 },
    });
  });

  it("a failed look that is looked at again keeps its request id on the job, in step and in wait", async () => {
    const busy = (id: string) =>
      apiError(503, "service_unavailable_error", {}, { "retry-after": "1", "x-request-id": id });
    const fake = scriptedFetch(
      busy("req-busy-step"),
      busy("req-busy-wait"),
      json(200, taskDetail("completed"), { "x-request-id": "req-done" }),
    );
    // No retry inside a call: each 503 is a failed look of the step or the wait loop, not of the request loop.
    const client = createKlingClient({ apiKey: KEY, baseUrl: "https://api.test", fetch: fake.fetch, maxRetries: 0 });
    const job = client.jobs.restore(snapshot());
    expect(await job.step()).toMatchObject({ done: false });
    expect(job.requestIds).toEqual(["req-create", "req-busy-step"]);
    await job.wait();
    expect(job.state).toBe("completed");
    expect(job.requestIds).toEqual(["req-create", "req-busy-step", "req-busy-wait", "req-done"]);
  });

  it("a look the request loop retried inside one call keeps the failed attempt's request id too", async () => {
    const { client } = setup([
      apiError(503, "service_unavailable_error", {}, { "retry-after": "0", "x-request-id": "req-retried" }),
      json(200, taskDetail("completed"), { "x-request-id": "req-done" }),
    ]);
    const job = client.jobs.restore(snapshot());
    await job.wait();
    expect(job.state).toBe("completed");
    expect(job.requestIds).toEqual(["req-create", "req-retried", "req-done"]);
  });

  it("a permanent poll error ends the step, tagged wait with the job's id and request ids", async () => {
    const { client } = setup([apiError(404, "not_found_error", {}, { "x-request-id": "req-404" })]);
    const job = client.jobs.restore(snapshot());
    const error = await job.step({ maxRetries: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ phase: "wait", jobId: "job-1" });
    // The job's request ids include the failed poll's own (job.requestIds is what support asks for).
    expect(error).toMatchObject({ requestId: "req-404", requestIds: ["req-create", "req-404"] });
    expect(job.requestIds).toEqual(["req-create", "req-404"]);
  });

  it("a job whose create's outcome is unknown sends nothing and rejects with SubmitOutcomeUnknownError (submit)", async () => {
    const { client, fake } = setup([json(200, taskDetail("completed"))]);
    const { taskId: _t, ...unknown } = snapshot({ state: "unknown" });
    const job = client.jobs.restore(unknown);
    const error = await job.step().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubmitOutcomeUnknownError);
    expect(error).toMatchObject({ phase: "submit", jobId: "job-1" });
    expect((error as SubmitOutcomeUnknownError).job).toBe(job);
    expect(fake.requests).toEqual([]);
    expect(job.state).toBe("unknown");
  });
});

describe("jobs.resumeAll", () => {
  /** A store of `n` submitted jobs, each with its own task, and a fetch that answers each GET after 2 ms. */
  async function many(n: number) {
    const store = memoryJobStore();
    for (let i = 0; i < n; i++) {
      await store.put(snapshot({ id: `job-${i}`, taskId: `task-unified-${i}-resume` }));
    }
    const seen = { inFlight: 0, most: 0, gets: 0 };
    const answer: typeof fetch = async (input) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      seen.gets++;
      seen.most = Math.max(seen.most, ++seen.inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      seen.inFlight--;
      return json(200, taskDetail("completed", { id: url.pathname.split("/").pop() }));
    };
    const client = createKlingClient({ apiKey: KEY, baseUrl: "https://api.test", fetch: answer, jobs: { store } });
    return { client, seen };
  }

  it("follows every job but keeps at most pollConcurrency GETs in flight: a restart is no burst of requests", async () => {
    const { client, seen } = await many(40);
    const summary = await client.jobs.resumeAll({ pollConcurrency: 4 });
    expect(summary.jobs.map((j) => j.state)).toEqual(Array(40).fill("completed"));
    expect(seen.gets).toBe(40);
    expect(seen.most).toBe(4);
  });

  it("by default at most DEFAULT_RESUME_POLLS, and it refuses a limit that is not a whole number >= 1", async () => {
    const { client, seen } = await many(40);
    await client.jobs.resumeAll();
    expect(seen.most).toBe(DEFAULT_RESUME_POLLS);
    await expect(client.jobs.resumeAll({ pollConcurrency: 0 })).rejects.toThrow(/pollConcurrency/);
  });
});

describe("jobs.resubmit", () => {
  it("refuses a job whose task exists, naming the job, and sends nothing", async () => {
    const { client, fake, store } = setup([json(200, taskDetail("completed"))]);
    for (const state of ["submitted", "completed", "downloaded"] as const) {
      const job = client.jobs.restore(snapshot({ state }));
      const error = await client.jobs.resubmit(job).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestValidationError);
      expect((error as Error).message).toContain(`job job-1 is ${state}`);
    }
    expect(fake.requests).toEqual([]);
    expect(await store.list()).toEqual([]);
  });
});
