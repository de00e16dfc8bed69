import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadRecordings } from "../../src/mock/replay-files.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-replay-files-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const recording = (taskId: string) => ({
  recordedAt: "2026-01-01T00:00:00Z",
  request: { method: "GET", path: `/v1/tasks/${taskId}` },
  response: { status: 200, headers: { "content-type": "application/json" }, body: { id: taskId, status: "pending" } },
});

describe("loadRecordings", () => {
  it("reads only *.json files, in name order, and lists each unreadable one by name instead of failing", async () => {
    fs.writeFileSync(path.join(dir, "b.json"), JSON.stringify(recording("task-unified-1700000000-bbbbbbbb")));
    fs.writeFileSync(path.join(dir, "a.json"), JSON.stringify(recording("task-unified-1700000000-aaaaaaaa")));
    fs.writeFileSync(path.join(dir, "notes.txt"), "not a recording");
    fs.writeFileSync(path.join(dir, "broken.json"), "{ not json");
    fs.writeFileSync(path.join(dir, "shape.json"), JSON.stringify({ hello: "world" }));
    const { recordings, problems } = await loadRecordings(dir);
    expect(recordings.map((r) => r.request.path)).toEqual([
      "/v1/tasks/task-unified-1700000000-aaaaaaaa",
      "/v1/tasks/task-unified-1700000000-bbbbbbbb",
    ]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^broken\.json: /);
    expect(problems[1]).toContain("shape.json");
  });

  it("an empty folder has no recordings and no problems; a missing one rejects", async () => {
    await expect(loadRecordings(dir)).resolves.toEqual({ recordings: [], problems: [] });
    await expect(loadRecordings(path.join(dir, "missing"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
