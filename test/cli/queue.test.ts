/**
 * src/cli/queue.ts: `kling-edit batch FILE --queue URL` (enqueue once per line, follow, exit code from the finished
 * edits), `batch --queue --status`, and `kling-edit worker` (until Ctrl-C), called in-process against a real Redis
 * (Debian's redis-server, with a password) and the built-in mock. What is refused (no manifest, a bad manifest:
 * nothing enqueued) and that the Redis password appears in no output. (The queue itself: test/queue.test.ts.)
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/cli/exit-codes.js";
import { Output } from "../../src/cli/output.js";
import { followQueue, queueBatchCommand, workerCommand } from "../../src/cli/queue.js";
import { createEditQueue, type EditQueue } from "../../src/queue/index.js";
import { redisMissing, startRedis, type TestRedis } from "../support/redis.js";

const PASSWORD = "redis-pw-0123456789";
const missing = redisMissing();

/** An Output printing NDJSON events (`json`) or text, captured. */
function captured(json: boolean) {
  const text = { stdout: "", stderr: "" };
  const sink = (name: keyof typeof text) => ({
    write(chunk: string) {
      text[name] += chunk;
      return true;
    },
  });
  const output = new Output({ json, stdout: sink("stdout"), stderr: sink("stderr") });
  const events = () =>
    text.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string } & Record<string, unknown>);
  return { output, text, events };
}

/** Sets the password of a running Redis (so the URLs here carry one, as production URLs do). */
async function requirePassword(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(`CONFIG SET requirepass ${PASSWORD}\r\n`));
    socket.on("data", (d) => {
      socket.destroy();
      if (d.toString().startsWith("+OK")) resolve();
      else reject(new Error(d.toString()));
    });
    socket.on("error", reject);
  });
}

async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) {
    if (await check()) return;
  }
  throw new Error("timed out");
}

describe("following a queue (no Redis: the queue's answers are made up)", () => {
  it("Ctrl-C ends the follow at once, with no further look at the queue, and exits 130", async () => {
    let looks = 0;
    const queue = {
      states: async () => {
        looks++;
        return new Map([["m-1", "submitted"]]);
      },
    } as unknown as EditQueue;
    const stop = new AbortController();
    const { output, text } = captured(false);
    // Fake timers, never advanced: the follow's pause between looks must end on the abort itself, not on its timer.
    vi.useFakeTimers();
    try {
      const following = followQueue(queue, new Set(["m-1"]), output, stop.signal);
      await vi.advanceTimersByTimeAsync(0);
      expect(looks).toBe(1);
      stop.abort();
      expect(await following).toBe(130);
    } finally {
      vi.useRealTimers();
    }
    expect(looks).toBe(1);
    expect(text.stderr).toContain("Stopped following; the workers carry on.");
  });
});

