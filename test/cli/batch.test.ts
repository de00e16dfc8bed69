/**
 * `kling-edit batch` against a mock started here: manifest validation, a full run, a run SIGKILLed mid-way and
 * resumed (no duplicate create, every result downloaded), Ctrl-C, unknown submission outcomes. Runs go through
 * main() in this process; the built executable is spawned only for the run that is SIGKILLed or interrupted.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { itemKey } from "../../src/cli/manifest.js";
import { apiArgs, ensureBuilt, jsonLines, mockServer, proxy, runMain, snapshot, startCli, tempDir } from "./helpers.js";

// Every test waits on polls (a second or more each) and they run at once: more than the default 5 at a time.
vi.setConfig({ maxConcurrency: 16 });

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir("kling-batch-");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes a manifest of `n` valid edits and returns its path. */
function manifest(name: string, n: number, extra: (i: number) => Record<string, unknown> = () => ({})): string {
  const file = path.join(dir, `${name}.jsonl`);
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ prompt: `Edit number ${i + 1}`, video: `https://example.com/in-${i + 1}.mp4`, ...extra(i) }),
  );
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

type Summary = {
  event: "summary";
  total: number;
  done: { line: number; id: string; path: string; skipped?: boolean }[];
  failed: { line: number; reason: string }[];
  unknown: { line: number; reason: string }[];
  notStarted: { line: number }[];
  exitCode: number;
};

function summaryOf(stdout: string): Summary {
  const events = jsonLines(stdout);
  const last = events.at(-1) as Summary;
  expect(last.event).toBe("summary");
  return last;
}

/** The journal's lines: job snapshots (`job.toJSON()`), in the order they were stored. */
function journalRecords(file: string): { id: string; state: string; taskId?: string }[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; state: string; taskId?: string });
}

