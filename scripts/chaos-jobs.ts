/**
 * Crash chaos for durable jobs (issue 12): a child process runs jobs against the mock (high speed) with a
 * fileJobStore and is killed with SIGKILL at random moments, then restarted; each start calls `resumeAll()` and
 * submits the edits whose ids the store does not hold yet. At the end it reports, from the mock's own records:
 * duplicate creates (must be 0), lost tasks (a created task whose job is neither downloaded nor `unknown`: must be 0)
 * and GETs per resume.
 *
 *   npm run test:chaos                 # 200 trials
 *   npx tsx scripts/chaos-jobs.ts --trials 20 --jobs 4
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createKlingClient, type JobSnapshot } from "../src/index.js";
import { startMockServer } from "../src/mock/index.js";
import { fileJobStore } from "../src/node.js";

const KEY = "sk-chaos-0123456789";
const SELF = fileURLToPath(import.meta.url);

/** The child: resume what the store holds, submit what it does not, follow everything to a file. */
async function child(
  baseUrl: string,
  storeDir: string,
  outDir: string,
  jobs: number,
  pollIntervalMs?: number,
): Promise<void> {
  const client = createKlingClient({
    apiKey: KEY,
    baseUrl,
    jobs: { store: fileJobStore(storeDir) },
    timeoutMs: 3_000,
    // One "G" on stdout per poll, so the parent counts GETs even across SIGKILLs.
    fetch: (input, init) => {
      if ((input instanceof Request ? input.method : (init?.method ?? "GET")) === "GET") process.stdout.write("G");
      return fetch(input, init);
    },
  });
  process.stdout.write("resume\n");
  await client.jobs.resumeAll({ downloadDir: outDir, timeoutMs: 30_000, download: { allowInsecure: true } });
  for (let i = 0; i < jobs; i++) {
    const job = await client.jobs.submit(
      { prompt: `chaos edit ${i}`, video_urls: ["https://example.com/in.mp4"] },
      { id: `edit-${i}`, destination: path.join(outDir, `edit-${i}.mp4`) },
    );
    if (job.state === "submitted" || job.state === "completed") {
      await job.wait({ timeoutMs: 30_000, ...(pollIntervalMs ? { pollIntervalMs } : {}) });
      if (job.state === "completed") await job.download(path.join(outDir, `edit-${i}.mp4`), { allowInsecure: true });
    }
  }
  process.stdout.write("done\n");
}

/** One trial's figures. */
export interface ChaosResult {
  starts: number;
  kills: number;
  creates: number;
  duplicates: number;
  lost: number;
  unknown: number;
  downloaded: number;
  /** Polls (GETs) made in the whole trial, across every start. */
  gets: number;
}

