/**
 * `kling-edit batch`: submits a manifest's edits as durable jobs with bounded concurrency, follows them, downloads
 * each result as soon as it is ready. The journal is the jobs' store (journal.ts), so running the same command again
 * resumes instead of paying twice.
 *
 * Each item is one job whose id is the item's key (a hash of its request and `out`); its state is the job's state:
 * `submitting` (stored before the create leaves) -> `submitted` -> `completed` -> `downloaded`, or `failed`,
 * `expired`, or `unknown` (the create may have reached the API and its answer was lost, or the process died with it
 * in flight). `client.jobs.submit` with a stored id returns the stored job and sends nothing, so a resumed run polls
 * submitted items and never submits them again; `unknown` items are reported and left alone unless
 * `--resubmit-unknown` is given (`client.jobs.resubmit`). What an outcome means (billed or not, transient or not) is
 * the client's decision (its policy exports), never this file's.
 *
 * Every API request of the batch passes one shared {@link BackoffGate}: a 429 to any of them pauses all of them.
 */
import fs from "node:fs";
import path from "node:path";
import {
  APIError,
  APITimeoutError,
  AuthenticationError,
  DEFAULT_WAIT_TIMEOUT_MS,
  InsufficientQuotaError,
  isTransient,
  type Job,
  type KlingClient,
  KlingError,
  outcomeOf,
  PermissionDeniedError,
  SubmitOutcomeUnknownError,
  type Task,
  TaskFailedError,
} from "../index.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import type { BackoffGate } from "./gate.js";
import type { JournalStore } from "./journal.js";
import type { ManifestItem } from "./manifest.js";
import { type BatchBars, describeTask, formatBytes, formatDuration, type Output } from "./output.js";
import { errorOneLine } from "./report.js";

/** How many times in a row an item's create may be refused for now (429, 503, connection refused) before it is given up. */
export const DEFAULT_MAX_REFUSALS = 8;
/** How long one item's task is waited for before it is given up for this run (a re-run polls it again), in ms. */
export const DEFAULT_ITEM_WAIT_MS = DEFAULT_WAIT_TIMEOUT_MS;

/** Where an item's failure happened: `create`, `wait` and `download` failures are retried by the next run. */
export type FailureStage = "create" | "task" | "wait" | "download";

/** A batch run's inputs. */
export interface BatchRunOptions {
  items: ManifestItem[];
  /** The journal: also the `client`'s job store. */
  journal: JournalStore;
  /** A client whose `jobs.store` is `journal`, whose fetch passes `gate` ({@link gatedFetch}). */
  client: KlingClient;
  /** Where results without their own `out` go, as `<task id>.mp4`. */
  outDir: string;
  /** Items in flight at once. */
  concurrency: number;
  /** Submit items whose earlier submission outcome is unknown (may pay twice). @default false */
  resubmitUnknown?: boolean;
  output: Output;
  /** Aborted at the first Ctrl-C: nothing new is submitted, waits and downloads stop. */
  stop: AbortSignal;
  /** Aborted at the second Ctrl-C: create requests in flight are abandoned too (their outcome becomes unknown). */
  kill: AbortSignal;
  /** The gate every request passes. */
  gate: BackoffGate;
  /** Whether an `http://` result URL may be downloaded (the mock's). */
  allowInsecure(url: string): boolean;
  /** A fixed poll interval instead of the client's adaptive schedule. */
  pollIntervalMs?: number;
  /** Each item's wait limit, in ms. @default {@link DEFAULT_ITEM_WAIT_MS} */
  itemTimeoutMs?: number;
  /** Refusals in a row before an item's submission is given up. @default {@link DEFAULT_MAX_REFUSALS} */
  maxRefusals?: number;
}

/** How an item ended (this run, or an earlier one for skipped items). */
export interface ItemOutcome {
  line: number;
  key: string;
  status: "done" | "failed" | "unknown" | "not-started" | "interrupted";
  /** True when an earlier run had already finished it. */
  skipped?: boolean;
  id?: string;
  path?: string;
  bytes?: number;
  stage?: FailureStage;
  reason?: string;
  exitCode?: number;
}