describe.concurrent("batch", () => {
  it("reports every bad line with its number and submits nothing (exit 2)", async () => {
    const mock = await mockServer();
    try {
      const file = path.join(dir, "bad.jsonl");
      fs.writeFileSync(
        file,
        [
          JSON.stringify({ prompt: "fine", video: "https://example.com/a.mp4" }),
          JSON.stringify({ prompt: "bad video", video: "https://example.com/a.avi" }),
          "{not json",
          JSON.stringify({ prompt: "typo", video: "https://example.com/b.mp4", image: "https://example.com/r.jpg" }),
          "",
          JSON.stringify({ prompt: "fine", video: "https://example.com/a.mp4" }),
        ].join("\n"),
      );
      const out = path.join(dir, "bad-out");
      const run = await runMain([...apiArgs(mock), "batch", file, "--out", out]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("4 bad lines, nothing was submitted");
      expect(run.stderr).toMatch(/line 2: video must be a video URL ending in \.mp4, \.mov/);
      expect(run.stderr).toMatch(/line 3: not valid JSON/);
      expect(run.stderr).toMatch(/line 4: unknown key "image"/);
      expect(run.stderr).toMatch(/line 6: the same edit as line 1/);
      expect(run.stderr).not.toMatch(/line 1:|line 5:/);
      expect((await snapshot(mock)).createRequests).toBe(0);
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      await mock.close();
    }
  });

  it("runs every item, downloads every result, prints a JSON summary last; a re-run skips them all", async () => {
    const mock = await mockServer();
    try {
      const file = manifest("happy", 4, (i) => (i === 1 ? { out: "named/second.mp4", aspect_ratio: "9:16" } : {}));
      const out = path.join(dir, "happy-out");
      const args = [...apiArgs(mock), "--json", "batch", file, "--out", out, "--concurrency", "2"];
      const run = await runMain(args);
      expect(run.code, run.stderr).toBe(0);
      const summary = summaryOf(run.stdout);
      expect(summary).toMatchObject({ total: 4, failed: [], unknown: [], notStarted: [], exitCode: 0 });
      expect(summary.done.map((d) => d.line).sort()).toEqual([1, 2, 3, 4]);
      expect(summary.done.find((d) => d.line === 2)?.path).toBe(path.join(out, "named/second.mp4"));
      for (const d of summary.done) expect(fs.statSync(d.path).size).toBeGreaterThan(0);
      expect((await snapshot(mock)).createRequests).toBe(4);

      const again = await runMain(args);
      expect(again.code).toBe(0);
      const second = summaryOf(again.stdout);
      expect(second.done.every((d) => d.skipped === true)).toBe(true);
      expect((await snapshot(mock)).createRequests).toBe(4);
    } finally {
      await mock.close();
    }
  });

  it("SIGKILLed mid-run (and its journal torn) resumes: no duplicate create, every result downloaded", async () => {
    const mock = await mockServer();
    // Task queries are held during the first run, so no item can finish and no third create can start before the kill.
    const gate = await proxy(mock, { holdPolls: true });
    try {
      const file = manifest("killed", 5);
      const out = path.join(dir, "killed-out");
      const args = [...apiArgs(gate), "--json", "batch", file, "--out", out, "--concurrency", "2"];
      const first = startCli(args);
      let submitted = 0;
      await first.waitForEvent((e) => e.event === "item" && e.state === "submitted" && ++submitted === 2);
      first.child.kill("SIGKILL");
      const killed = await first.done;
      expect(killed.signal).toBe("SIGKILL");

      const journal = path.join(out, "kling-edit-journal.ndjson");
      const before = journalRecords(journal);
      const submittedBefore = new Set(before.filter((r) => r.state === "submitted").map((r) => r.id));
      expect(submittedBefore.size).toBe(2);
      expect(before.filter((r) => r.state === "submitting")).toHaveLength(2);
      // A crash in the middle of a write leaves a torn last line: the resume must drop it, not choke on it.
      fs.appendFileSync(journal, '{"version":1,"id":"0000","state":"submi');
      expect((await snapshot(mock)).createRequests).toBe(submittedBefore.size);

      gate.options.holdPolls = false;
      const resumed = await runMain(args);
      expect(resumed.code, resumed.stderr).toBe(0);
      const resumedEvents = jsonLines(resumed.stdout);
      expect(resumedEvents.find((e) => e.event === "journal")).toMatchObject({
        resumed: true,
        droppedTornLine: true,
        toPoll: submittedBefore.size,
      });
      const summary = summaryOf(resumed.stdout);
      expect(summary.done).toHaveLength(5);
      for (const d of summary.done) expect(fs.statSync(d.path).size).toBeGreaterThan(0);
      // One create per item, across both runs: the submitted ones were polled, not submitted again.
      const state = await snapshot(mock);
      expect(state.createRequests).toBe(5);
      expect(state.tasks).toHaveLength(5);
      const after = journalRecords(journal);
      // Each item's job was submitted once: one `submitting` line per job id, and one task id per job.
      const submitting = after.filter((r) => r.state === "submitting");
      expect(new Set(submitting.map((r) => r.id)).size).toBe(submitting.length);
      expect(submitting).toHaveLength(5);
      const taskIds = new Set(after.filter((r) => r.taskId).map((r) => `${r.id} ${r.taskId}`));
      expect(taskIds.size).toBe(5);
    } finally {
      await gate.close();
      await mock.close();
    }
  });

  it("Ctrl-C stops cleanly (exit 130) with a summary and the command to resume, which finishes the rest", async () => {
    const mock = await mockServer();
    const gate = await proxy(mock, { holdPolls: true });
    try {
      const file = manifest("interrupted", 4);
      const out = path.join(dir, "interrupted-out");
      const args = [...apiArgs(gate), "--json", "batch", file, "--out", out, "--concurrency", "2"];
      const first = startCli(args);
      let submitted = 0;
      await first.waitForEvent((e) => e.event === "item" && e.state === "submitted" && ++submitted === 2);
      first.child.kill("SIGINT");
      const run = await first.done;
      expect(run.code).toBe(130);
      const summary = summaryOf(run.stdout) as Summary & {
        interrupted: { line: number; id: string }[];
        resume: string;
      };
      expect(summary.exitCode).toBe(130);
      expect(summary.interrupted.map((i) => i.line).sort()).toEqual([1, 2]);
      expect(summary.notStarted.map((i) => i.line)).toEqual([3, 4]);
      expect(summary.resume).toContain(`kling-edit --base-url ${gate.url} --json batch ${file} --out ${out}`);
      expect(summary.resume).not.toContain("test-key");

      gate.options.holdPolls = false;
      const resumed = await runMain(args);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(summaryOf(resumed.stdout).done).toHaveLength(4);
      expect((await snapshot(mock)).createRequests).toBe(4);
    } finally {
      await gate.close();
      await mock.close();
    }
  });

  it("an item whose create was in flight when the process died is reported, not resubmitted, unless --resubmit-unknown", async () => {
    const mock = await mockServer();
    try {
      const file = manifest("unknown", 2);
      const out = path.join(dir, "unknown-out");
      fs.mkdirSync(out, { recursive: true });
      // The journal a crash leaves: line 1 was being submitted, no id came back.
      const key = itemKey({ prompt: "Edit number 1", video_urls: ["https://example.com/in-1.mp4"] }, null);
      const now = Date.now();
      const snapshot1 = {
        version: 1,
        id: key,
        state: "submitting",
        params: { prompt: "Edit number 1", video_urls: ["https://example.com/in-1.mp4"] },
        requestIds: [],
        createdAt: now,
        updatedAt: now,
        submittedAt: now,
        metadata: { line: 1 },
      };
      fs.writeFileSync(path.join(out, "kling-edit-journal.ndjson"), `${JSON.stringify(snapshot1)}\n`);
      const args = [...apiArgs(mock), "--json", "batch", file, "--out", out];
      const run = await runMain(args);
      expect(run.code).toBe(5);
      const summary = summaryOf(run.stdout);
      expect(summary.unknown).toMatchObject([{ line: 1 }]);
      expect(summary.unknown[0]?.reason).toContain("--resubmit-unknown");
      expect(summary.done.map((d) => d.line)).toEqual([2]);
      expect((await snapshot(mock)).createRequests).toBe(1);

      const human = await runMain([...apiArgs(mock), "batch", file, "--out", out]);
      expect(human.code).toBe(5);
      expect(human.stdout).toMatch(/Unknown \(not resubmitted\):\n\s+line 1: /);
      expect((await snapshot(mock)).createRequests).toBe(1);

      const forced = await runMain([...args, "--resubmit-unknown"]);
      expect(forced.code, forced.stderr).toBe(0);
      expect(summaryOf(forced.stdout).done).toHaveLength(2);
      expect((await snapshot(mock)).createRequests).toBe(2);
    } finally {
      await mock.close();
    }
  });

  it("a create whose connection drops after it was sent is recorded as unknown, and a re-run does not resubmit it", async () => {
    const reset = await mockServer({ scenario: "reset" });
    try {
      const file = manifest("reset", 2);
      const out = path.join(dir, "reset-out");
      const args = [...apiArgs(reset), "--json", "batch", file, "--out", out];
      const run = await runMain(args);
      expect(run.code).toBe(5);
      expect(summaryOf(run.stdout).unknown.map((u) => u.line)).toEqual([1, 2]);
      // The mock created both tasks before dropping the connections: a blind retry would have billed them twice.
      expect((await snapshot(reset)).createRequests).toBe(2);
      const again = await runMain(args);
      expect(again.code).toBe(5);
      expect((await snapshot(reset)).createRequests).toBe(2);
    } finally {
      await reset.close();
    }
  });

  it("failed tasks are listed with their reasons (exit 4), and not resubmitted by a re-run", async () => {
    const failing = await mockServer({ scenario: "fails" });
    try {
      const file = manifest("fails", 2);
      const out = path.join(dir, "fails-out");
      const args = [...apiArgs(failing), "batch", file, "--out", out, "--json"];
      const run = await runMain(args);
      expect(run.code).toBe(4);
      const summary = summaryOf(run.stdout);
      expect(summary.failed).toHaveLength(2);
      for (const f of summary.failed) expect(f.reason).toContain("video_download_failed");
      const again = await runMain(args);
      expect(again.code).toBe(4);
      expect((await snapshot(failing)).createRequests).toBe(2);
    } finally {
      await failing.close();
    }
  });

  it("stops submitting after a 401 and exits 3, never printing the key", async () => {
    const strict = await mockServer({ apiKey: "right" });
    const KEY = "sk-BATCHLEAK-987654321";
    try {
      const file = manifest("auth", 3);
      const run = await runMain([
        ...apiArgs(strict, KEY),
        "batch",
        file,
        "--out",
        path.join(dir, "auth-out"),
        "--concurrency",
        "1",
      ]);
      expect(run.code).toBe(3);
      expect(run.stdout).toContain("Invalid or expired token");
      expect(run.stdout).toContain("Not started: lines 2, 3");
      expect((await snapshot(strict)).createRequests).toBe(1);
      expect(run.stdout + run.stderr).not.toContain(KEY);
    } finally {
      await strict.close();
    }
  });
});
