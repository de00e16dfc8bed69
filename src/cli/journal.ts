/**
 * The batch journal: an append-only NDJSON file recording every step of every item, so a batch that dies (Ctrl-C,
 * SIGKILL, power loss) resumes where it stopped without submitting anything twice (a duplicate is a second bill).
 *
 * Crash safety: each record is one `write` of one line followed by `fsync`, and a step is journaled BEFORE the action
 * it announces (`submitting` before the create request), so the journal never claims less than happened. A crash
 * can leave at most a torn last line (no newline); opening the journal drops it. A lock file stops two runs from
 * sharing a journal; a lock left by a process that no longer exists (a SIGKILL) is taken over.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "./exit-codes.js";

/** Where an item's failure happened: `create` and `wait`/`download` failures are retried by the next run. */
export type FailureStage = "create" | "task" | "wait" | "download";

/** One journal line. `key` is the manifest item's identity, `line` its line number when it was written. */
export type JournalRecord = { key: string; line: number; at: string } & (
  | { event: "submitting" }
  | { event: "submitted"; id: string }
  /** The API answered the create request with an error: nothing was created, so submitting again is safe. */
  | { event: "refused"; status: number; reason: string }
  | { event: "completed"; id: string }
  | { event: "downloaded"; id: string; path: string; bytes: number }
  | { event: "failed"; id?: string; stage: FailureStage; reason: string; exitCode: number }
  /** The create request's outcome is unknown (connection lost or timed out after it was sent). */
  | { event: "unknown"; reason: string }
);

/** A journal record before its timestamp is added. */
export type NewJournalRecord = JournalRecord extends infer R
  ? R extends JournalRecord
    ? Omit<R, "at">
    : never
  : never;

/** An item's state after replaying its records. */
export interface ItemState {
  /** `submitting` with no id means the process died mid-request: the outcome is unknown. */
  phase: "new" | "submitting" | "submitted" | "completed" | "downloaded" | "failed" | "unknown";
  id?: string;
  path?: string;
  bytes?: number;
  stage?: FailureStage;
  reason?: string;
  exitCode?: number;
}

/** Replays records into each item's latest state. */
export function replay(records: readonly JournalRecord[]): Map<string, ItemState> {
  const states = new Map<string, ItemState>();
  for (const r of records) {
    const prev = states.get(r.key) ?? { phase: "new" };
    const id = "id" in r && r.id ? r.id : prev.id;
    const base: ItemState = id === undefined ? { phase: prev.phase } : { phase: prev.phase, id };
    switch (r.event) {
      case "submitting":
        states.set(r.key, { ...base, phase: "submitting" });
        break;
      case "submitted":
        states.set(r.key, { ...base, phase: "submitted" });
        break;
      case "refused":
        states.set(r.key, { ...base, phase: "new", reason: r.reason });
        break;
      case "completed":
        states.set(r.key, { ...base, phase: "completed" });
        break;
      case "downloaded":
        states.set(r.key, { ...base, phase: "downloaded", path: r.path, bytes: r.bytes });
        break;
      case "failed":
        states.set(r.key, { ...base, phase: "failed", stage: r.stage, reason: r.reason, exitCode: r.exitCode });
        break;
      case "unknown":
        states.set(r.key, { ...base, phase: "unknown", reason: r.reason });
        break;
    }
  }
  return states;
}

function isRecord(value: unknown): value is JournalRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.key === "string" && typeof r.event === "string" && typeof r.line === "number";
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function fsyncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some platforms (Windows) cannot open a directory; the file's own fsync still holds.
  }
}

/** An open journal, locked for this process. */
export class Journal {
  /** The records found when it was opened. */
  readonly records: JournalRecord[];
  /** Whether a torn last line (from a crash mid-write) was found and dropped. */
  readonly droppedTornLine: boolean;
  private fd: number | null;
  private readonly lockPath: string;

  private constructor(
    readonly file: string,
    fd: number,
    records: JournalRecord[],
    droppedTornLine: boolean,
    lockPath: string,
  ) {
    this.fd = fd;
    this.records = records;
    this.droppedTornLine = droppedTornLine;
    this.lockPath = lockPath;
  }

  /** Opens (or creates) a journal: takes its lock, reads it, drops a torn last line. */
  static open(file: string): Journal {
    const absolute = path.resolve(file);
    fs.mkdirSync(path.dirname(absolute), { recursive: true });
    const lockPath = `${absolute}.lock`;
    takeLock(lockPath);
    try {
      const existed = fs.existsSync(absolute);
      const fd = fs.openSync(absolute, "a+");
      const text = fs.readFileSync(absolute, "utf8");
      const { records, validLength, torn } = parseJournal(text, absolute);
      if (torn) {
        // Drop the partial line so the next record does not get glued onto it.
        fs.ftruncateSync(fd, validLength);
        fs.fsyncSync(fd);
      }
      if (!existed) fsyncDirectory(path.dirname(absolute));
      return new Journal(absolute, fd, records, torn, lockPath);
    } catch (error) {
      fs.rmSync(lockPath, { force: true });
      throw error;
    }
  }

  /** Appends one record and makes it durable before returning. */
  append(record: NewJournalRecord): JournalRecord {
    if (this.fd === null) throw new Error("journal is closed");
    const full = { ...record, at: new Date().toISOString() } as JournalRecord;
    fs.writeSync(this.fd, `${JSON.stringify(full)}\n`);
    fs.fsyncSync(this.fd);
    this.records.push(full);
    return full;
  }

  /** Closes the file and releases the lock. */
  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
    fs.rmSync(this.lockPath, { force: true });
  }
}

/** Parses journal text: a missing newline at the end marks a torn last line, which is dropped. */
export function parseJournal(
  text: string,
  file = "journal",
): { records: JournalRecord[]; validLength: number; torn: boolean } {
  const records: JournalRecord[] = [];
  const complete = text.endsWith("\n") || text === "" ? text : text.slice(0, text.lastIndexOf("\n") + 1);
  const torn = complete.length !== text.length;
  const lines = complete.split("\n");
  lines.pop(); // the empty string after the last newline
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = null;
    }
    if (!isRecord(value)) {
      throw new UsageError(
        `${file} line ${index + 1} is not a journal record; the file was edited or is not a kling-edit journal (use another --journal)`,
      );
    }
    records.push(value);
  });
  return { records, validLength: Buffer.byteLength(complete), torn };
}

function takeLock(lockPath: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number.parseInt(fs.readFileSync(lockPath, "utf8"), 10);
      // An empty lock younger than a few seconds is being written by a starting process.
      const starting = !Number.isInteger(pid) && Date.now() - fs.statSync(lockPath).mtimeMs < 5000;
      if (starting || (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processExists(pid))) {
        throw new UsageError(
          `another kling-edit batch (pid ${starting ? "starting" : pid}) is using this journal (${lockPath}); wait for it to finish`,
        );
      }
      // Left by a process that died (SIGKILL, power loss): take it over.
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new UsageError(`could not lock ${lockPath}`);
}
