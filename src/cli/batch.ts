/**
 * `kling-edit batch`: submits a manifest's edits with bounded concurrency, polls them, downloads each result as soon
 * as it is ready, and journals every step so that running the same command again resumes instead of paying twice.
 *
 * Per item: `submitting` (journaled before the request leaves) -> `submitted(id)` -> `completed` ->
 * `downloaded(path)`, or `failed(reason)`. On resume: downloaded items and failed tasks are skipped; items with a
 * task id are polled, never submitted again; an item whose last record is `submitting` (the process died with the
 * create request in flight) or `unknown` (the connection was lost after the request was sent) may have created a
 * task, so it is reported and left alone unless `--resubmit-unknown` is given.
 *
 * Every request of the batch passes one shared {@link BackoffGate}: a 429 (or 503) to any of them pauses all of them
 * for the server's `Retry-After`.
 */
import fs from "node:fs";
import path from "node:path";
import type { SingleBar } from "cli-progress";
import { APIConnectionError, APIError, APITimeoutError, APIUserAbortError, ContractViolationError } from "../errors.js";
import { sleep as abortableSleep } from "../internal/scope.js";
import { isTransient, mayHaveBilled, outcomeOf } from "../policy.js";
import { nextPollDelayMs, type PollState } from "../poll.js";
import { backoffDelayMs } from "../retry.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { BackoffGate, type Sleep } from "./gate.js";
import type { FailureStage, ItemState, Journal } from "./journal.js";
import { replay } from "./journal.js";
import type { EditParams, ManifestItem } from "./manifest.js";
import { describeTask, formatBytes, type Output, type TaskDetail } from "./output.js";
import { errorOneLine } from "./report.js";

/** What the batch needs from the client: single attempts (the batch retries itself, through the shared gate). */
export interface BatchApi {
  /** `POST /v1/videos/generations` once, no retry. */
  create(params: EditParams, signal: AbortSignal): Promise<{ id: string }>;
  /** `GET /v1/tasks/{id}` once, no retry. */
  get(id: string, signal: AbortSignal): Promise<TaskDetail>;
  /** Downloads the task's result to `destination` (no partial file on failure). */
  download(
    task: TaskDetail,
    destination: string,
    options: { signal: AbortSignal; onProgress(bytes: number, total: number | null): void },
  ): Promise<{ path: string; bytes: number }>;
}

/** A batch run's inputs. */
export interface BatchRunOptions {
  items: ManifestItem[];
  journal: Journal;
  /** Where results without their own `out` go, as `<task id>.mp4`. */
  outDir: string;
  /** Items in flight at once. */
  concurrency: number;
  /** Submit items whose earlier submission outcome is unknown (may pay twice). @default false */
  resubmitUnknown?: boolean;
  api: BatchApi;
  output: Output;
  /** Aborted at the first Ctrl-C: nothing new is submitted, polls and downloads stop. */
  stop: AbortSignal;
  /** Aborted at the second Ctrl-C: create requests in flight are abandoned too (their outcome becomes unknown). */
  kill: AbortSignal;
  /** A fixed poll interval instead of the client's adaptive schedule. */
  pollIntervalMs?: number;
  /** @default a new gate */
  gate?: BackoffGate;
  /** @default an abortable setTimeout */
  sleep?: Sleep;
  /** @default Date.now */
  now?: () => number;
  /** Refusals (429, 503, connection refused) in a row before an item's submission is given up. @default 8 */
  maxRefusals?: number;
  /** Failed polls in a row (5xx, network, timeout) before an item's wait is given up. @default 6 */
  maxPollFailures?: number;
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

/** Whether an error proves the create created nothing and may succeed if sent again (a refusal: 429, 503, not sent). */
function refusedForNow(error: unknown): boolean {
  const outcome = outcomeOf(error);
  return !mayHaveBilled(outcome) && isTransient(outcome);
}

/** Errors that affect every item (key, quota, permission): no point submitting more. */
function haltsBatch(error: unknown): boolean {
  return error instanceof APIError && [401, 402, 403].includes(error.status);
}

/** Whether a poll's failure may go away by itself. */
function transientPollError(error: unknown): boolean {
  if (error instanceof APIError) return error.status === 408 || error.status === 429 || error.status >= 500;
  return (
    error instanceof APIConnectionError || error instanceof APITimeoutError || error instanceof ContractViolationError
  );
}

/** Runs (or resumes) a batch. Never throws for an item's failure: each ends up in the summary. */
export async function runBatch(options: BatchRunOptions): Promise<BatchSummary> {
  return new BatchRunner(options).run();
}

class BatchRunner {
  readonly #o: BatchRunOptions;
  readonly #gate: BackoffGate;
  readonly #sleep: Sleep;
  readonly #now: () => number;
  readonly #outcomes = new Map<string, ItemOutcome>();
  #halted: string | null = null;
  #total: SingleBar | null = null;
  readonly #rows = new Map<string, SingleBar>();