describe.skipIf(missing !== null)("kling-edit batch --queue and worker", () => {
  let redis: TestRedis;
  let url: string;
  let dir: string;
  let counter = 0;
  const name = () => `cli-${process.pid}-${++counter}`;
  const manifest = (lines: unknown[]) => {
    const file = path.join(dir, `m-${++counter}.jsonl`);
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n"));
    return file;
  };
  const edit = (i: number) => ({ prompt: `queued edit ${i}`, video: "https://example.com/in.mp4" });

  beforeAll(async () => {
    redis = await startRedis();
    await requirePassword(redis.port);
    url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-cli-queue-"));
  });
  afterAll(async () => {
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("--status on an empty queue: a counts event, and `no edits` for a human", async () => {
    const queue = name();
    const json = captured(true);
    expect(await queueBatchCommand(undefined, { queue: url, out: dir, status: true, name: queue }, json.output)).toBe(
      0,
    );
    expect(json.events()).toEqual([{ event: "counts" }]);
    const human = captured(false);
    await queueBatchCommand(undefined, { queue: url, out: dir, status: true, name: queue }, human.output);
    expect(human.text.stderr).toBe("no edits\n");
  });

  it("refuses a missing manifest, and a bad one without enqueueing any of its lines", async () => {
    const queue = name();
    await expect(
      queueBatchCommand(undefined, { queue: url, out: dir, name: queue }, captured(true).output),
    ).rejects.toThrow(new UsageError("batch --queue needs a manifest (or --status)"));
    const bad = manifest([edit(1), { prompt: "no video" }]);
    const error = await queueBatchCommand(bad, { queue: url, out: dir, name: queue }, captured(true).output).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).problems.join("\n")).toMatch(/line 2: .*video/);
    const q = createEditQueue({ connection: url, name: queue });
    expect(await q.counts()).toEqual({});
    await q.close();
  });

  it("--detach enqueues each line once (a re-run adds nothing) and prints the queue without its password", async () => {
    const queue = name();
    const file = manifest([edit(1), edit(2), edit(3)]);
    for (let run = 0; run < 2; run++) {
      const json = captured(true);
      expect(await queueBatchCommand(file, { queue: url, out: dir, detach: true, name: queue }, json.output)).toBe(0);
      expect(json.events()).toEqual([{ event: "enqueued", count: 3, queue: `redis://:***@127.0.0.1:${redis.port}` }]);
      const human = captured(false);
      await queueBatchCommand(file, { queue: url, out: dir, detach: true, name: queue }, human.output);
      expect(human.text.stderr).toContain(`Enqueued 3 edit(s) on redis://:***@127.0.0.1:${redis.port}`);
      expect(human.text.stderr + json.text.stdout).not.toContain(PASSWORD);
    }
    const q = createEditQueue({ connection: url, name: queue });
    expect(await q.counts()).toEqual({ queued: 3 });
    await q.close();
  });

  it("a worker (with --mock) downloads what was enqueued; following finished edits exits 0 with a summary; Ctrl-C stops the worker", async () => {
    vi.stubEnv("KLING_MOCK_SPEED", "2000");
    vi.stubEnv("KLING_API_KEY", "");
    const queue = name();
    const out = path.join(dir, "results");
    const worker = captured(true);
    const before = process.listeners("SIGINT");
    const running = workerCommand({ queue: url, out, concurrency: 2, name: queue }, { mock: true }, worker.output);
    await until(async () => worker.events().some((e) => e.event === "worker"));
    const [ctrlC] = process.listeners("SIGINT").filter((l) => !before.includes(l));
    expect(worker.events()[0]).toEqual({
      event: "worker",
      queue: `redis://:***@127.0.0.1:${redis.port}`,
      concurrency: 2,
      out,
    });

    const file = manifest([edit(1), edit(2)]);
    await queueBatchCommand(file, { queue: url, out, detach: true, name: queue }, captured(true).output);
    const q = createEditQueue({ connection: url, name: queue });
    await until(async () => (await q.counts()).downloaded === 2);
    await q.close();
    expect(fs.readdirSync(out).filter((f) => f.endsWith(".mp4"))).toHaveLength(2);
    expect(worker.events().filter((e) => e.event === "completed")).toHaveLength(2);

    // Following a manifest whose edits are all finished: one look, the counts, the summary, exit 0.
    const follow = captured(true);
    expect(await queueBatchCommand(file, { queue: url, out, name: queue }, follow.output)).toBe(0);
    expect(follow.events().slice(-2)).toEqual([
      { event: "counts", downloaded: 2 },
      { event: "summary", total: 2, downloaded: 2 },
    ]);

    (ctrlC as () => void)();
    expect(await running).toBe(0);
    expect(process.listeners("SIGINT").filter((l) => !before.includes(l))).toEqual([]);
    expect(worker.text.stdout + worker.text.stderr + follow.text.stdout).not.toContain(PASSWORD);
    vi.unstubAllEnvs();
  });
});
