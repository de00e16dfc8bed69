/**
 * src/cli/lock.ts: one holder per lock file. A live holder (touched recently) is refused with a usage error naming
 * it, the lock file and the rule; a stale lock (its process exited on this host, or untouched for LOCK_STALE_MS) is
 * taken over, and a takeover lock left by a dead taker is cleared; the holder's heartbeat keeps the lock fresh and
 * notices when it was taken over. In-process, on real files; the heartbeat's interval is a fake timer. Elsewhere:
 * several processes racing for one stale lock (test/cli/journal.test.ts). Not tested: acquire giving up behind a
 * fresh takeover lock, which sleeps 50 x 10 ms for real.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/cli/exit-codes.js";
import { JournalLock, LOCK_HEARTBEAT_MS, LOCK_STALE_MS, TAKEOVER_STALE_MS } from "../../src/cli/lock.js";

let dir: string;
let counter = 0;
const held: JournalLock[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-lock-"));
});
afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
  vi.useRealTimers();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const lockPath = () => path.join(dir, `journal-${++counter}.ndjson.lock`);
const acquire = (file: string) => {
  const lock = JournalLock.acquire(file, "the journal j.ndjson");
  held.push(lock);
  return lock;
};
const readLock = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
/** A pid that existed a moment ago and has exited. */
const deadPid = () => spawnSync("true").pid as number;
/** Writes a lock as another holder would, `ageMs` since it was last touched. */
function plant(file: string, content: Record<string, unknown> | string, ageMs = 0): void {
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  const at = new Date(Date.now() - ageMs);
  fs.utimesSync(file, at, at);
}
const refusal = (file: string): UsageError => {
  try {
    acquire(file);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("the lock was taken");
};

describe("JournalLock.acquire", () => {
  it("writes who holds it, leaves no temporary file, and release removes it", () => {
    const file = lockPath();
    const lock = acquire(file);
    expect(lock.file).toBe(file);
    expect(lock.lost).toBeNull();
    expect(readLock(file)).toEqual({
      pid: process.pid,
      host: os.hostname(),
      token: expect.stringMatching(new RegExp(`^${process.pid}-[0-9a-f]{16}$`)),
      since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(file)))).toEqual([path.basename(file)]);
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    lock.release(); // twice is harmless
  });

  it("two holders: the second is refused, naming the holder, the locked thing, the lock file and when it frees", () => {
    const file = lockPath();
    acquire(file);
    const before = fs.readFileSync(file, "utf8");
    const error = refusal(file);
    expect(error.message).toContain(`pid ${process.pid} on ${os.hostname()}`);
    expect(error.message).toContain("is using the journal j.ndjson; lock file: ");
    expect(error.message).toContain(file);
    expect(error.message).toContain(`not been touched for ${LOCK_STALE_MS / 1000} s`);
    expect(fs.readFileSync(file, "utf8")).toBe(before);
  });

  it("is free again once released", () => {
    const file = lockPath();
    acquire(file).release();
    const again = acquire(file);
    expect(again.lost).toBeNull();
    expect(readLock(file).pid).toBe(process.pid);
  });

  it("takes over a lock whose process on this host has exited, however recently it was touched", () => {
    const file = lockPath();
    plant(file, { pid: deadPid(), host: os.hostname(), token: "dead", since: "earlier" });
    acquire(file);
    expect(readLock(file)).toMatchObject({ pid: process.pid });
  });

  it("refuses a recent lock of another host even if its pid is not running here (pids are per host)", () => {
    const file = lockPath();
    plant(file, { pid: deadPid(), host: "build-box-2", token: "t", since: "then" }, 1_000);
    expect(refusal(file).message).toMatch(
      /another kling-edit batch \(pid \d+ on build-box-2, since then; alive [12] s ago\)/,
    );
  });

  it("takes over a lock untouched for longer than LOCK_STALE_MS, whoever holds its pid now", () => {
    const file = lockPath();
    plant(file, { pid: process.ppid, host: "build-box-2", token: "t", since: "then" }, LOCK_STALE_MS + 2_000);
    acquire(file);
    expect(readLock(file).pid).toBe(process.pid);
  });

  it("judges a lock it cannot parse (an older version's bare pid) by its age alone", () => {
    const fresh = lockPath();
    plant(fresh, "12345\n");
    expect(refusal(fresh).message).toContain("(unknown process; alive 0 s ago)");
    const old = lockPath();
    plant(old, "12345\n", LOCK_STALE_MS + 2_000);
    acquire(old);
    expect(readLock(old).pid).toBe(process.pid);
  });

  it("clears a takeover lock left by a process that died mid-takeover, then takes the stale lock", () => {
    const file = lockPath();
    plant(file, { pid: deadPid(), host: os.hostname(), token: "dead", since: "x" });
    plant(`${file}.takeover`, "", TAKEOVER_STALE_MS + 1_000);
    acquire(file);
    expect(readLock(file).pid).toBe(process.pid);
    expect(fs.existsSync(`${file}.takeover`)).toBe(false);
  });
});

describe("JournalLock heartbeat", () => {
  it("touches the lock every LOCK_HEARTBEAT_MS, so a live holder never looks stale", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const file = lockPath();
    acquire(file);
    const old = new Date(Date.now() - LOCK_STALE_MS + 1_000);
    fs.utimesSync(file, old, old);
    vi.advanceTimersByTime(LOCK_HEARTBEAT_MS);
    expect(Date.now() - fs.statSync(file).mtimeMs).toBeLessThan(LOCK_STALE_MS / 2);
  });

  it("notices when another process took the lock over, and then leaves that process's lock alone", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const file = lockPath();
    const lock = acquire(file);
    const theirs = { pid: 1, host: "elsewhere", token: "theirs", since: "now" };
    plant(file, theirs, 60_000);
    vi.advanceTimersByTime(LOCK_HEARTBEAT_MS);
    expect(lock.lost).toBe(`another process took over the lock ${file}`);
    // Lost: the heartbeat no longer touches a lock that is not ours.
    expect(Date.now() - fs.statSync(file).mtimeMs).toBeGreaterThanOrEqual(59_000);
    lock.release();
    expect(readLock(file)).toEqual(theirs);
  });

  it("a lock removed under its holder is lost too", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const file = lockPath();
    const lock = acquire(file);
    fs.rmSync(file);
    vi.advanceTimersByTime(LOCK_HEARTBEAT_MS);
    expect(lock.lost).toMatch(/took over the lock/);
  });

  it("stops beating once released", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const file = lockPath();
    acquire(file).release();
    expect(vi.getTimerCount()).toBe(0);
  });
});
