/**
 * The queue's commands: `kling-edit batch FILE --queue redis://...` (enqueue a manifest, follow it), `batch --queue
 * --status` (counts per state) and `kling-edit worker --queue redis://...` (run a worker until SIGINT/SIGTERM).
 * BullMQ is an optional peer dependency: the queue entry is imported only when a queue command runs.
 */
import fs from "node:fs";
import path from "node:path";
import { sleep } from "../index.js";
import type { EditQueue } from "../queue/index.js";
import { EXIT, UsageError } from "./exit-codes.js";
import { readManifest } from "./manifest.js";
import type { Output } from "./output.js";
import { type GlobalOptions, Session } from "./session.js";

/** How often `batch --queue` prints the counts while it follows. */
const FOLLOW_EVERY_MS = 1_000;
/** States in which an edit needs nothing more from a worker. */
const FINISHED = new Set(["downloaded", "completed", "failed", "expired", "unknown", "refused"]);

async function loadQueue(): Promise<typeof import("../queue/index.js")> {
  try {
    return await import("../queue/index.js");
  } catch (cause) {
    throw new UsageError(
      `--queue needs the optional dependency bullmq: npm install bullmq (${(cause as Error).message.split("\n")[0]})`,
    );
  }
}

/** `kling-edit batch FILE --queue URL`: enqueues each line once (ids from the lines) and follows until all finish. */
export async function queueBatchCommand(
  manifestPath: string | undefined,
  opts: { queue: string; out: string; status?: boolean; detach?: boolean; name?: string },
  output: Output,
): Promise<number> {
  const { createEditQueue } = await loadQueue();
  const queue = createEditQueue({ connection: opts.queue, ...(opts.name ? { name: opts.name } : {}) });
  try {
    if (opts.status) {
      const counts = await queue.counts();
      output.event("counts", counts);
      output.note(formatCounts(counts));
      return EXIT.ok;
    }
    if (!manifestPath) throw new UsageError("batch --queue needs a manifest (or --status)");
    const items = readManifest(manifestPath, path.resolve(opts.out), "enqueued");
    // Job ids derive from the lines (a hash of request and out): re-running the manifest enqueues nothing twice.
    const ids = [];
    for (const item of items) ids.push(await queue.add(item.params, { jobId: `m-${item.key}` }));
    output.event("enqueued", { count: ids.length, queue: redactUrl(opts.queue) });
    output.note(`Enqueued ${ids.length} edit(s) on ${redactUrl(opts.queue)} (ids from the manifest's lines).`);
    if (opts.detach) return EXIT.ok;
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once("SIGINT", onSigint);
    try {
      return await followQueue(queue, new Set(ids), output, stop.signal);
    } finally {
      process.off("SIGINT", onSigint);
    }
  } finally {
    await queue.close();
  }
}

/**
 * Prints the edits' counts as they change until all are finished (exit code from how they ended), or until `stop`
 * aborts (Ctrl-C): then at once, with no further look, exit 130. Exported for its test.
 */
export async function followQueue(
  queue: Pick<EditQueue, "states">,
  ids: Set<string>,
  output: Output,
  stop: AbortSignal,
): Promise<number> {
  let last = "";
  for (;;) {
    const states = await queue.states();
    const counts: Record<string, number> = {};
    for (const id of ids) {
      const state = states.get(id) ?? "queued";
      counts[state] = (counts[state] ?? 0) + 1;
    }
    const line = formatCounts(counts);
    if (line !== last) {
      output.event("counts", counts);
      output.note(line);
      last = line;
    }
    const finished = [...ids].every((id) => FINISHED.has(states.get(id) ?? "queued"));
    if (finished) {
      output.event("summary", { total: ids.size, ...counts });
      const bad = (counts.failed ?? 0) + (counts.refused ?? 0) + (counts.expired ?? 0);
      return counts.unknown ? EXIT.transient : bad > 0 ? EXIT.taskFailed : EXIT.ok;
    }
    if (!stop.aborted) await sleep(FOLLOW_EVERY_MS, stop).catch(() => {});
    if (stop.aborted) {
      output.note("Stopped following; the workers carry on. Follow again: the same command, or --status.");
      return EXIT.interrupted;
    }
  }
}

function formatCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([state, n]) => `${state} ${n}`);
  return parts.length > 0 ? parts.join(", ") : "no edits";
}

/** A Redis URL without its password, for output. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/** `kling-edit worker --queue URL`: submits, follows and downloads queued edits until SIGINT/SIGTERM. */
export async function workerCommand(
  opts: { queue: string; out: string; concurrency: number; rateLimit?: number; name?: string },
  globals: GlobalOptions,
  output: Output,
): Promise<number> {
  const { createEditWorker } = await loadQueue();
  const outDir = path.resolve(opts.out);
  fs.mkdirSync(outDir, { recursive: true });
  const session = await Session.open(globals, output);
  const worker = createEditWorker({
    connection: opts.queue,
    client: session.client,
    concurrency: opts.concurrency,
    downloadDir: outDir,
    // http:// results only from a local API (the mock): the same rule as the other commands, decided per base URL.
    download: { allowInsecure: session.allowInsecure(`${session.mock?.url ?? session.client.baseUrl}/`) },
    ...(opts.rateLimit ? { limiter: { max: opts.rateLimit, duration: 1_000 } } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    ...(process.env.KLING_QUEUE_LOCK_MS ? { lockDuration: Number(process.env.KLING_QUEUE_LOCK_MS) } : {}),
    onCompleted: (job) => output.event("completed", { id: job.id, taskId: job.taskId, state: job.state }),
  });
  output.event("worker", { queue: redactUrl(opts.queue), concurrency: opts.concurrency, out: outDir });
  output.note(`Worker on ${redactUrl(opts.queue)}, ${opts.concurrency} at a time; results in ${outDir}. Ctrl-C stops.`);
  await new Promise<void>((resolve) => {
    session.interrupts.stop.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  output.note("Stopping: finishing what this worker holds (a second Ctrl-C hands it back at once).");
  const force = new Promise<void>((resolve) =>
    session.interrupts.kill.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  await Promise.race([worker.close(false), force.then(() => worker.close(true))]);
  await session.close();
  return EXIT.ok;
}
