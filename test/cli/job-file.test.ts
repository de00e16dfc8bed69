/**
 * src/cli/job-file.ts: `status|wait|download` take a job file (one `job.toJSON()`) in place of a task id. Which
 * arguments are job files; what is refused as one (missing, corrupt, truncated, not a job), with a usage error naming
 * the file; and the store over it: its one job only, written back atomically (no temporary file left, the old content
 * intact when the write fails), scrubbed, never deleted.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/cli/exit-codes.js";
import { isJobFileArgument, jobFileStore, readJobFile } from "../../src/cli/job-file.js";
import type { JobSnapshot } from "../../src/index.js";

// The real functions, for the spies that record the order of a write's steps.
const { openSync, fsyncSync, renameSync } = fs;

let dir: string;
let counter = 0;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-job-file-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function job(overrides: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    version: 1,
    id: "job-1",
    state: "submitted",
    params: { prompt: "Make it cinematic", video_urls: ["https://e.com/in.mp4"] },
    taskId: "task-unified-1-abc",
    requestIds: ["req-1"],
    createdAt: 1,
    updatedAt: 2,
    ...overrides,
  } as JobSnapshot;
}

/** Writes `text` to a new file in the test folder and returns its path. */
function file(text: string, name = `job-${++counter}.json`): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

const usageError = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error("expected a UsageError");
};

describe("isJobFileArgument", () => {
  it("a task id is not a job file; a .json path is, even before it exists; so is any existing file", () => {
    expect(isJobFileArgument("task-unified-1757169743-7cvnl5zw")).toBe(false);
    expect(isJobFileArgument(path.join(dir, "not-yet.json"))).toBe(true);
    expect(isJobFileArgument(file("{}", "saved-job"))).toBe(true);
  });

  it("a folder is not a job file (unless it is named .json, which then fails to read as one)", () => {
    expect(isJobFileArgument(dir)).toBe(false);
  });
});

describe("readJobFile", () => {
  it("reads the job a file holds", () => {
    expect(readJobFile(file(JSON.stringify(job())))).toEqual(job());
  });

  it.each<[string, string, RegExp]>([
    ["an empty file", "", /is not a job file: not JSON/],
    ["a truncated file", JSON.stringify(job()).slice(0, 40), /is not a job file: not JSON/],
    ["a corrupt file", "\u0000\u0001garbage", /is not a job file: not JSON/],
    ["JSON null", "null", /no job id and state/],
    ["a JSON array", "[]", /no job id and state/],
    ["an object without a state", JSON.stringify({ id: "job-1" }), /no job id and state/],
    ["an id that is not a string", JSON.stringify({ id: 7, state: "new" }), /no job id and state/],
  ])("refuses %s, naming the file and what a job file is", (_name, text, message) => {
    const p = file(text);
    const error = usageError(() => readJobFile(p));
    expect(error.message).toMatch(message);
    expect(error.message).toContain(p);
    expect(error.message).toContain("job.toJSON()");
  });

  it("refuses a file it cannot read, with the system's reason", () => {
    const missing = path.join(dir, "missing.json");
    expect(usageError(() => readJobFile(missing)).message).toMatch(
      new RegExp(`^cannot read the job file ${missing}: ENOENT`),
    );
    const folder = path.join(dir, "folder.json");
    fs.mkdirSync(folder);
    expect(isJobFileArgument(folder)).toBe(true);
    expect(usageError(() => readJobFile(folder)).message).toMatch(/cannot read the job file .*EISDIR/);
  });
});

