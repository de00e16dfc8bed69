/**
 * The batch journal, a JobStore in one append-only NDJSON file: last line per job wins, a torn last line is dropped, a
 * corrupt line is refused with a recovery that does not pay twice; and its lock, taken over atomically.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/exit-codes.js";
import { JournalStore, parseJournal } from "../../src/cli/journal.js";
import { JournalLock, LOCK_STALE_MS } from "../../src/cli/lock.js";
import type { JobSnapshot } from "../../src/index.js";
import { ensureBuilt, ROOT, tempDir } from "./helpers.js";

const dirs: string[] = [];
function journalPath(): string {
  const dir = tempDir("kling-journal-");
  dirs.push(dir);
  return path.join(dir, "nested", "journal.ndjson");
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function snap(id: string, state: JobSnapshot["state"], extra: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    version: 1,
    id,
    state,
    params: { prompt: "p", video_urls: ["https://e.com/a.mp4"] },
    requestIds: [],
    createdAt: 1,
    updatedAt: 1,
    ...extra,
  };
}

/** A pid that existed and has exited: what a SIGKILLed run leaves behind (`true`: a process far cheaper than node). */
function deadPid(): number {
  const { pid, status } = spawnSync("true");
  if (status !== 0 || !pid) throw new Error("could not run `true`");
  return pid;
}

describe("JournalStore", () => {
  it("stores each put as one line; the last line of a job wins; a delete is a line too", async () => {
    const file = journalPath();
    const j = JournalStore.open(file);
    await j.put(snap("a", "submitting"));
    await j.put(snap("b", "submitting"));
    await j.put(snap("a", "submitted", { taskId: "task-unified-1-a" }));
    await j.delete("b");
    j.close();
    expect(fs.readFileSync(file, "utf8").split("\n")).toHaveLength(5);
    const again = JournalStore.open(file);
    expect(again.linesAtOpen).toBe(4);
    expect(await again.get("a")).toMatchObject({ state: "submitted", taskId: "task-unified-1-a" });
    expect(await again.get("b")).toBeUndefined();
    expect((await again.list({ state: "submitted" })).map((s) => s.id)).toEqual(["a"]);
    expect(again.droppedTornLine).toBe(false);
    again.close();
  });

  it("drops a torn last line, and the next line starts on a line of its own", async () => {
    const file = journalPath();
    const j = JournalStore.open(file);
    await j.put(snap("a", "submitting"));
    j.close();
    fs.appendFileSync(file, '{"version":1,"id":"a","state":"subm');
    const resumed = JournalStore.open(file);
    expect(resumed.droppedTornLine).toBe(true);
    expect(await resumed.get("a")).toMatchObject({ state: "submitting" });
    await resumed.put(snap("a", "unknown"));
    resumed.close();
    const { jobs, torn } = parseJournal(fs.readFileSync(file, "utf8"));
    expect(torn).toBe(false);
    expect(jobs.get("a")?.state).toBe("unknown");
  });

  it("scrubs every line before it reaches the disk", async () => {
    const file = journalPath();
    const j = JournalStore.open(file, { scrub: (t) => t.replaceAll("sk-SECRET", "***") });
    await j.put(snap("a", "failed", { error: { name: "E", message: "echoed sk-SECRET", phase: "wait" } }));
    j.close();
    expect(fs.readFileSync(file, "utf8")).not.toContain("sk-SECRET");
  });

  // Issue 11, item 21: the message said "use another --journal", which submits (and bills) every item again.
  it("refuses a corrupt line in the middle, naming it and saying how to recover without paying again", () => {
    const text = `${JSON.stringify(snap("a", "submitting"))}\nhello\n${JSON.stringify(snap("a", "submitted"))}\n`;
    let error: unknown;
    try {
      parseJournal(text, "j.ndjson");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const all = [(error as UsageError).message, ...(error as UsageError).problems].join("\n");
    expect(all).toMatch(/j\.ndjson line 2 is not a job record/);
    expect(all).toContain("Do not start a new journal");
    expect(all).toContain("sed -i '2d' j.ndjson");
    expect(all).not.toContain("use another --journal");
  });
});

describe("JournalLock", () => {
  it("is held while the journal is open; another live holder is refused, naming the lock file", () => {
    const file = journalPath();
    const j = JournalStore.open(file);
    const lock = `${file}.lock`;
    expect(JSON.parse(fs.readFileSync(lock, "utf8"))).toMatchObject({ pid: process.pid, host: os.hostname() });
    j.close();
    expect(fs.existsSync(lock)).toBe(false);
    // Another live process holds it (the test runner's parent), touched just now.
    fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), token: "t", since: "then" }));
    expect(() => JournalStore.open(file)).toThrow(UsageError);
    expect(() => JournalStore.open(file)).toThrow(`lock file: ${lock}`);
  });

  it("takes over a lock left by a process that has exited", () => {
    const file = journalPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: deadPid(), host: os.hostname(), token: "t", since: "x" }));
    const taken = JournalStore.open(file);
    expect(JSON.parse(fs.readFileSync(`${file}.lock`, "utf8")).pid).toBe(process.pid);
    taken.close();
  });

  // Issue 11, item 20: a lock naming a pid that another, unrelated process now has blocked the batch until the lock
  // was deleted by hand. A holder touches its lock; one untouched for LOCK_STALE_MS is stale, whoever has its pid.
  it("takes over a lock whose pid was reused by another process, once it is no longer touched", () => {
    const file = journalPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const lock = `${file}.lock`;
    fs.writeFileSync(lock, String(process.ppid)); // the old format: a bare pid, alive (reused)
    const old = new Date(Date.now() - LOCK_STALE_MS - 5_000);
    fs.utimesSync(lock, old, old);
    const taken = JournalStore.open(file);
    expect(JSON.parse(fs.readFileSync(lock, "utf8")).pid).toBe(process.pid);
    taken.close();
  });

  it("is released only by its holder", () => {
    const file = journalPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const lock = JournalLock.acquire(`${file}.lock`, "x");
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: 1, host: "elsewhere", token: "other", since: "x" }));
    lock.release();
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
  });
});

