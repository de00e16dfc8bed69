/**
 * fileJobStore on its own: one file per job, atomic replacement, what it refuses. test/jobs.test.ts runs jobs over it
 * end to end (resume after a restart).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JobSnapshot, JobState } from "../src/jobs.js";
import { fileJobStore } from "../src/jobs-node.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-jobs-node-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const job = (id: string, state: JobState, createdAt: number): JobSnapshot =>
  ({
    version: 1,
    id,
    state,
    params: { prompt: "p", video_urls: ["https://example.com/in.mp4"] },
    requestIds: [],
    createdAt,
    updatedAt: createdAt,
  }) as JobSnapshot;

describe("fileJobStore", () => {
  it("creates its folder on first use and round-trips a job through <id>.job.json, readable by its owner only", async () => {
    const root = path.join(dir, "nested", "jobs");
    const store = fileJobStore(root);
    expect(await store.get("a")).toBeUndefined();
    await store.put(job("a", "new", 1));
    expect(await store.get("a")).toEqual(job("a", "new", 1));
    expect(fs.readdirSync(root)).toEqual(["a.job.json"]);
    if (process.platform !== "win32") expect(fs.statSync(path.join(root, "a.job.json")).mode & 0o777).toBe(0o600);
  });

  it("a put replaces the whole job; delete removes it and is quiet when it is gone", async () => {
    const store = fileJobStore(dir);
    await store.put(job("a", "new", 1));
    await store.put(job("a", "submitted", 1));
    expect((await store.get("a"))?.state).toBe("submitted");
    await store.delete("a");
    await store.delete("a");
    expect(await store.get("a")).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("lists jobs oldest first (then by id), filtered by one state or several, skipping other files", async () => {
    const store = fileJobStore(dir);
    await store.put(job("c", "completed", 2));
    await store.put(job("b", "new", 2));
    await store.put(job("a", "submitted", 3));
    await store.put(job("z", "new", 1));
    // A crashed writer's temporary file and unrelated files are not jobs.
    fs.writeFileSync(path.join(dir, "y.job.json.123.abcd.tmp"), "{ half");
    fs.writeFileSync(path.join(dir, "README"), "notes");
    expect((await store.list()).map((j) => j.id)).toEqual(["z", "b", "c", "a"]);
    expect((await store.list({ state: "new" })).map((j) => j.id)).toEqual(["z", "b"]);
    expect((await store.list({ state: ["submitted", "completed"] })).map((j) => j.id)).toEqual(["c", "a"]);
  });

  it("leaves no temporary file behind after writes", async () => {
    const store = fileJobStore(dir);
    await Promise.all(["a", "b", "c"].map((id, i) => store.put(job(id, "new", i))));
    expect(fs.readdirSync(dir).sort()).toEqual(["a.job.json", "b.job.json", "c.job.json"]);
  });

  const badIds = ["", "../escape", "a/b", ".hidden", "x".repeat(129), "spaced id"];
  it.each(badIds)("refuses the job id %j without touching the disk", async (id) => {
    const store = fileJobStore(dir);
    await expect(store.get(id)).rejects.toThrow(/not a job id/);
    await expect(store.put(job(id, "new", 1))).rejects.toThrow(/not a job id/);
    await expect(store.delete(id)).rejects.toThrow(/not a job id/);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(fs.readdirSync(path.dirname(dir)).some((n) => n === "escape.job.json")).toBe(false);
  });

  it("a corrupt job file is an error, not a missing job", async () => {
    const store = fileJobStore(dir);
    fs.writeFileSync(path.join(dir, "a.job.json"), "{ torn");
    await expect(store.get("a")).rejects.toBeInstanceOf(SyntaxError);
  });
});
