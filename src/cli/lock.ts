/**
 * The batch journal's lock: one `kling-edit batch` per journal, whatever happens to the processes.
 *
 * - Taking it is atomic: the lock file is written in full under a temporary name, then `link`ed to its place, which
 *   fails if a lock is there (the `O_EXCL` of a complete file: no reader ever sees a half-written lock).
 * - A holder proves it is alive by touching the lock every {@link LOCK_HEARTBEAT_MS}. A lock is stale when its holder
 *   has stopped doing so for {@link LOCK_STALE_MS}, or at once when it was taken on this host by a process that no
 *   longer exists (a SIGKILL, a crash). A pid alone is never trusted to mean "alive": pids are reused.
 * - Taking over a stale lock is serialised by a second lock (`<lock>.takeover`, also `O_EXCL`), under which the taker
 *   reads the lock again and removes it only if it is still the same stale one. Without that, two processes that saw
 *   the same stale lock could both remove it and both go on (proper-lockfile 4.1.2 has exactly this race: its issue
 *   #121). A takeover lock left by a process that died in the few milliseconds it holds one is removed after
 *   {@link TAKEOVER_STALE_MS}.
 * - The holder checks at each heartbeat that the lock is still its own; if another process took it over (this one
 *   was frozen longer than {@link LOCK_STALE_MS}), {@link JournalLock.lost} says so and the journal stops writing.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { UsageError } from "./exit-codes.js";

/** How often the holder touches its lock, in ms. */
export const LOCK_HEARTBEAT_MS = 5_000;
/** A lock not touched for this long is stale, whatever process holds its pid now, in ms. */
export const LOCK_STALE_MS = 30_000;
/** A takeover lock older than this was left by a process that died mid-takeover, in ms. */
export const TAKEOVER_STALE_MS = 5_000;
/** How many times taking the lock is tried when it keeps changing under us. */
const ATTEMPTS = 50;

/** What a lock file holds. */
interface LockInfo {
  pid: number;
  host: string;
  token: string;
  since: string;
}

function readInfo(file: string): { info: LockInfo | null; mtimeMs: number } | undefined {
  try {
    const stat = fs.statSync(file);
    let info: LockInfo | null = null;
    try {
      const value = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockInfo>;
      if (typeof value.token === "string" && typeof value.pid === "number") info = value as LockInfo;
    } catch {
      info = null; // not ours, or from an older version (a bare pid): judged by its age alone
    }
    return { info, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // it exists, someone else's
  }
}

/** Why a lock is stale, or null when its holder may be alive. */
function staleness(found: { info: LockInfo | null; mtimeMs: number }, now: number): string | null {
  const age = now - found.mtimeMs;
  if (age > LOCK_STALE_MS) return `not touched for ${Math.round(age / 1000)} s`;
  const info = found.info;
  if (info && info.host === os.hostname() && info.pid !== process.pid && !processExists(info.pid))
    return `process ${info.pid} has exited`;
  return null;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A held lock. */
export class JournalLock {
  readonly #file: string;
  readonly #token: string;
  readonly #timer: ReturnType<typeof setInterval>;
  #lost: string | null = null;
  #released = false;

  private constructor(file: string, token: string) {
    this.#file = file;
    this.#token = token;
    this.#timer = setInterval(() => this.#beat(), LOCK_HEARTBEAT_MS);
    this.#timer.unref();
  }

  /** The lock file's path. */
  get file(): string {
    return this.#file;
  }

  /** Why the lock is no longer ours (another process took it over), or null while it is. */
  get lost(): string | null {
    return this.#lost;
  }

  #beat(): void {
    if (this.#released || this.#lost) return;
    const found = readInfo(this.#file);
    if (found?.info?.token !== this.#token) {
      this.#lost = `another process took over the lock ${this.#file}`;
      return;
    }
    const now = new Date();
    try {
      fs.utimesSync(this.#file, now, now);
    } catch {
      // The next beat tries again; a lock left untouched for LOCK_STALE_MS may be taken over, and then `lost` says so.
    }
  }

  /**
   * Takes the lock at `file`, or throws a `UsageError` naming the holder and the lock file. `what` names the locked
   * thing in the message.
   */
  static acquire(file: string, what: string): JournalLock {
    const token = `${process.pid}-${randomBytes(8).toString("hex")}`;
    const info: LockInfo = { pid: process.pid, host: os.hostname(), token, since: new Date().toISOString() };
    const temp = `${file}.${token}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(info)}\n`, { mode: 0o644, flag: "wx" });
    try {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        try {
          placeLock(temp, file, info);
          return new JournalLock(file, token);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        const found = readInfo(file);
        if (found === undefined) continue; // released meanwhile: try again
        const why = staleness(found, Date.now());
        if (why === null) throw heldError(file, what, found);
        takeOver(file, found, why);
      }
      throw new UsageError(`could not take the lock ${file} of ${what}: it kept changing; try again`);
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }

  /** Releases the lock (only if it is still ours). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#timer);
    if (readInfo(this.#file)?.info?.token === this.#token) fs.rmSync(this.#file, { force: true });
  }
}

/** Hard links where the file system has them; else an `O_EXCL` create (a reader may see it empty for a moment). */
function placeLock(temp: string, file: string, info: LockInfo): void {
  try {
    fs.linkSync(temp, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
    fs.writeFileSync(file, `${JSON.stringify(info)}\n`, { mode: 0o644, flag: "wx" });
  }
}

/** Removes a stale lock, unless it changed since it was judged stale; serialised by the takeover lock. */
function takeOver(file: string, judged: { info: LockInfo | null; mtimeMs: number }, _why: string): void {
  const takeover = `${file}.takeover`;
  try {
    fs.closeSync(fs.openSync(takeover, "wx"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Someone else is taking it over: let them finish (or, if they died doing it, clear their takeover lock).
    const age = Date.now() - (fs.statSync(takeover, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > TAKEOVER_STALE_MS) fs.rmSync(takeover, { force: true });
    else sleepSync(10);
    return;
  }
  try {
    const now = readInfo(file);
    const same =
      now !== undefined && now.mtimeMs === judged.mtimeMs && (now.info?.token ?? null) === (judged.info?.token ?? null);
    if (same) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(takeover, { force: true });
  }
}

function heldError(file: string, what: string, found: { info: LockInfo | null; mtimeMs: number }): UsageError {
  const who = found.info ? `pid ${found.info.pid} on ${found.info.host}, since ${found.info.since}` : "unknown process";
  const seen = Math.max(0, Math.round((Date.now() - found.mtimeMs) / 1000));
  return new UsageError(
    `another kling-edit batch (${who}; alive ${seen} s ago) is using ${what}; lock file: ${file}\n` +
      `  Wait for it to finish. If no batch is running (it was on another machine, or it froze), the lock is taken ` +
      `over once it has not been touched for ${LOCK_STALE_MS / 1000} s: run the same command again then.`,
  );
}
