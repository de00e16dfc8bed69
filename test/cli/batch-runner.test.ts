/**
 * The batch runner with a fake API on vitest's fake clock: the shared back-off gate (one 429 pauses every worker for
 * the server's Retry-After), refusals that prove nothing was created, and the summary's exit code.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type BatchApi, runBatch } from "../../src/cli/batch.js";
import { BackoffGate } from "../../src/cli/gate.js";
import { Journal } from "../../src/cli/journal.js";
import { type ManifestItem, parseManifest } from "../../src/cli/manifest.js";
import { Output, type TaskDetail } from "../../src/cli/output.js";
import {
  APIConnectionError,
  APIError,
  BadRequestError,
  InternalServerError,
  RateLimitError,
  ServiceUnavailableError,
} from "../../src/errors.js";
import { tempDir } from "./helpers.js";

const sink = { write: () => true };
let dir: string;

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  dir = tempDir("kling-runner-");
});
afterEach(() => {
  vi.useRealTimers();
  fs.rmSync(dir, { recursive: true, force: true });
});

function items(n: number): ManifestItem[] {
  const text = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ prompt: `p${i}`, video: `https://e.com/${i}.mp4` }),
  );
  return parseManifest(text.join("\n"), dir).items;
}

const rateLimited = (retryAfterMs: number | null) =>
  new RateLimitError({
    status: 429,
    method: "POST",
    path: "/v1/videos/generations",
    body: { error: { code: 429, message: "Rate limit exceeded", type: "rate_limit_error" } },
    retryAfterMs,
  });

/** A fake API recording when each call happened (fake clock ms); `onCreate` decides each create's fate. */
function fakeApi(onCreate: (n: number) => Error | null) {
  const calls: { op: "create" | "get" | "download"; at: number }[] = [];
  let creates = 0;
  const api: BatchApi = {
    async create() {
      calls.push({ op: "create", at: Date.now() });
      const error = onCreate(creates++);
      if (error) throw error;
      return { id: `task-unified-1-${creates}` };
    },
    async get(id) {
      calls.push({ op: "get", at: Date.now() });
      return { id, status: "completed", progress: 100, results: [`https://e.com/${id}.mp4`] } satisfies TaskDetail;
    },
    async download(_task, destination) {
      calls.push({ op: "download", at: Date.now() });
      return { path: destination, bytes: 1 };
    },
  };
  return { api, calls };
}

async function run(api: BatchApi, list: ManifestItem[], concurrency: number, extra: { maxRefusals?: number } = {}) {
  const journal = Journal.open(path.join(dir, "journal.ndjson"));
  const stop = new AbortController();
  const promise = runBatch({
    items: list,
    journal,
    outDir: dir,
    concurrency,
    api,
    output: new Output({ quiet: true, stdout: sink, stderr: sink }),
    stop: stop.signal,
    kill: new AbortController().signal,
    gate: new BackoffGate({ random: () => 0 }),
    ...extra,
  });
  await vi.runAllTimersAsync();
  const summary = await promise;
  journal.close();
  return { summary, journal: journal.records };
}

describe("runBatch", () => {
  it("one 429 pauses every worker for the server's Retry-After, then each item is submitted once more at most", async () => {
    const { api, calls } = fakeApi((n) => (n === 0 ? rateLimited(5000) : null));
    const { summary, journal } = await run(api, items(3), 3);
    expect(summary.exitCode).toBe(0);
    expect(summary.done).toHaveLength(3);
    // All three creates left at once (before the 429 came back); the refused one is retried after 5 s ...
    const creates = calls.filter((c) => c.op === "create").map((c) => c.at);
    expect(creates).toEqual([0, 0, 0, 5000]);
    // ... and the other workers' next requests waited for the same gate instead of going ahead.
    for (const call of calls.filter((c) => c.op !== "create")) expect(call.at).toBeGreaterThanOrEqual(5000);
    expect(journal.filter((r) => r.event === "refused")).toHaveLength(1);
  });

  it("backs off exponentially without a hint, and gives an item up after maxRefusals (exit 5)", async () => {
    const { api, calls } = fakeApi(
      () =>
        new ServiceUnavailableError({
          status: 503,
          method: "POST",
          path: "/v1",
          body: { error: { code: 503, message: "Service temporarily unavailable", type: "service_unavailable_error" } },
        }),
    );
    const { summary } = await run(api, items(1), 1, { maxRefusals: 3 });
    const at = calls.map((c) => c.at);
    expect(at).toEqual([0, 500, 1500, 3500]); // 500 ms, 1 s, 2 s (no jitter with random = 0)
    expect(summary.failed).toMatchObject([{ line: 1, stage: "create", exitCode: 5 }]);
    expect(summary.exitCode).toBe(5);
  });

  it("a connection refused before sending is retried; a 500 or a reset after sending is unknown, never retried", async () => {
    const refused = new APIConnectionError("refused", { code: "ECONNREFUSED" });
    const reset = new APIConnectionError("reset", { code: "ECONNRESET" });
    const server = new InternalServerError({ status: 500, method: "POST", path: "/v1", body: {} });
    const outcomes = [refused, reset, server];
    const { api, calls } = fakeApi((n) => outcomes[n] ?? null);
    const { summary, journal } = await run(api, items(2), 1);
    // line 1: refused (retried), then reset -> unknown; line 2: 500 -> unknown. Three creates, no blind retry.
    expect(calls.filter((c) => c.op === "create")).toHaveLength(3);
    expect(summary.unknown.map((u) => u.line)).toEqual([1, 2]);
    expect(journal.filter((r) => r.event === "unknown")).toHaveLength(2);
    expect(summary.exitCode).toBe(5);
  });

  // Issue 11, item 1: a batch re-run paid twice for a create answered 408 (it was journaled "failed", as a refusal).
  it("a create answered 408 or a bare gateway 503 is unknown, journaled so, and a re-run does not submit it again", async () => {
    const timeout408 = new APIError({ status: 408, method: "POST", path: "/v1", body: "Request Timeout" });
    const gateway503 = new ServiceUnavailableError({
      status: 503,
      method: "POST",
      path: "/v1",
      body: "<html>503</html>",
    });
    const refused400 = new BadRequestError({ status: 400, method: "POST", path: "/v1", body: {} });
    const outcomes = [timeout408, gateway503, refused400];
    const { api, calls } = fakeApi((n) => outcomes[n] ?? null);
    const list = items(3);
    const first = await run(api, list, 1);
    expect(first.summary.unknown.map((u) => u.line)).toEqual([1, 2]);
    expect(first.summary.failed.map((u) => u.line)).toEqual([3]);
    expect(first.journal.filter((r) => r.event === "unknown").map((r) => r.line)).toEqual([1, 2]);
    expect(calls.filter((c) => c.op === "create")).toHaveLength(3);
    // The re-run (same journal) submits only the refused item; the two that may have billed stay unknown.
    const second = await run(api, list, 1);
    expect(calls.filter((c) => c.op === "create")).toHaveLength(4);
    expect(second.summary.unknown.map((u) => u.line)).toEqual([1, 2]);
    expect(second.summary.done.map((u) => u.line)).toEqual([3]);
  });
});