/** The batch's result. */
export interface BatchSummary {
  total: number;
  done: ItemOutcome[];
  failed: ItemOutcome[];
  unknown: ItemOutcome[];
  notStarted: ItemOutcome[];
  interrupted: ItemOutcome[];
  /** 0 when every item is downloaded; else 3 if the API refused any, 5 on transient or unknown outcomes, else 4. */
  exitCode: number;
}

const UNKNOWN_ADVICE =
  "it may have created a (billed) task; check your account, then re-run with --resubmit-unknown to submit it again";

/** Thrown inside an item when Ctrl-C stopped it. */
class Stopped extends Error {}

/** A task id as a file name: the server chooses it, so nothing in it may leave the folder (issue 11, item 10). */
export function resultFileName(taskId: string): string {
  const safe = taskId.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
  return `${safe || "result"}.mp4`;
}

/** Errors about the account (key, permission, quota): every other item would get the same, so none is submitted. */
function aboutTheAccount(error: unknown): boolean {
  return (
    error instanceof AuthenticationError ||
    error instanceof PermissionDeniedError ||
    error instanceof InsufficientQuotaError
  );
}

/** Runs (or resumes) a batch. Never throws for an item's failure: each ends up in the summary. */
export async function runBatch(options: BatchRunOptions): Promise<BatchSummary> {
  return new BatchRunner(options).run();
}

class BatchRunner {
  readonly #o: BatchRunOptions;
  readonly #outcomes = new Map<string, ItemOutcome>();
  #halted: string | null = null;
  #bars: BatchBars | null = null;

  constructor(options: BatchRunOptions) {
    this.#o = options;
  }

  async run(): Promise<BatchSummary> {
    const { items, journal, output } = this.#o;
    const known = new Set(items.map((i) => i.key));
    // Jobs made by --resubmit-unknown have their own ids, and name the job they replace.
    const strangers = (await journal.list()).filter((j) => !known.has(j.id) && j.resubmittedFrom === undefined);
    if (strangers.length > 0) {
      output.note(`The journal lists ${strangers.length} job(s) that are not in this manifest: ignored.`);
    }
    if (journal.droppedTornLine) output.note("The journal's last line was cut off by a crash: dropped it.");

    const toPoll: [ManifestItem, Job][] = [];
    const toSubmit: [ManifestItem, Job | undefined][] = [];
    for (const item of items) {
      const job = await this.#current(item);
      const verdict = job ? this.#settled(item, job) : null;
      if (verdict) this.#finish(item, verdict);
      else if (job && job.state !== "unknown") toPoll.push([item, job]);
      else toSubmit.push([item, job]);
    }
    const resumed = journal.linesAtOpen > 0;
    output.event("journal", {
      path: journal.file,
      resumed,
      droppedTornLine: journal.droppedTornLine,
      done: this.#count("done"),
      failed: this.#count("failed"),
      unknown: this.#count("unknown"),
      toPoll: toPoll.length,
      toSubmit: toSubmit.length,
    });
    if (resumed) {
      output.note(
        `Resuming from ${journal.file}: ${this.#count("done")} done, ${this.#count("failed")} failed, ` +
          `${toPoll.length} to poll, ${this.#count("unknown")} unknown, ${toSubmit.length} to submit.`,
      );
    }
    this.#startBars(items.length);

    // Items that already have a task go first: their result links are the ones closest to expiring.
    const queue = [...toPoll, ...toSubmit];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.#process(next[0], next[1]);
    };
    const workers = Math.max(1, Math.min(this.#o.concurrency, queue.length));
    await Promise.all(Array.from({ length: workers }, worker));
    output.stopBars();
    return this.#summary(items);
  }

  /** The item's job: the one with the item's key, or the job it was resubmitted as (followed to the newest). */
  async #current(item: ManifestItem): Promise<Job | undefined> {
    let job = await this.#o.client.jobs.get(item.key);
    for (let hops = 0; job && hops < 100; hops++) {
      const next = job.toJSON().resubmittedAs;
      if (next === undefined) break;
      const newer = await this.#o.client.jobs.get(next);
      if (!newer) break;
      job = newer;
    }
    return job;
  }

