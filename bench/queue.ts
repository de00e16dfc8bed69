/**
 * The queue against workers (issue 14): `kling-edit worker` processes on a real Redis follow N edits against the
 * in-process mock (high speed, no rate limit), with 1, 2 and 4 workers. Per worker count: edits per second (ratio to
 * 1 worker: how near-linear it scales), creates per second, Redis commands per edit, and the peak RSS
 * of a worker process. Needs Debian's redis-server.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { workerCommand } from "../scripts/chaos-queue.js";
import { startMockServer } from "../src/mock/index.js";
import { createEditQueue } from "../src/queue/index.js";
import { startRedis } from "../test/support/redis.js";
import { start, stop } from "./lib/proc.js";
import type { BenchContext, Benchmark, BenchOutput, Row } from "./lib/types.js";
import { compiledSource } from "./mock.js";

const KEY = "sk-bench-queue-0123456789";
const WORKER_COUNTS = [1, 2, 4] as const;

/** Peak resident memory of a process (VmHWM), in MiB; 0 when it cannot be read. */
function peakRssMiB(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/**
 * The `kling-edit worker` command line. The full run loads the CLI through tsx (as chaos-queue does); smoke mode runs
 * the same CLI compiled to JavaScript (the mock benchmark's file-by-file transpile): a worker through tsx took about
 * 0.9 s of CPU for a smoke run, compiled about 0.5 s, and smoke numbers mean nothing anyway.
 */
async function workerLine(
  ctx: BenchContext,
  options: Parameters<typeof workerCommand>[0],
): Promise<[string, string[]]> {
  return workerCommand(ctx.smoke ? { ...options, entry: await compiledSource("src/cli/main.ts") } : options);
}

async function once(ctx: BenchContext, workers: number, edits: number, redisUrl: string) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "kling-bench-queue-"));
  const mock = await startMockServer({ port: 0, speed: 2_000, seed: workers, apiKey: KEY });
  const redis = new Redis(redisUrl);
  await redis.flushall(); // the workers use the default queue name: start each run from an empty Redis
  const queue = createEditQueue({ connection: redisUrl });
  try {
    for (let i = 0; i < edits; i++) {
      await queue.add({ prompt: `bench ${i}`, video_urls: ["https://example.com/in.mp4"] }, { jobId: `b-${i}` });
    }
    const commandsBefore = Number(/total_commands_processed:(\d+)/.exec(await redis.info("stats"))?.[1] ?? 0);
    const worker = await workerLine(ctx, { redisUrl, out: work, baseUrl: mock.url, concurrency: 8 });
    const procs = Array.from({ length: workers }, () =>
      start(...worker, { env: { ...process.env, KLING_API_KEY: KEY } }),
    );
    // Wait until every worker answered (the clock starts when they can work, not while tsx loads).
    const started = performance.now();
    let firstCreate = 0;
    for (;;) {
      const counts = await queue.counts();
      if (!firstCreate && mock.engine.tasks().length > 0) firstCreate = performance.now();
      if ((counts.downloaded ?? 0) + (counts.failed ?? 0) + (counts.unknown ?? 0) >= edits) break;
      if (performance.now() - started > 120_000) throw new Error(`queue bench stuck: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - (firstCreate || started)) / 1000;
    const rss = procs.map((p) => peakRssMiB(p.pid));
    await Promise.all(procs.map((p) => stop(p)));
    const commands =
      Number(/total_commands_processed:(\d+)/.exec(await redis.info("stats"))?.[1] ?? 0) - commandsBefore;
    ctx.log(`queue: ${workers} worker(s), ${edits} edits in ${seconds.toFixed(2)} s`);
    return {
      editsPerSecond: edits / seconds,
      createsPerSecond: mock.engine.tasks().length / seconds,
      commandsPerEdit: commands / edits,
      peakRss: Math.max(...rss),
    };
  } finally {
    redis.disconnect();
    await queue.close();
    await mock.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export const queue: Benchmark = {
  name: "queue",
  title: "Queue throughput against workers (kling-edit worker processes, real Redis, the mock at high speed)",
  async run(ctx): Promise<BenchOutput> {
    const edits = ctx.smoke ? 4 : 120;
    const rounds = ctx.smoke ? 1 : ctx.rounds;
    // Smoke: 1 and 2 workers (3 worker processes instead of 7, running the compiled CLI) still make a ratio.
    const counts: readonly number[] = ctx.smoke ? WORKER_COUNTS.slice(0, 2) : WORKER_COUNTS;
    const most = counts.at(-1) as number;
    const redis = await startRedis();
    const samples = new Map<number, Awaited<ReturnType<typeof once>>[]>();
    try {
      for (let r = 0; r < rounds; r++) {
        for (const w of counts) samples.set(w, [...(samples.get(w) ?? []), await once(ctx, w, edits, redis.url)]);
      }
    } finally {
      await redis.stop();
    }
    const of = (w: number, key: keyof Awaited<ReturnType<typeof once>>) => (samples.get(w) ?? []).map((s) => s[key]);
    const one = of(1, "editsPerSecond");
    const rows: Row[] = counts.map((w) => ({
      measure: `edits/s, ${w} worker${w === 1 ? "" : "s"}`,
      ours: { label: `${w} workers`, unit: "edits/s", values: of(w, "editsPerSecond") },
      ...(w === 1
        ? {}
        : {
            baseline: { label: "1 worker", unit: "edits/s", values: one },
            ratio: of(w, "editsPerSecond").map((v, i) => v / (one[i] as number)),
            note: `near-linear is ${w}x`,
          }),
    }));
    rows.push(
      {
        measure: `Redis commands per edit, ${most} workers`,
        ours: { label: `${most} workers`, unit: "commands", values: of(most, "commandsPerEdit") },
      },
      {
        measure: `creates/s, ${most} workers`,
        ours: { label: `${most} workers`, unit: "creates/s", values: of(most, "createsPerSecond") },
      },
      {
        measure: `peak RSS of a worker, ${most} workers`,
        ours: { label: "worker", unit: "MiB", values: of(most, "peakRss") },
      },
    );
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    return {
      rows,
      runs: `${rounds} round(s) of ${edits} edits for each of ${counts.join(", ")} workers (concurrency 8 each)`,
      notes: [
        "No limiter: what binds the curve is the mock and Redis on the same 2 cores as the workers, and the poll schedule (each edit waits for its task's predicted end).",
      ],
      details: { curve: counts.map((w) => ({ workers: w, jobsPerSecond: median(of(w, "editsPerSecond")) })) },
    };
  },
};
