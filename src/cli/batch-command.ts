/**
 * `kling-edit batch`: the command around the batch runner (batch.ts). Opens the journal (also the jobs' store), the
 * shared back-off gate and the session, runs the batch, and prints its summary and the command that resumes it.
 */
import fs from "node:fs";
import path from "node:path";
import { type BatchSummary, DEFAULT_ITEM_WAIT_MS, runBatch } from "./batch.js";
import { EXIT, UsageError } from "./exit-codes.js";
import { BackoffGate } from "./gate.js";
import { JournalStore } from "./journal.js";
import { readManifest } from "./manifest.js";
import type { Output } from "./output.js";
import { type GlobalOptions, MOCK_POLL_INTERVAL_MS, shellQuote, withSession } from "./session.js";

export interface BatchOptions {
  out: string;
  concurrency: number;
  journal?: string;
  resubmitUnknown?: boolean;
  /** Each item's wait limit, in seconds. @default {@link DEFAULT_ITEM_WAIT_MS} / 1000 */
  waitTimeout?: number;
}

/** The journal's default place: inside the output folder, so the same command line finds it again. */
export const DEFAULT_JOURNAL_NAME = "kling-edit-journal.ndjson";

/** `kling-edit batch`. */
export async function batchCommand(
  manifestPath: string,
  opts: BatchOptions,
  globals: GlobalOptions,
  output: Output,
): Promise<number> {
  const outDir = path.resolve(opts.out);
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) {
    throw new UsageError(`--out ${opts.out} is a file: give a folder for the results`);
  }
  const items = readManifest(manifestPath, outDir, "submitted");
  fs.mkdirSync(outDir, { recursive: true });
  const journalPath = path.resolve(opts.journal ?? path.join(outDir, DEFAULT_JOURNAL_NAME));
  const journal = JournalStore.open(journalPath, { scrub: (t) => output.scrubText(t) });
  const gate = new BackoffGate();
  try {
    return await withSession(
      globals,
      output,
      async ({ session }) => {
        const { client, interrupts } = session;
        output.note(
          `Batch: ${items.length} item${items.length === 1 ? "" : "s"}, up to ${opts.concurrency} at a time; journal ${journal.file}`,
        );
        const summary = await runBatch({
          items,
          journal,
          client,
          outDir,
          concurrency: opts.concurrency,
          resubmitUnknown: opts.resubmitUnknown === true,
          output,
          stop: interrupts.stop.signal,
          kill: interrupts.kill.signal,
          gate,
          allowInsecure: (url) => session.allowInsecure(url),
          itemTimeoutMs: opts.waitTimeout === undefined ? DEFAULT_ITEM_WAIT_MS : opts.waitTimeout * 1000,
          ...(session.mock ? { pollIntervalMs: MOCK_POLL_INTERVAL_MS } : {}),
        });
        const exitCode = interrupts.interrupted ? EXIT.interrupted : summary.exitCode;
        reportSummary(output, summary, exitCode, journal.file, interrupts.interrupted ? resumeBatchCommand() : null);
        return exitCode;
      },
      { jobs: journal, gate },
    );
  } finally {
    journal.close();
  }
}

/** The command line that was run, to re-run it, without `--api-key` (put it in KLING_API_KEY instead). */
function resumeBatchCommand(): string {
  const args: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--api-key") i++;
    else if (!arg.startsWith("--api-key=")) args.push(arg);
  }
  return ["kling-edit", ...args].map(shellQuote).join(" ");
}

function reportSummary(
  output: Output,
  s: BatchSummary,
  exitCode: number,
  journal: string,
  resume: string | null,
): void {
  output.stopBars();
  const strip = ({ key: _key, ...rest }: { key: string }) => rest;
  output.event("summary", {
    total: s.total,
    done: s.done.map(strip),
    failed: s.failed.map(strip),
    unknown: s.unknown.map(strip),
    notStarted: s.notStarted.map(strip),
    interrupted: s.interrupted.map(strip),
    journal,
    exitCode,
    ...(resume ? { resume } : {}),
  });
  const head =
    `Batch: ${s.done.length} of ${s.total} done, ${s.failed.length} failed, ${s.unknown.length} unknown` +
    (s.notStarted.length ? `, ${s.notStarted.length} not started` : "") +
    (s.interrupted.length ? `, ${s.interrupted.length} interrupted` : "");
  const lines = [head];
  const id = (o: { id?: string }) => (o.id ? ` (${o.id})` : "");
  if (s.failed.length) {
    lines.push("Failed:");
    for (const o of s.failed) lines.push(`  line ${o.line}${id(o)}: ${o.reason ?? "unknown reason"}`);
  }
  if (s.unknown.length) {
    lines.push("Unknown (not resubmitted):");
    for (const o of s.unknown) lines.push(`  line ${o.line}: ${o.reason ?? ""}`);
  }
  if (s.notStarted.length && !resume) {
    const reason = s.notStarted.find((o) => o.reason)?.reason;
    lines.push(`Not started: lines ${s.notStarted.map((o) => o.line).join(", ")}${reason ? ` (${reason})` : ""}`);
  }
  lines.push(`Journal: ${journal}`);
  if (resume) lines.push(`Interrupted. Resume (nothing is submitted twice) with:\n  ${resume}`);
  else if (exitCode !== EXIT.ok)
    lines.push("Run the same command again to retry what can be retried; finished items are skipped.");
  output.say(lines.join("\n"), head);
}