describe("jobFileStore", () => {
  it("holds the file's one job: get and list give copies; another id is not there", async () => {
    const store = jobFileStore(file(JSON.stringify(job())));
    const got = await store.get("job-1");
    expect(got).toEqual(job());
    (got as JobSnapshot).state = "failed";
    expect((await store.get("job-1"))?.state).toBe("submitted");
    expect(await store.get("job-2")).toBeUndefined();
    expect(await store.list()).toEqual([job()]);
    expect(await store.list({ state: "submitted" })).toEqual([job()]);
    expect(await store.list({ state: ["completed", "submitted"] })).toEqual([job()]);
    expect(await store.list({ state: "completed" })).toEqual([]);
  });

  it("refuses to open a file that is not a job file", () => {
    const p = file("{not json");
    expect(() => jobFileStore(p)).toThrow(UsageError);
  });

  it("writes each step back to the file, pretty and newline-ended, leaving no temporary file", async () => {
    const p = file(JSON.stringify(job()));
    const store = jobFileStore(path.relative(process.cwd(), p));
    await store.put(job({ state: "completed", updatedAt: 3 }));
    const text = fs.readFileSync(p, "utf8");
    expect(text).toBe(`${JSON.stringify(job({ state: "completed", updatedAt: 3 }), null, 2)}\n`);
    expect(readJobFile(p).state).toBe("completed");
    expect((await store.get("job-1"))?.state).toBe("completed");
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    // Written through a new file (the rename), readable by its owner only.
    expect(fs.statSync(p).mode & 0o777).toBe(0o600);
  });

  it("makes the rename durable: the file is fsynced before it, the folder after it", async () => {
    const p = file(JSON.stringify(job()));
    const store = jobFileStore(p);
    const fds = new Map<number, string>();
    const steps: string[] = [];
    const spies = [
      vi.spyOn(fs, "openSync").mockImplementation(((target: fs.PathLike, ...rest: unknown[]) => {
        const fd = (openSync as (...args: unknown[]) => number)(target, ...rest);
        fds.set(fd, String(target));
        return fd;
      }) as typeof fs.openSync),
      vi.spyOn(fs, "fsyncSync").mockImplementation((fd: number) => {
        const target = fds.get(fd) ?? "?";
        steps.push(`fsync ${target === dir ? "folder" : target.endsWith(".tmp") ? "temporary file" : target}`);
        fsyncSync(fd);
      }),
      vi.spyOn(fs, "renameSync").mockImplementation((from: fs.PathLike, to: fs.PathLike) => {
        steps.push("rename");
        renameSync(from, to);
      }),
    ];
    try {
      await store.put(job({ state: "completed", updatedAt: 3 }));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(steps).toEqual(["fsync temporary file", "rename", "fsync folder"]);
    expect(readJobFile(p).state).toBe("completed");
  });

  it("scrubs what it writes back", async () => {
    const p = file(JSON.stringify(job()));
    const store = jobFileStore(p, (text) => text.replaceAll("sk-secret", "***"));
    await store.put(job({ error: { name: "X", message: "key sk-secret refused", phase: "wait" } }));
    expect(fs.readFileSync(p, "utf8")).not.toContain("sk-secret");
    expect(readJobFile(p).error?.message).toBe("key *** refused");
  });

  it("refuses to write another job into the file, which keeps its own", async () => {
    const p = file(JSON.stringify(job()));
    const before = fs.readFileSync(p, "utf8");
    const store = jobFileStore(p);
    await expect(store.put(job({ id: "job-2" }))).rejects.toThrow(`the job file ${p} holds job job-1, not job-2`);
    expect(fs.readFileSync(p, "utf8")).toBe(before);
  });

  it("a write that fails leaves no temporary file, and the store keeps the last job it wrote", async () => {
    const sub = fs.mkdtempSync(path.join(dir, "fail-"));
    const p = path.join(sub, "job.json");
    fs.writeFileSync(p, JSON.stringify(job()));
    const store = jobFileStore(p);
    // The file's place is taken by a folder that is not empty: the rename onto it fails.
    fs.rmSync(p);
    fs.mkdirSync(p);
    fs.writeFileSync(path.join(p, "x"), "");
    await expect(store.put(job({ state: "completed" }))).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(fs.readdirSync(sub)).toEqual(["job.json"]);
    expect((await store.get("job-1"))?.state).toBe("submitted");
  });

  it("never deletes the file (it is the user's record)", async () => {
    const p = file(JSON.stringify(job()));
    await jobFileStore(p).delete("job-1");
    expect(readJobFile(p)).toEqual(job());
  });
});