  constructor(options: BatchRunOptions) {
    this.#o = options;
    this.#gate = options.gate ?? new BackoffGate(options.sleep ? { sleep: options.sleep } : {});
    this.#sleep = options.sleep ?? abortableSleep;
    this.#now = options.now ?? Date.now;
  }

  async run(): Promise<BatchSummary> {
    const { items, journal, output } = this.#o;
    const states = replay(journal.records);
    const known = new Set(items.map((i) => i.key));
    const strangers = new Set(journal.records.map((r) => r.key).filter((k) => !known.has(k)));
    if (strangers.size > 0) {
      output.note(`The journal lists ${strangers.size} item(s) that are not in this manifest: ignored.`);
    }
    if (journal.droppedTornLine) output.note("The journal's last line was cut off by a crash: dropped it.");

    const toPoll: ManifestItem[] = [];
    const toSubmit: ManifestItem[] = [];
    for (const item of items) {
      const state = states.get(item.key) ?? { phase: "new" };
      const verdict = this.#settled(item, state);
      if (verdict) this.#finish(item, verdict);
      else if (state.id) toPoll.push(item);
      else toSubmit.push(item);
    }
    output.event("journal", {
      path: journal.file,
      resumed: journal.records.length > 0,
      droppedTornLine: journal.droppedTornLine,
      done: this.#count("done"),
      failed: this.#count("failed"),
      unknown: this.#count("unknown"),
      toPoll: toPoll.length,
      toSubmit: toSubmit.length,
    });
    if (journal.records.length > 0) {
      output.note(
        `Resuming from ${journal.file}: ${this.#count("done")} done, ${this.#count("failed")} failed, ` +
          `${toPoll.length} to poll, ${this.#count("unknown")} unknown, ${toSubmit.length} to submit.`,
      );
    }
    this.#startBars(items.length);

    // Items that already have a task go first: their result links are the ones closest to expiring.
    const queue = [...toPoll, ...toSubmit];
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const state = states.get(item.key) ?? { phase: "new" };
        await this.#process(item, state);
      }
    };
    const workers = Math.max(1, Math.min(this.#o.concurrency, queue.length));
    await Promise.all(Array.from({ length: workers }, worker));
    output.stopBars();
    return this.#summary(items);
  }

  /** The outcome of an item that needs no work this run, or null. */
  #settled(item: ManifestItem, state: ItemState): ItemOutcome | null {
    const base = { line: item.line, key: item.key, skipped: true, ...(state.id ? { id: state.id } : {}) };
    if (state.phase === "downloaded") {
      return { ...base, status: "done", ...(state.path ? { path: state.path } : {}), bytes: state.bytes ?? 0 };
    }
    if (state.phase === "failed" && state.stage === "task") {
      return {
        ...base,
        status: "failed",
        stage: "task",
        reason: state.reason ?? "task failed",
        exitCode: EXIT.taskFailed,
      };
    }
    if (!state.id && (state.phase === "submitting" || state.phase === "unknown") && !this.#o.resubmitUnknown) {
      const why =
        state.phase === "submitting"
          ? "an earlier run stopped while its create request was in flight"
          : (state.reason ?? "its create request's outcome is unknown");
      return { ...base, status: "unknown", reason: `${why}: ${UNKNOWN_ADVICE}`, exitCode: EXIT.transient };
    }
    return null;
  }