describe("JournalLock under concurrent processes", () => {
  beforeAll(ensureBuilt, 120_000);

  // Issue 11, item 20: two processes taking over the same stale lock both held it (17 of 30 trials). Each trial seeds
  // a stale lock (its holder exited); 4 processes try to take it in the same time slot and keep what they win.
  it("a stale lock taken over by 4 processes at once has exactly one holder, in every trial", async () => {
    const dir = tempDir("kling-lock-race-");
    dirs.push(dir);
    const trials = 30;
    const dead = deadPid();
    for (let i = 0; i < trials; i++) {
      fs.writeFileSync(path.join(dir, `${i}.lock`), JSON.stringify({ pid: dead, host: os.hostname(), token: "dead" }));
    }
    const script = path.join(ROOT, "test/cli/lock-race.mjs");
    const lockModule = path.join(ROOT, "dist/src/cli/lock.js");
    // Each process says when it is loaded and when it has tried every trial; the slots start once all are loaded,
    // and the locks are let go once all are done (no guess at how long start-up takes on a loaded machine).
    const children = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, [script, lockModule, dir, String(trials), "-", "40"], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      let stdout = "";
      const waiting = new Map<string, () => void>();
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        for (const [word, resolve] of waiting) if (stdout.split("\n").includes(word)) resolve();
      });
      const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
      const said = (word: string) =>
        Promise.race([
          new Promise<void>((resolve) => waiting.set(word, resolve)),
          closed.then((code) => Promise.reject(new Error(`exited ${code} before "${word}"; stdout: ${stdout}`))),
        ]);
      return { child, ready: said("ready"), done: said("done"), closed, stdout: () => stdout };
    });
    await Promise.all(children.map((c) => c.ready));
    const startAt = Date.now() + 100;
    for (const { child } of children) child.stdin.write(`${startAt}\n`);
    await Promise.all(children.map((c) => c.done));
    for (const { child } of children) child.stdin.end();
    expect(await Promise.all(children.map((c) => c.closed))).toEqual([0, 0, 0, 0]);
    const winners = new Map<number, number>();
    for (const { stdout } of children) {
      for (const line of stdout()
        .split("\n")
        .filter((l) => /^\d+$/.test(l)))
        winners.set(Number(line), (winners.get(Number(line)) ?? 0) + 1);
    }
    for (let i = 0; i < trials; i++) expect(winners.get(i) ?? 0, `trial ${i}`).toBe(1);
  }, 60_000);
});