  /** The outcome of an item that needs no work this run, or null. */
  #settled(item: ManifestItem, job: Job): ItemOutcome | null {
    const snap = job.toJSON();
    const base = { line: item.line, key: item.key, skipped: true, ...(job.taskId ? { id: job.taskId } : {}) };
    const failed = (stage: FailureStage, fallback: string, exitCode: number): ItemOutcome => ({
      ...base,
      status: "failed",
      stage,
      reason: snap.error?.message ?? fallback,
      exitCode,
    });
    switch (job.state) {
      case "downloaded":
        return {
          ...base,
          status: "done",
          ...(snap.download ? { path: snap.download.path, bytes: snap.download.bytes } : {}),
        };
      case "failed":
        return failed("task", "task failed", EXIT.taskFailed);
      case "expired":
        return failed("download", "the result link expired", EXIT.refused);
      case "unknown":
        if (this.#o.resubmitUnknown) return null;
        return {
          ...base,
          status: "unknown",
          reason: `${snap.error?.message ?? "its create request's outcome is unknown"}: ${UNKNOWN_ADVICE}`,
          exitCode: EXIT.transient,
        };
      default:
        return null;
    }
  }

  async #process(item: ManifestItem, stored: Job | undefined): Promise<void> {
    let job = stored;
    try {
      if (!job || job.state === "unknown") {
        const previous = job;
        job = await this.#submit(item, previous);
        if (!job) return;
      }
      if (job.state === "submitted" && !(await this.#wait(item, job))) return;
      if (job.state === "completed") await this.#download(item, job);
      else if (!this.#outcomes.has(item.key)) {
        const verdict = this.#settled(item, job);
        if (verdict) this.#finish(item, { ...verdict, skipped: false });
      }
    } catch (error) {
      if (error instanceof Stopped || this.#o.stop.aborted) {
        if (!this.#outcomes.has(item.key)) {
          const id = job?.taskId;
          this.#finish(item, {
            line: item.line,
            key: item.key,
            status: id ? "interrupted" : "not-started",
            ...(id ? { id } : {}),
            ...(job?.state === "completed" ? { reason: "completed" } : {}),
          });
        }
        return;
      }
      // A bug, or a file-system error while journaling: record it against the item rather than lose the others.
      this.#fail(item, job?.taskId, job?.state === "completed" ? "download" : "wait", error);
    }
  }

  async #pass(signal: AbortSignal): Promise<void> {
    try {
      await this.#o.gate.pass(signal);
    } catch {
      throw new Stopped();
    }
  }

  /**
   * Submits an item (or resubmits its unknown job); returns the job, or undefined when the item ended here (refused,
   * unknown, not started). `jobs.submit` rejects only when nothing can have been billed: such an item is retried
   * after the shared back-off when the refusal is transient (429, 503, connection refused), else it fails.
   */
  async #submit(item: ManifestItem, unknown: Job | undefined): Promise<Job | undefined> {
    const { client, stop, kill, gate, output } = this.#o;
    const maxRefusals = this.#o.maxRefusals ?? DEFAULT_MAX_REFUSALS;
    const metadata = { line: item.line, ...(item.out ? { out: item.out } : {}) };
    for (let refusals = 0; ; ) {
      if (this.#halted !== null || stop.aborted) {
        this.#finish(item, {
          line: item.line,
          key: item.key,
          status: "not-started",
          ...(this.#halted ? { reason: this.#halted } : {}),
        });
        return undefined;
      }
      await this.#pass(stop);
      if (this.#halted !== null) continue;
      this.#row(item, "submitting", 0);
      let job: Job;
      try {
        // Only the second Ctrl-C abandons a create in flight: its outcome would be unknown. The gate does the
        // retrying (shared by every worker), so the client sends each create once.
        const request = { signal: kill, maxRetries: 0, metadata };
        job = unknown
          ? await client.jobs.resubmit(unknown, request)
          : await client.jobs.submit(item.params, { ...request, id: item.key });
      } catch (error) {
        // Rejected: nothing can have been billed.
        if (kill.aborted) {
          this.#finish(item, { line: item.line, key: item.key, status: "not-started" });
          return undefined;
        }
        // Only an answer about the request is a refusal worth retrying. Anything else (the journal could not be
        // written, a bug) is not retried: if the create had left, its job is already stored and resumes as unknown.
        if (error instanceof KlingError && isTransient(outcomeOf(error))) {
          refusals++;
          if (refusals > maxRefusals) {
            this.#fail(item, undefined, "create", error);
            return undefined;
          }
          const wait = gate.close(error instanceof APIError ? error.retryAfterMs : null);
          output.note(
            `line ${item.line}: refused for now (${errorOneLine(error)}); every request waits ${Math.ceil(wait / 1000)} s`,
          );
          continue;
        }
        if (aboutTheAccount(error)) this.#halted = `not submitted: an earlier item got ${errorOneLine(error)}`;
        this.#fail(item, undefined, "create", error);
        return undefined;
      }
      if (job.state === "unknown") {
        const reason = job.toJSON().error?.message ?? "the create request's outcome is unknown";
        this.#finish(item, {
          line: item.line,
          key: item.key,
          status: "unknown",
          reason: `${kill.aborted ? "interrupted while its create request was in flight" : reason}: ${UNKNOWN_ADVICE}`,
          exitCode: kill.aborted ? EXIT.interrupted : EXIT.transient,
        });
        return undefined;
      }
      gate.succeeded();
      if (job.taskId) this.#say(item, `submitted ${job.taskId}`, { state: "submitted", id: job.taskId });
      return job;
    }
  }

  /** Waits for the item's task; true when it completed (the job is then `completed`). */
  async #wait(item: ManifestItem, job: Job): Promise<boolean> {
    const { stop } = this.#o;
    const timeoutMs = this.#o.itemTimeoutMs ?? DEFAULT_ITEM_WAIT_MS;
    await this.#pass(stop);
    let last = job.task as Task | undefined;
    let lastLine = "";
    try {
      await job.wait({
        signal: stop,
        timeoutMs,
        ...(this.#o.pollIntervalMs !== undefined ? { pollIntervalMs: this.#o.pollIntervalMs } : {}),
        onProgress: (task) => {
          last = task;
          const line = describeTask(task);
          if (line === lastLine) return;
          // Plain output: status changes only (every percent of every item would drown the terminal).
          if (task.status !== lastLine.split(" ")[1]) this.#say(item, line, { state: task.status, task });
          else this.#o.output.event("item", { line: item.line, key: item.key, state: task.status, task });
          lastLine = line;
          this.#row(item, task.status, task.progress ?? 0);
        },
      });
      return true;
    } catch (error) {
      if (stop.aborted) throw new Stopped();
      const id = job.taskId;
      if (error instanceof TaskFailedError) {
        const t = error.task;
        this.#finish(item, {
          line: item.line,
          key: item.key,
          status: "failed",
          ...(id ? { id } : {}),
          stage: "task",
          reason: `task failed (${t.error?.code ?? "no code"}): ${t.error?.message ?? "no reason given"}`,
          exitCode: EXIT.taskFailed,
        });
        return false;
      }
      if (error instanceof SubmitOutcomeUnknownError) {
        this.#finish(item, {
          line: item.line,
          key: item.key,
          status: "unknown",
          reason: `${error.message}: ${UNKNOWN_ADVICE}`,
          exitCode: EXIT.transient,
        });
        return false;
      }
      if (error instanceof APITimeoutError) {
        const seen = last ? `still ${last.status}` : "not answered";
        this.#fail(
          item,
          id,
          "wait",
          error,
          `${seen} after ${formatDuration(timeoutMs)} (--wait-timeout); the task keeps running and a re-run polls it again`,
        );
        return false;
      }
      this.#fail(item, id, "wait", error);
      return false;
    }
  }

  async #download(item: ManifestItem, job: Job): Promise<void> {
    const { stop, outDir } = this.#o;
    const taskId = job.taskId ?? item.key;
    const destination = item.out ?? path.join(outDir, resultFileName(taskId));
    await this.#pass(stop);
    this.#row(item, "download", 0);
    try {
      const url = job.resultUrl ?? "";
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      const result = await job.download(destination, {
        signal: stop,
        allowInsecure: this.#o.allowInsecure(url),
        onProgress: (bytes, total) => this.#row(item, "download", total ? Math.floor((bytes / total) * 100) : 0),
      });
      this.#finish(item, {
        line: item.line,
        key: item.key,
        status: "done",
        id: taskId,
        path: result.path,
        bytes: result.bytes,
      });
    } catch (error) {
      if (stop.aborted) throw new Stopped();
      this.#fail(item, taskId, "download", error);
    }
  }

  #fail(item: ManifestItem, id: string | undefined, stage: FailureStage, error: unknown, why?: string): void {
    const exitCode = exitCodeFor(error);
    this.#finish(item, {
      line: item.line,
      key: item.key,
      status: "failed",
      ...(id ? { id } : {}),
      stage,
      reason: why ?? errorOneLine(error),
      exitCode,
    });
  }

  #finish(item: ManifestItem, outcome: ItemOutcome): void {
    this.#outcomes.set(item.key, outcome);
    this.#bars?.remove(item.key);
    const text =
      outcome.status === "done"
        ? `${outcome.skipped ? "already saved" : "saved"} ${outcome.path} (${formatBytes(outcome.bytes ?? 0)})`
        : outcome.status === "interrupted"
          ? outcome.reason === "completed"
            ? `interrupted; ${outcome.id} completed and its result is downloaded on resume`
            : `interrupted; ${outcome.id} is still running and will be polled on resume`
          : `${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ""}`;
    this.#say(item, text, { state: outcome.status, outcome });
    this.#tick();
  }

  #say(item: ManifestItem, text: string, event: Record<string, unknown>): void {
    this.#o.output.note(`line ${item.line}: ${text}`);
    this.#o.output.event("item", { line: item.line, key: item.key, ...event });
  }

  #count(status: ItemOutcome["status"]): number {
    let n = 0;
    for (const o of this.#outcomes.values()) if (o.status === status) n++;
    return n;
  }

  #startBars(total: number): void {
    this.#bars = this.#o.output.batchBars(total, this.#counts());
    this.#tick();
  }

  #counts() {
    return { done: this.#count("done"), failed: this.#count("failed"), unknown: this.#count("unknown") };
  }

  #tick(): void {
    this.#bars?.total(this.#outcomes.size, this.#counts());
  }

  #row(item: ManifestItem, status: string, percent: number): void {
    this.#bars?.row(item.key, item.line, status, percent);
  }

  #summary(items: ManifestItem[]): BatchSummary {
    const summary: BatchSummary = {
      total: items.length,
      done: [],
      failed: [],
      unknown: [],
      notStarted: [],
      interrupted: [],
      exitCode: EXIT.ok,
    };
    for (const item of items) {
      const o = this.#outcomes.get(item.key) ?? { line: item.line, key: item.key, status: "not-started" as const };
      const list = {
        done: summary.done,
        failed: summary.failed,
        unknown: summary.unknown,
        "not-started": summary.notStarted,
        interrupted: summary.interrupted,
      }[o.status];
      list.push(o);
    }
    const codes = [...summary.failed, ...summary.unknown].map((o) => o.exitCode ?? EXIT.unexpected);
    if (summary.done.length === items.length) summary.exitCode = EXIT.ok;
    else if (codes.includes(EXIT.refused) || codes.includes(EXIT.usage)) summary.exitCode = EXIT.refused;
    else if (codes.some((c) => c === EXIT.transient || c === EXIT.unexpected || c === EXIT.interrupted))
      summary.exitCode = EXIT.transient;
    else if (codes.includes(EXIT.taskFailed)) summary.exitCode = EXIT.taskFailed;
    else summary.exitCode = EXIT.transient;
    return summary;
  }
}