  async #process(item: ManifestItem, state: ItemState): Promise<void> {
    try {
      const id = state.id ?? (await this.#submit(item));
      if (id === null) return;
      const task = await this.#wait(item, id);
      if (task === null) return;
      if (state.phase !== "completed" || state.id !== id) {
        this.#o.journal.append({ event: "completed", key: item.key, line: item.line, id });
      }
      await this.#download(item, task);
    } catch (error) {
      if (error instanceof Stopped || this.#o.stop.aborted) {
        const id = this.#lastId(item);
        if (!this.#outcomes.has(item.key)) {
          this.#finish(item, {
            line: item.line,
            key: item.key,
            status: id ? "interrupted" : "not-started",
            ...(id ? { id } : {}),
          });
        }
        return;
      }
      // A bug, or a file-system error while journaling: record it against the item rather than lose the others.
      this.#fail(item, this.#lastId(item), "download", error);
    }
  }

  #lastId(item: ManifestItem): string | undefined {
    return replay(this.#o.journal.records.filter((r) => r.key === item.key)).get(item.key)?.id;
  }

  /** Submits an item; returns its task id, or null when it ended (failed, unknown, not started). */
  async #submit(item: ManifestItem): Promise<string | null> {
    const { journal, api, stop, kill } = this.#o;
    const maxRefusals = this.#o.maxRefusals ?? 8;
    for (let refusals = 0; ; ) {
      if (this.#halted !== null || stop.aborted) {
        this.#finish(item, {
          line: item.line,
          key: item.key,
          status: "not-started",
          ...(this.#halted ? { reason: this.#halted } : {}),
        });
        return null;
      }
      try {
        await this.#gate.pass(stop);
      } catch {
        throw new Stopped();
      }
      if (this.#halted !== null) continue;
      journal.append({ event: "submitting", key: item.key, line: item.line });
      this.#row(item, "submitting", 0);
      let created: { id: string };
      try {
        // Only the second Ctrl-C abandons a create in flight: its outcome would be unknown.
        created = await api.create(item.params, kill);
      } catch (error) {
        if (error instanceof APIUserAbortError || kill.aborted) {
          this.#finish(item, {
            line: item.line,
            key: item.key,
            status: "unknown",
            reason: `interrupted while its create request was in flight: ${UNKNOWN_ADVICE}`,
            exitCode: EXIT.interrupted,
          });
          return null;
        }
        if (refusedForNow(error)) {
          const status = error instanceof APIError ? error.status : 0;
          journal.append({ event: "refused", key: item.key, line: item.line, status, reason: errorOneLine(error) });
          refusals++;
          if (refusals > maxRefusals) {
            this.#fail(item, undefined, "create", error);
            return null;
          }
          const hint = error instanceof APIError ? error.retryAfterMs : null;
          const wait = this.#gate.close(hint ?? (status === 0 ? backoffDelayMs(refusals - 1) : null));
          this.#o.output.note(
            `line ${item.line}: ${status === 429 ? "rate limited" : "refused"} (${status || "not connected"}); ` +
              `every request waits ${Math.ceil(wait / 1000)} s`,
          );
          continue;
        }
        if (!mayHaveBilled(outcomeOf(error))) {
          // The API answered that it will not do this (400, 401, 402, 403, 404, ...): nothing was created.
          if (haltsBatch(error)) this.#halted = `not submitted: an earlier item got ${errorOneLine(error)}`;
          this.#fail(item, undefined, "create", error);
          return null;
        }
        // 408, 500, 502, 504, a bare gateway 503, a reset or a timeout after the request left, a malformed 200: a
        // task may exist.
        const reason = `create request's outcome is unknown (${errorOneLine(error)})`;
        journal.append({ event: "unknown", key: item.key, line: item.line, reason });
        this.#finish(item, {
          line: item.line,
          key: item.key,
          status: "unknown",
          reason: `${reason}: ${UNKNOWN_ADVICE}`,
          exitCode: EXIT.transient,
        });
        return null;
      }
      this.#gate.succeeded();
      journal.append({ event: "submitted", key: item.key, line: item.line, id: created.id });
      this.#say(item, `submitted ${created.id}`, { state: "submitted", id: created.id });
      return created.id;
    }
  }

  /** Polls until the task ends; returns the completed task, or null when the item ended otherwise. */
  async #wait(item: ManifestItem, id: string): Promise<TaskDetail | null> {
    const { api, stop } = this.#o;
    const maxFailures = this.#o.maxPollFailures ?? 6;
    const started = this.#now();
    const poll: PollState = { elapsedMs: 0, polls: 0, fixedIntervalMs: this.#o.pollIntervalMs };
    let failures = 0;
    let lastLine = "";
    for (;;) {
      try {
        await this.#gate.pass(stop);
      } catch {
        throw new Stopped();
      }
      let task: TaskDetail;
      try {
        task = await api.get(id, stop);
      } catch (error) {
        if (error instanceof APIUserAbortError || stop.aborted) throw new Stopped();
        if (!transientPollError(error) || ++failures > maxFailures) {
          this.#fail(item, id, "wait", error);
          return null;
        }
        if (error instanceof APIError && (error.status === 429 || error.status === 503)) {
          this.#gate.close(error.retryAfterMs);
        } else {
          await this.#pause(backoffDelayMs(failures - 1));
        }
        continue;
      }
      failures = 0;
      this.#gate.succeeded();
      const line = describeTask(task);
      if (line !== lastLine) {
        // Plain output: status changes only (every percent of every item would drown the terminal).
        if (task.status !== lastLine.split(" ")[1]) this.#say(item, line, { state: task.status, task });
        else this.#o.output.event("item", { line: item.line, key: item.key, state: task.status, task });
        lastLine = line;
      }
      this.#row(item, task.status, task.progress ?? 0);
      if (task.status === "completed") return task;
      if (task.status === "failed") {
        const reason = `task failed (${task.error?.code ?? "no code"}): ${task.error?.message ?? "no reason given"}`;
        this.#o.journal.append({
          event: "failed",
          key: item.key,
          line: item.line,
          id,
          stage: "task",
          reason,
          exitCode: EXIT.taskFailed,
        });
        this.#finish(item, {
          line: item.line,
          key: item.key,
          status: "failed",
          id,
          stage: "task",
          reason,
          exitCode: EXIT.taskFailed,
        });
        return null;
      }
      poll.polls++;
      poll.elapsedMs = this.#now() - started;
      const estimate = task.task_info?.estimated_time;
      if (typeof estimate === "number") poll.estimatedMs = estimate * 1000;
      if ((task.progress ?? 0) > 0) {
        const reading = { atMs: poll.elapsedMs, progress: task.progress ?? 0 };
        poll.firstProgress ??= reading;
        poll.lastProgress = reading;
      }
      await this.#pause(nextPollDelayMs(poll));
    }
  }

  async #pause(ms: number): Promise<void> {
    try {
      await this.#sleep(ms, this.#o.stop);
    } catch {
      throw new Stopped();
    }
  }

  async #download(item: ManifestItem, task: TaskDetail): Promise<void> {
    const { api, journal, stop } = this.#o;
    const destination = item.out ?? path.join(this.#o.outDir, `${task.id}.mp4`);
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    this.#row(item, "download", 0);
    try {
      const result = await api.download(task, destination, {
        signal: stop,
        onProgress: (bytes, total) => this.#row(item, "download", total ? Math.floor((bytes / total) * 100) : 0),
      });
      journal.append({
        event: "downloaded",
        key: item.key,
        line: item.line,
        id: task.id,
        path: result.path,
        bytes: result.bytes,
      });
      this.#finish(item, {
        line: item.line,
        key: item.key,
        status: "done",
        id: task.id,
        path: result.path,
        bytes: result.bytes,
      });
    } catch (error) {
      if (error instanceof APIUserAbortError || stop.aborted) throw new Stopped();
      this.#fail(item, task.id, "download", error);
    }
  }

  #fail(item: ManifestItem, id: string | undefined, stage: FailureStage, error: unknown): void {
    const exitCode = exitCodeFor(error);
    const reason = errorOneLine(error);
    this.#o.journal.append({
      event: "failed",
      key: item.key,
      line: item.line,
      ...(id ? { id } : {}),
      stage,
      reason,
      exitCode,
    });
    this.#finish(item, {
      line: item.line,
      key: item.key,
      status: "failed",
      ...(id ? { id } : {}),
      stage,
      reason,
      exitCode,
    });
  }

  #finish(item: ManifestItem, outcome: ItemOutcome): void {
    this.#outcomes.set(item.key, outcome);
    const bar = this.#rows.get(item.key);
    if (bar) {
      this.#o.output.multiBar().remove(bar);
      this.#rows.delete(item.key);
    }
    const text =
      outcome.status === "done"
        ? `${outcome.skipped ? "already saved" : "saved"} ${outcome.path} (${formatBytes(outcome.bytes ?? 0)})`
        : outcome.status === "interrupted"
          ? `interrupted; ${outcome.id} is still running and will be polled on resume`
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
    if (!this.#o.output.drawsBars) return;
    this.#total = this.#o.output.multiBar().create(total, 0, this.#counts(), {
      format: "batch      [{bar}] {value}/{total} finished | {done} done, {failed} failed, {unknown} unknown",
    });
    this.#tick();
  }

  #counts() {
    return { done: this.#count("done"), failed: this.#count("failed"), unknown: this.#count("unknown") };
  }

  #tick(): void {
    this.#total?.update(this.#outcomes.size, this.#counts());
  }

  #row(item: ManifestItem, status: string, percent: number): void {
    if (!this.#total) return;
    const payload = { line: String(item.line).padStart(4), status: status.padEnd(10) };
    const bar = this.#rows.get(item.key);
    if (bar) bar.update(percent, payload);
    else
      this.#rows.set(
        item.key,
        this.#o.output
          .multiBar()
          .create(100, percent, payload, { format: "line {line}  {status} [{bar}] {percentage}%" }),
      );
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