/** Runs one trial: starts and kills the child until it finishes by itself (or `maxStarts`). */
export async function chaosTrial(opts: {
  jobs: number;
  seed: number;
  maxKillMs: number;
  maxStarts?: number;
  /** A fixed poll interval for the child's waits (the small run in test/ uses one). @default the adaptive schedule */
  pollIntervalMs?: number;
  /**
   * The child as a JavaScript file bundled from this script (the small run in test/ builds one: it starts in about
   * 0.1 s instead of 1 s through tsx). @default this script through tsx
   */
  childScript?: string;
}): Promise<ChaosResult> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "kling-chaos-"));
  const storeDir = path.join(work, "jobs");
  const outDir = path.join(work, "out");
  fs.mkdirSync(outDir, { recursive: true });
  const mock = await startMockServer({ port: 0, speed: 600, seed: opts.seed, apiKey: KEY });
  let gets = 0;
  let random = opts.seed;
  const next = () => {
    random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
    return random / 2 ** 31;
  };
  let starts = 0;
  let kills = 0;
  try {
    for (;;) {
      starts++;
      const proc = spawn(
        process.execPath,
        [
          ...(opts.childScript ? [opts.childScript] : ["--import", "tsx", SELF]),
          "--child",
          mock.url,
          storeDir,
          outDir,
          String(opts.jobs),
          ...(opts.pollIntervalMs ? [String(opts.pollIntervalMs)] : []),
        ],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let out = "";
      proc.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      let stderr = "";
      proc.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const last = starts >= (opts.maxStarts ?? 4);
      const killAt = last ? null : setTimeout(() => proc.kill("SIGKILL"), 300 + next() * opts.maxKillMs);
      const code = await new Promise<number | null>((resolve) => proc.on("exit", (c) => resolve(c)));
      if (killAt) clearTimeout(killAt);
      gets += out.split("G").length - 1;
      if (code === null) {
        kills++;
        continue;
      }
      if (code !== 0) throw new Error(`child exited ${code}: ${stderr.slice(-2000)}`);
      break;
    }
    const tasks = mock.engine.tasks();
    const byPrompt = new Map<string, number>();
    for (const task of tasks) {
      const prompt = (task as unknown as { request: { prompt: string } }).request.prompt;
      byPrompt.set(prompt, (byPrompt.get(prompt) ?? 0) + 1);
    }
    const jobs: JobSnapshot[] = await fileJobStore(storeDir).list();
    const duplicates = [...byPrompt.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
    let lost = 0;
    for (let i = 0; i < opts.jobs; i++) {
      const created = byPrompt.has(`chaos edit ${i}`);
      const job = jobs.find((j) => j.id === `edit-${i}`);
      const ok = job?.state === "downloaded" || job?.state === "unknown";
      if (created && !ok) lost++;
      if (job?.state === "downloaded") {
        const size = fs.statSync(path.join(outDir, `edit-${i}.mp4`)).size;
        if (size !== job.download?.bytes) lost++;
      }
    }
    return {
      starts,
      kills,
      creates: tasks.length,
      duplicates,
      lost,
      unknown: jobs.filter((j) => j.state === "unknown").length,
      downloaded: jobs.filter((j) => j.state === "downloaded").length,
      gets,
    };
  } finally {
    await mock.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    const [, baseUrl, storeDir, outDir, jobs, pollIntervalMs] = args;
    await child(
      baseUrl as string,
      storeDir as string,
      outDir as string,
      Number(jobs),
      pollIntervalMs ? Number(pollIntervalMs) : undefined,
    );
    return;
  }
  const flag = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const trials = flag("--trials", 200);
  const jobs = flag("--jobs", 4);
  // The same edits without a kill: the GETs an uninterrupted run makes, to see what the restarts cost.
  const calm = await chaosTrial({ jobs, seed: 1, maxKillMs: 0, maxStarts: 1 });
  process.stdout.write(`uninterrupted: ${JSON.stringify(calm)}\n`);
  const totals = { trials: 0, kills: 0, creates: 0, duplicates: 0, lost: 0, unknown: 0, downloaded: 0, gets: 0 };
  for (let t = 0; t < trials; t++) {
    const r = await chaosTrial({ jobs, seed: t + 1, maxKillMs: 2_500 });
    totals.trials++;
    totals.kills += r.kills;
    totals.creates += r.creates;
    totals.duplicates += r.duplicates;
    totals.lost += r.lost;
    totals.unknown += r.unknown;
    totals.downloaded += r.downloaded;
    totals.gets += r.gets;
    process.stdout.write(`trial ${t + 1}/${trials}: ${JSON.stringify(r)}\n`);
  }
  const extra =
    (totals.gets / Math.max(1, totals.downloaded) - calm.gets / Math.max(1, calm.downloaded)) * totals.downloaded;
  process.stdout.write(
    `${JSON.stringify({ ...totals, extraGetsPerKill: Number((extra / Math.max(1, totals.kills)).toFixed(2)) })}\n`,
  );
  if (totals.duplicates > 0 || totals.lost > 0) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
