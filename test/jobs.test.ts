/**
 * Durable jobs against the real mock server (high speed): write-ahead transitions, "a rejection means no charge",
 * unknown outcomes never resubmitted, reconciliation through the callback, restore and resumeAll after a "restart"
 * (a new client on the same store), expiry, and errors that name their phase and request ids.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createKlingClient,
  DownloadError,
  InsufficientQuotaError,
  type JobSnapshot,
  type JobStore,
  type KlingClient,
  memoryJobStore,
  RequestValidationError,
  SubmitOutcomeUnknownError,
  TaskFailedError,
} from "../src/index.js";
import { type MockServer, startMockServer } from "../src/mock/index.js";
import { fileJobStore } from "../src/node.js";
import { json, networkError, scriptedFetch, taskDetail } from "./support/fake-fetch.js";

const KEY = "sk-jobs-test-key-0123456789";
const params = { prompt: "Make it cinematic", video_urls: ["https://example.com/in.mp4"] } as const;

let mock: MockServer;
const receiverUrl = "https://hooks.example.com/kling";
/** What the callback receiver does with a request: set per test. */
let onCallback: (request: Request) => Promise<Response> = async () => new Response("ok");
let dir: string;

beforeAll(async () => {
  // The client refuses callback URLs that are not public HTTPS (as the spec and the API do), so the mock delivers
  // callbacks for hooks.example.com through this fetch, straight to the handler under test.
  // Speed 3000: a task ends 17 to 85 ms after its create, so a wait on a fixed interval (POLL) ends within a poll or
  // two; the adaptive schedule still never looks sooner than 1 s (estimated_time is at least 1 s).
  mock = await startMockServer({
    port: 0,
    speed: 3000,
    seed: 7,
    apiKey: KEY,
    callbackFetch: async (input, init) => onCallback(new Request(input, init)),
  });
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => {
  mock.engine.reset();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-jobs-"));
  onCallback = async () => new Response("ok");
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A store that records the state of every put, and the states stored when each create left. */
function recordingStore(inner: JobStore = memoryJobStore()) {
  const puts: JobSnapshot[] = [];
  const store: JobStore = {
    get: (id) => inner.get(id),
    list: (f) => inner.list(f),
    delete: (id) => inner.delete(id),
    async put(job) {
      puts.push(structuredClone(job));
      await inner.put(job);
    },
  };
  return { store, puts };
}

function client(store: JobStore, extra: Parameters<typeof createKlingClient>[0] = {}): KlingClient {
  return createKlingClient({ apiKey: KEY, baseUrl: mock.url, jobs: { store }, timeoutMs: 2_000, ...extra });
}

const creates = () => mock.engine.tasks().length;
/**
 * A fixed poll interval for the waits whose subject is not the adaptive schedule (poll.test.ts and the callback
 * tests below cover it): the schedule's shortest interval (1 s) would be most of each test's time.
 */
const POLL = { pollIntervalMs: 100 } as const;

describe("jobs.submit", () => {
  it("stores submitting before the create leaves, then submitted; wait and download finish the job", async () => {
    const { store, puts } = recordingStore();
    const seenAtPost: string[] = [];
    const c = client(store, {
      fetch: async (input, init) => {
        const request = new Request(input, init);
        if (request.method === "POST") seenAtPost.push(...(await store.list()).map((j) => j.state));
        return fetch(request);
      },
    });
    const job = await c.jobs.submit(params);
    expect(seenAtPost).toEqual(["submitting"]);
    expect(job.state).toBe("submitted");
    expect(job.taskId).toMatch(/^task-unified-/);
    expect(job.requestIds.length).toBeGreaterThan(0);
    await job.wait({ timeoutMs: 20_000, ...POLL });
    expect(job.state).toBe("completed");
    expect(job.resultUrl).toMatch(/^http:/);
    const earliest = puts.find((p) => p.state === "completed")?.completedAt ?? 0;
    expect(job.resultExpiresAt?.getTime()).toBe(earliest + 24 * 3600_000);
    const out = path.join(dir, "out.mp4");
    const result = await job.download(out, { allowInsecure: true });
    expect(result.bytes).toBeGreaterThan(1000);
    expect(job.state).toBe("downloaded");
    expect([...new Set(puts.map((p) => p.state))]).toEqual(["submitting", "submitted", "completed", "downloaded"]);
    // No key anywhere in what is stored.
    expect(JSON.stringify(puts)).not.toContain(KEY);
    expect(creates()).toBe(1);
  });

  it("rejects, stores nothing and sends nothing for a bad input; rejects for a refusal (402), leaving no job", async () => {
    const store = memoryJobStore();
    const c = client(store);
    await expect(c.jobs.submit({ ...params, prompt: "" })).rejects.toBeInstanceOf(RequestValidationError);
    await expect(c.jobs.submit(params, { headers: { Prefer: "scenario=quota" } })).rejects.toBeInstanceOf(
      InsufficientQuotaError,
    );
    expect(await store.list()).toEqual([]);
    expect(creates()).toBe(0);
  });

  it.each(["reset", "hang", "malformed"])(
    "a create answered by %s resolves with an unknown job; wait says so; it is never resubmitted",
    async (scenario) => {
      const store = memoryJobStore();
      const c = client(store, { timeoutMs: 500 });
      const job = await c.jobs.submit(params, { headers: { Prefer: `scenario=${scenario}` } });
      expect(job.state).toBe("unknown");
      const err = await job.wait({ timeoutMs: 1_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SubmitOutcomeUnknownError);
      expect((err as SubmitOutcomeUnknownError).phase).toBe("submit");
      expect((err as SubmitOutcomeUnknownError).job.id).toBe(job.id);
      expect(await c.jobs.list({ state: "unknown" })).toHaveLength(1);
      const summary = await c.jobs.resumeAll();
      expect(summary.unknown.map((j) => j.id)).toEqual([job.id]);
      expect(creates()).toBe(1);
    },
  );

  it("an id the store already holds returns the stored job and sends nothing", async () => {
    const c = client(memoryJobStore());
    const first = await c.jobs.submit(params, { id: "line-1" });
    const again = await c.jobs.submit(params, { id: "line-1" });
    expect(again.taskId).toBe(first.taskId);
    expect(creates()).toBe(1);
    await expect(c.jobs.submit(params, { id: "../escape" })).rejects.toBeInstanceOf(RequestValidationError);
  });
});

describe("restore and resume", () => {
  // Found by the perf benchmark: 10,000 restored jobs took 10 h, each waiting the interval predicted from its old
  // create answer before its first look.
  it("a restored job whose task ended long ago looks at once, not after the schedule of its old create answer", async () => {
    const store = memoryJobStore();
    const c = client(store);
    const job = await c.jobs.submit(params);
    // Until the task has ended at the mock (its own clock says when).
    const task = mock.engine.get(job.taskId as string);
    if (!task) throw new Error("the mock holds no task");
    await new Promise((r) => setTimeout(r, mock.engine.clock.delayUntil(mock.engine.terminalAt(task)) + 5));
    const stale = { ...job.toJSON(), updatedAt: Date.now() - 3_600_000 };
    stale.task = { ...(stale.task as NonNullable<JobSnapshot["task"]>), task_info: { estimated_time: 3_000 } };
    await store.put(stale);
    const summary = await client(store).jobs.resumeAll({ timeoutMs: 3_000 });
    expect(summary.errors).toEqual([]);
    expect((await store.get(job.id))?.state).toBe("completed");
  });

  it("a store that fails after a billed create does not turn it into a rejection", async () => {
    const inner = memoryJobStore();
    let puts = 0;
    const failing: JobStore = {
      ...inner,
      get: (id) => inner.get(id),
      list: (f) => inner.list(f),
      delete: (id) => inner.delete(id),
      async put(job) {
        if (++puts > 1) throw new Error("disk full");
        await inner.put(job);
      },
    };
    const job = await client(failing).jobs.submit(params);
    expect(job.state).toBe("submitted");
    expect(job.taskId).toMatch(/^task-unified-/);
    expect(creates()).toBe(1);
  });

  it("a job restored in submitting becomes unknown and is never resubmitted", async () => {
    const store = memoryJobStore();
    const c = client(store);
    const now = Date.now();
    const snap: JobSnapshot = {
      version: 1,
      id: "died-mid-request",
      state: "submitting",
      params: { ...params },
      requestIds: [],
      createdAt: now,
      updatedAt: now,
    };
    await store.put(snap);
    const job = c.jobs.restore(snap);
    expect(job.state).toBe("unknown");
    const summary = await c.jobs.resumeAll();
    expect(summary.unknown.map((j) => j.id)).toEqual(["died-mid-request"]);
    expect((await store.get("died-mid-request"))?.state).toBe("unknown");
    expect(creates()).toBe(0);
    expect(() => c.jobs.restore({ ...snap, version: 99 })).toThrow(RequestValidationError);
  });

  it("a new client on the same file store resumes a submitted job: it completes and downloads", async () => {
    const storeDir = path.join(dir, "jobs");
    const first = client(fileJobStore(storeDir));
    const job = await first.jobs.submit(params, { destination: path.join(dir, "resumed.mp4") });
    // "Restart": a second client that knows nothing but the folder.
    const second = client(fileJobStore(storeDir));
    const summary = await second.jobs.resumeAll({ timeoutMs: 20_000, download: { allowInsecure: true } });
    expect(summary.errors).toEqual([]);
    const stored = await second.jobs.get(job.id);
    expect(stored?.state).toBe("downloaded");
    expect(fs.statSync(path.join(dir, "resumed.mp4")).size).toBeGreaterThan(1000);
    expect(creates()).toBe(1);
    // Nothing but whole job files in the folder (no temporary files left behind).
    expect(fs.readdirSync(storeDir).every((n) => n.endsWith(".job.json"))).toBe(true);
  });

  it("resubmit is explicit and links both jobs", async () => {
    const c = client(memoryJobStore(), { timeoutMs: 500 });
    const lost = await c.jobs.submit(params, { headers: { Prefer: "scenario=reset" } });
    const again = await c.jobs.resubmit(lost);
    expect(again.toJSON().resubmittedFrom).toBe(lost.id);
    expect(lost.toJSON().resubmittedAs).toBe(again.id);
    expect(creates()).toBe(2);
  });
});

describe("callbacks", () => {
  it("reconciles an unknown create through its callback: completed, task id learnt, one create", async () => {
    const c = client(memoryJobStore(), { timeoutMs: 500 });
    onCallback = (request) => c.jobs.handleCallback(request);
    const job = await c.jobs.submit(
      { ...params, callback_url: receiverUrl },
      { headers: { Prefer: "scenario=reset" } },
    );
    expect(job.state).toBe("unknown");
    expect(job.params.callback_url).toContain(`kling_job=${job.id}`);
    await job.wait({ timeoutMs: 20_000 });
    expect(job.state).toBe("completed");
    expect(job.taskId).toBe(mock.engine.tasks()[0]?.id);
    expect(creates()).toBe(1);
  });

  // Found while making this file faster: the wait of an unknown job noticed a confirmed callback only at its next
  // 2 s look at the store, so this file's reconciliation test took 2 s for a task that ended in 50 ms.
  it("an unknown job's wait ends when its callback is confirmed, not at the next look at the store", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }); // no timer fires unless this test moves the clock
    try {
      const api = scriptedFetch(networkError("ECONNRESET"), json(200, taskDetail("completed")));
      const c = createKlingClient({ apiKey: KEY, baseUrl: "https://api.example.com", fetch: api.fetch });
      const job = await c.jobs.submit({ ...params, callback_url: receiverUrl });
      expect(job.state).toBe("unknown");
      let ended = false;
      const waiting = job.wait({ timeoutMs: 60_000 }).then(() => {
        ended = true;
      });
      const url = job.params.callback_url as string;
      const body = JSON.stringify(taskDetail("completed"));
      const answer = await c.jobs.handleCallback(new Request(url, { method: "POST", body }));
      expect(answer.status).toBe(200);
      for (let i = 0; i < 5 && !ended; i++) await new Promise((r) => setImmediate(r));
      expect(ended).toBe(true);
      await waiting;
      expect(job.state).toBe("completed");
      expect(api.requests.map((r) => r.method)).toEqual(["POST", "GET"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a callback ends a waiting job at once, with few polls", async () => {
    let gets = 0;
    const counting = client(memoryJobStore(), {
      fetch: (input, init) => {
        if ((input instanceof Request ? input.method : (init?.method ?? "GET")) === "GET") gets++;
        return fetch(input, init);
      },
    });
    onCallback = (request) => counting.jobs.handleCallback(request);
    const job = await counting.jobs.submit({ ...params, callback_url: receiverUrl });
    await job.wait({ timeoutMs: 20_000 });
    expect(job.state).toBe("completed");
    // The callback's confirming GET, and at most one poll around the predicted end.
    expect(gets).toBeLessThanOrEqual(2);
  });
});

describe("failures and expiry", () => {
  it("a failed task rejects with TaskFailedError tagged wait, and the job is stored failed", async () => {
    const store = memoryJobStore();
    const c = client(store);
    const job = await c.jobs.submit(params, { headers: { Prefer: "scenario=fails" } });
    const err = await job.wait({ timeoutMs: 20_000, ...POLL }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect((err as TaskFailedError).phase).toBe("wait");
    expect((err as TaskFailedError).requestIds?.length).toBeGreaterThan(1);
    expect((await store.get(job.id))?.state).toBe("failed");
  });

  it("past resultExpiresAt a download fails at once with reason expired and sends nothing", async () => {
    const store = memoryJobStore();
    let requests = 0;
    const c = client(store, {
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    const job = await c.jobs.submit(params);
    await job.wait({ timeoutMs: 20_000, ...POLL });
    // The same job a day later, as another process would find it in the store.
    await store.put({ ...job.toJSON(), resultExpiresAt: Date.now() - 1, updatedAt: Date.now() });
    const old = await c.jobs.get(job.id);
    if (!old) throw new Error("job not stored");
    const before = requests;
    const err = await old.download(path.join(dir, "late.mp4"), { allowInsecure: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).reason).toBe("expired");
    expect((err as DownloadError).phase).toBe("download");
    expect(requests).toBe(before);
    expect(old.state).toBe("expired");
    expect(fs.existsSync(path.join(dir, "late.mp4"))).toBe(false);
  });
});
