/**
 * Queue chaos (issue 14): worker processes (`kling-edit worker`) follow edits on a real Redis against the mock (high
 * speed), and one of them is killed with SIGKILL every couple of seconds and restarted. At the end, from the mock's
 * records and the queue: creates, duplicate creates (must be 0), unknown jobs (never resubmitted), and every
 * completed edit's file present and whole.
 *
 *   npx tsx scripts/chaos-queue.ts --edits 300 --workers 3     # the full run
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startMockServer } from "../src/mock/index.js";
import { createEditQueue } from "../src/queue/index.js";
import { startRedis } from "../test/support/redis.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const KEY = "sk-queue-chaos-0123456789";

/**
 * `node --import tsx src/cli/main.ts worker ...`: one `kling-edit worker` process from the sources; with `build`, the
 * built `node dist/src/cli/main.js worker ...` (starts in a quarter of the time: no TypeScript to compile); with
 * `entry`, that compiled main.js (the benchmark's smoke run compiles its own).
 */
export function workerCommand(o: {
  redisUrl: string;
  out: string;
  baseUrl: string;
  concurrency: number;
  build?: boolean;
  entry?: string;
}): [string, string[]] {
  const entry = o.entry ?? (o.build ? path.join(ROOT, "dist/src/cli/main.js") : undefined);
  return [
    process.execPath,
    [
      ...(entry ? [entry] : ["--import", "tsx", path.join(ROOT, "src/cli/main.ts")]),
      "worker",
      "--queue",
      o.redisUrl,
      "--out",
      o.out,
      "--concurrency",
      String(o.concurrency),
      "--base-url",
      o.baseUrl,
      "--quiet",
    ],
  ];
}

/** The figures of one run. */
export interface QueueChaosResult {
  edits: number;
  kills: number;
  creates: number;
  duplicates: number;
  unknown: number;
  downloaded: number;
  broken: number;
  seconds: number;
}

export async function queueChaos(opts: {
  edits: number;
  workers: number;
  killEveryMs: number;
  kills: number;
  /** Run the workers from dist/ (which must be built from the current sources). @default false: from the sources */
  build?: boolean;
}): Promise<QueueChaosResult> {
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "kling-qchaos-"));
  const [redis, mock] = await Promise.all([
    startRedis(),
    startMockServer({ port: 0, speed: 600, seed: 9, apiKey: KEY }),
  ]);
  const queue = createEditQueue({ connection: redis.url });
  const procs: (ChildProcess | undefined)[] = [];
  const spawnWorker = (i: number) => {
    procs[i] = spawn(
      ...workerCommand({
        redisUrl: redis.url,
        out: path.join(work, "out"),
        baseUrl: mock.url,
        concurrency: 4,
        build: opts.build ?? false,
      }),
      {
        stdio: process.env.CHAOS_DEBUG ? "inherit" : "ignore",
        env: { ...process.env, KLING_API_KEY: KEY, KLING_QUEUE_LOCK_MS: "2000" },
        cwd: ROOT,
      },
    );
  };
  let kills = 0;
  try {
    for (let i = 0; i < opts.edits; i++) {
      await queue.add({ prompt: `queued chaos ${i}`, video_urls: ["https://example.com/in.mp4"] }, { jobId: `e-${i}` });
    }
    for (let i = 0; i < opts.workers; i++) spawnWorker(i);
    const done = async () => {
      const counts = await queue.counts();
      return (
        (counts.downloaded ?? 0) + (counts.unknown ?? 0) + (counts.failed ?? 0) + (counts.refused ?? 0) === opts.edits
      );
    };
    let nextKill = Date.now() + opts.killEveryMs;
    const deadline = Date.now() + 10 * 60_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`chaos did not finish: ${JSON.stringify(await queue.counts())}`);
      if (kills < opts.kills && Date.now() >= nextKill) {
        const victim = kills % opts.workers;
        procs[victim]?.kill("SIGKILL");
        await new Promise((r) => procs[victim]?.once("exit", r));
        kills++;
        spawnWorker(victim);
        nextKill = Date.now() + opts.killEveryMs;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const byPrompt = new Map<string, number>();
    for (const task of mock.engine.tasks()) {
      const prompt = (task as unknown as { request: { prompt: string } }).request.prompt;
      byPrompt.set(prompt, (byPrompt.get(prompt) ?? 0) + 1);
    }
    let downloaded = 0;
    let broken = 0;
    let unknown = 0;
    for (let i = 0; i < opts.edits; i++) {
      const entry = await queue.getJob(`e-${i}`);
      if (entry?.state === "unknown") unknown++;
      if (entry?.state === "downloaded") {
        downloaded++;
        const file = entry.job?.download?.path;
        if (!file || !fs.existsSync(file) || fs.statSync(file).size !== entry.job?.download?.bytes) broken++;
      }
    }
    return {
      edits: opts.edits,
      kills,
      creates: mock.engine.tasks().length,
      duplicates: [...byPrompt.values()].reduce((n, c) => n + Math.max(0, c - 1), 0),
      unknown,
      downloaded,
      broken,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    for (const proc of procs) proc?.kill("SIGKILL");
    await queue.close();
    await Promise.all([redis.stop(), mock.close()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const edits = flag("--edits", 300);
  queueChaos({
    edits,
    workers: flag("--workers", 3),
    killEveryMs: flag("--kill-every", 2_000),
    kills: flag("--kills", Math.ceil(edits / 10)),
  })
    .then((r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      if (r.duplicates > 0 || r.broken > 0) process.exitCode = 1;
    })
    .catch((err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    });
}
