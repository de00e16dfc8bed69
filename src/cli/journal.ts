/**
 * The batch journal: a {@link JobStore} in one append-only NDJSON file, so a batch that dies (Ctrl-C, SIGKILL, power
 * loss) resumes where it stopped without submitting anything twice (a duplicate is a second bill).
 *
 * Format: one line per stored step, each a job snapshot (`job.toJSON()`), or `{"id", "deleted": true}` when a job is
 * forgotten (its create was refused: nothing exists). The last line of an id wins.
 *
 * Crash safety: each line is one `write` followed by `fsync` before `put` resolves, and the client stores a step before
 * acting on it (`submitting` is on disk before the create leaves), so the journal never claims less than happened.
 * Lines are only ever appended: a crash can leave at most a torn last line (no newline), which opening drops. Every
 * other line is complete, so the worst a crash costs is the step being written, whose action had not started.
 * A lock (lock.ts) keeps a second run off the journal.
 */
import fs from "node:fs";
import path from "node:path";
import type { JobSnapshot, JobState, JobStore } from "../index.js";
import { UsageError } from "./exit-codes.js";
import { JournalLock } from "./lock.js";

/** A tombstone: the job was forgotten. */
interface Deleted {
  id: string;
  deleted: true;
  at: string;
}

function isSnapshot(value: unknown): value is JobSnapshot {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === "string" && typeof v.state === "string" && typeof v.version === "number";
}

function isDeleted(value: unknown): value is Deleted {
  return typeof value === "object" && value !== null && (value as Deleted).deleted === true;
}

/** Makes a rename or a new entry in `dir` durable (fsync of the folder); a no-op where a folder cannot be opened. */
export function fsyncDirectory(dir: string): void {
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

/** Parses journal text: the jobs by id (last line wins); a missing newline at the end marks a torn last line. */
export function parseJournal(
  text: string,
  file = "journal",
): { jobs: Map<string, JobSnapshot>; lines: number; validLength: number; torn: boolean } {
  const jobs = new Map<string, JobSnapshot>();
  const complete = text.endsWith("\n") || text === "" ? text : text.slice(0, text.lastIndexOf("\n") + 1);
  const torn = complete.length !== text.length;
  const lines = complete.split("\n");
  lines.pop(); // the empty string after the last newline
  let count = 0;
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = null;
    }
    if (isDeleted(value)) jobs.delete(value.id);
    else if (isSnapshot(value)) jobs.set(value.id, value);
    else throw corrupt(file, index + 1);
    count++;
  });
  return { jobs, lines: count, validLength: Buffer.byteLength(complete), torn };
}

/** The journal is damaged in the middle: say how to go on without paying again (issue 11, item 21). */
function corrupt(file: string, line: number): UsageError {
  return new UsageError(`${file} line ${line} is not a job record (the file was edited, or the disk damaged it).`, [
    "Nothing was sent. Do not start a new journal: it would submit every item again, and each duplicate is billed.",
    `Keep a copy (cp ${file} ${file}.bak), then delete line ${line} only (sed -i '${line}d' ${file}) and run the same`,
    "command again: every other line is intact, so items with a task are polled, not resubmitted. An item whose only",
    "record was that line is submitted again; if its task id matters, look for it in your account first.",
  ]);
}

/** An open journal: a locked {@link JobStore} over one NDJSON file. */
export class JournalStore implements JobStore {
  /** The journal's absolute path. */
  readonly file: string;
  /** Whether a torn last line (from a crash mid-write) was found and dropped. */
  readonly droppedTornLine: boolean;
  /** How many lines the journal had when it was opened (0: a new journal). */
  readonly linesAtOpen: number;
  readonly #jobs: Map<string, JobSnapshot>;
  readonly #lock: JournalLock;
  readonly #scrub: (text: string) => string;
  #fd: number | null;

  private constructor(
    file: string,
    fd: number,
    parsed: { jobs: Map<string, JobSnapshot>; lines: number; torn: boolean },
    lock: JournalLock,
    scrub: (text: string) => string,
  ) {
    this.file = file;
    this.#fd = fd;
    this.#jobs = parsed.jobs;
    this.linesAtOpen = parsed.lines;
    this.droppedTornLine = parsed.torn;
    this.#lock = lock;
    this.#scrub = scrub;
  }

  /**
   * Opens (or creates) a journal: takes its lock (`<file>.lock`), reads it, drops a torn last line. `scrub` cleans
   * each line before it is written (the API key must never reach the disk).
   */
  static open(file: string, options: { scrub?: (text: string) => string } = {}): JournalStore {
    const absolute = path.resolve(file);
    fs.mkdirSync(path.dirname(absolute), { recursive: true });
    const lock = JournalLock.acquire(`${absolute}.lock`, `the journal ${absolute}`);
    try {
      const existed = fs.existsSync(absolute);
      const fd = fs.openSync(absolute, "a+", 0o600);
      try {
        const parsed = parseJournal(fs.readFileSync(absolute, "utf8"), absolute);
        if (parsed.torn) {
          // Drop the partial line so the next record does not get glued onto it.
          fs.ftruncateSync(fd, parsed.validLength);
          fs.fsyncSync(fd);
        }
        if (!existed) fsyncDirectory(path.dirname(absolute));
        return new JournalStore(absolute, fd, parsed, lock, options.scrub ?? ((t) => t));
      } catch (error) {
        fs.closeSync(fd);
        throw error;
      }
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  #append(value: JobSnapshot | Deleted): void {
    if (this.#fd === null) throw new Error(`the journal ${this.file} is closed`);
    if (this.#lock.lost) throw new Error(`${this.#lock.lost}: stopped writing to ${this.file}`);
    fs.writeSync(this.#fd, `${this.#scrub(JSON.stringify(value))}\n`);
    fs.fsyncSync(this.#fd);
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    const job = this.#jobs.get(id);
    return job === undefined ? undefined : structuredClone(job);
  }

  async put(job: JobSnapshot): Promise<void> {
    this.#append(job);
    this.#jobs.set(job.id, structuredClone(job));
  }

  async list(filter?: { state?: JobState | readonly JobState[] }): Promise<JobSnapshot[]> {
    const states = filter?.state === undefined ? null : ([] as JobState[]).concat(filter.state);
    return [...this.#jobs.values()]
      .filter((j) => states === null || states.includes(j.state))
      .map((j) => structuredClone(j));
  }

  async delete(id: string): Promise<void> {
    if (!this.#jobs.has(id)) return;
    this.#append({ id, deleted: true, at: new Date().toISOString() });
    this.#jobs.delete(id);
  }

  /** Every job id the journal holds. */
  ids(): string[] {
    return [...this.#jobs.keys()];
  }

  /** Closes the file and releases the lock. */
  close(): void {
    if (this.#fd === null) return;
    fs.closeSync(this.#fd);
    this.#fd = null;
    this.#lock.release();
  }
}
