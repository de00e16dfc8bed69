/**
 * batchCommand (src/cli/batch-command.ts) in-process, with the batch runner replaced by a stub that returns a chosen
 * summary: what the command itself decides (the printed summary in each mode, the exit code, the resume line without
 * the key, the options it hands the runner, `--out` validation). The runner's own behaviour is in
 * test/cli/batch-runner.test.ts, the whole command as a subprocess in test/cli/batch.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { BatchRunOptions, BatchSummary, ItemOutcome } from "../../src/cli/batch.js";
import { batchCommand, DEFAULT_JOURNAL_NAME } from "../../src/cli/batch-command.js";
import { EXIT, UsageError } from "../../src/cli/exit-codes.js";
import { Output } from "../../src/cli/output.js";

const runner = vi.hoisted(() => ({
  calls: [] as unknown[],
  next: async (_o: unknown): Promise<unknown> => {
    throw new Error("set runner.next");
  },
}));
vi.mock("../../src/cli/batch.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../src/cli/batch.js")>()),
  runBatch: async (o: unknown) => {
    runner.calls.push(o);
    return runner.next(o);
  },
}));

const KEY = "sk-batch-command-secret-0123456789";
const globals = { apiKey: KEY, baseUrl: "https://api.test" };
let dir: string;
let manifest: string;
const argv = process.argv;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-batch-command-"));
  manifest = path.join(dir, "edits.jsonl");
  const line = (i: number) => JSON.stringify({ prompt: `Edit ${i}`, video: `https://example.com/in-${i}.mp4` });
  fs.writeFileSync(manifest, `${[1, 2, 3, 4].map(line).join("\n")}\n`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  runner.calls.length = 0;
  process.argv = argv;
});

/** An Output writing into strings. */
function capture(options: { json?: boolean; quiet?: boolean } = {}) {
  const out = { stdout: "", stderr: "" };
  const output = new Output({
    ...options,
    stdout: {
      write: (c) => {
        out.stdout += c;
        return true;
      },
    },
    stderr: {
      write: (c) => {
        out.stderr += c;
        return true;
      },
    },
  });
  return { out, output };
}

const item = (line: number, extra: Partial<ItemOutcome> = {}): ItemOutcome => ({
  line,
  key: `key-${line}`,
  status: "done",
  ...extra,
});

/** One of each: done, failed (with its task id), unknown, not started (all account-wide, with the reason). */
const mixed: BatchSummary = {
  total: 4,
  done: [item(1, { id: "task-1", path: "/r/1.mp4" })],
  failed: [item(2, { status: "failed", id: "task-2", reason: "the source video could not be downloaded" })],
  unknown: [item(3, { status: "unknown", reason: "the create's outcome is unknown" })],
  notStarted: [item(4, { status: "not-started", reason: "quota exhausted" })],
  interrupted: [],
  exitCode: EXIT.transient,
};

describe("batchCommand", () => {
  it("prints the summary of a mixed run and returns the runner's exit code; --quiet keeps only its first line", async () => {
    runner.next = async () => mixed;
    const out = path.join(dir, "mixed");
    const { out: text, output } = capture();
    const code = await batchCommand(manifest, { out, concurrency: 3, waitTimeout: 90 }, globals, output);
    expect(code).toBe(EXIT.transient);
    const journal = path.join(out, DEFAULT_JOURNAL_NAME);
    expect(text.stdout).toBe(
      [
        "Batch: 1 of 4 done, 1 failed, 1 unknown, 1 not started",
        "Failed:",
        "  line 2 (task-2): the source video could not be downloaded",
        "Unknown (not resubmitted):",
        "  line 3: the create's outcome is unknown",
        "Not started: lines 4 (quota exhausted)",
        `Journal: ${journal}`,
        "Run the same command again to retry what can be retried; finished items are skipped.",
        "",
      ].join("\n"),
    );
    expect(text.stderr).toContain("Batch: 4 items, up to 3 at a time");
    const given = runner.calls[0] as BatchRunOptions;
    expect(given.items.map((i) => i.line)).toEqual([1, 2, 3, 4]);
    expect(given).toMatchObject({ concurrency: 3, outDir: out, resubmitUnknown: false, itemTimeoutMs: 90_000 });
    expect(fs.existsSync(journal)).toBe(true);

    const quiet = capture({ quiet: true });
    expect(await batchCommand(manifest, { out, concurrency: 3 }, globals, quiet.output)).toBe(EXIT.transient);
    expect(quiet.out.stdout).toBe("Batch: 1 of 4 done, 1 failed, 1 unknown, 1 not started\n");
  });

  it("a clean run exits 0 with no retry advice; --json prints one summary event without the internal keys", async () => {
    runner.next = async () => ({ ...mixed, total: 1, failed: [], unknown: [], notStarted: [], exitCode: EXIT.ok });
    const out = path.join(dir, "clean");
    const human = capture();
    expect(await batchCommand(manifest, { out, concurrency: 1 }, globals, human.output)).toBe(EXIT.ok);
    expect(human.out.stdout).toBe(
      `Batch: 1 of 1 done, 0 failed, 0 unknown\nJournal: ${path.join(out, DEFAULT_JOURNAL_NAME)}\n`,
    );

    runner.next = async () => mixed;
    const json = capture({ json: true });
    const journal = path.join(dir, "elsewhere.ndjson");
    await batchCommand(manifest, { out, concurrency: 1, journal }, globals, json.output);
    const events = json.out.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      event: "summary",
      total: 4,
      done: [{ line: 1, status: "done", id: "task-1", path: "/r/1.mp4" }],
      failed: [{ line: 2, status: "failed", id: "task-2", reason: "the source video could not be downloaded" }],
      unknown: [{ line: 3, status: "unknown", reason: "the create's outcome is unknown" }],
      notStarted: [{ line: 4, status: "not-started", reason: "quota exhausted" }],
      interrupted: [],
      journal,
      exitCode: EXIT.transient,
    });
    expect(json.out.stderr).toBe("");
  });

  it("interrupted: exits 130 whatever the runner says, and prints the command to resume without the API key", async () => {
    process.argv = [
      argv[0] ?? "node",
      "kling-edit",
      "--api-key",
      KEY,
      "batch",
      manifest,
      `--api-key=${KEY}`,
      "--out",
      "my results",
    ];
    const before = new Set(process.listeners("SIGTERM"));
    runner.next = async () => {
      // The session's Ctrl-C handler, called as a signal would (the first one sets the batch's stop signal).
      const handler = process.listeners("SIGTERM").find((l) => !before.has(l));
      handler?.("SIGTERM");
      return { ...mixed, interrupted: [item(5, { status: "interrupted", id: "task-5" })], exitCode: EXIT.ok };
    };
    const { out: text, output } = capture();
    const code = await batchCommand(manifest, { out: path.join(dir, "stopped"), concurrency: 2 }, globals, output);
    expect(code).toBe(EXIT.interrupted);
    expect((runner.calls[0] as BatchRunOptions).stop.aborted).toBe(true);
    expect(text.stdout).toContain("1 not started, 1 interrupted\n");
    expect(text.stdout).toContain(
      `Interrupted. Resume (nothing is submitted twice) with:\n  kling-edit batch ${manifest} --out 'my results'\n`,
    );
    // The not-started lines are what the resume command is for: no separate list.
    expect(text.stdout).not.toContain("Not started:");
    expect(text.stdout + text.stderr).not.toContain(KEY);
    expect(process.listeners("SIGTERM").filter((l) => !before.has(l))).toEqual([]);
  });

  it("refuses an --out that is a file, naming the flag, before reading the manifest or opening a journal", async () => {
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "x");
    const { output } = capture();
    const error = await batchCommand("/no/such/manifest.jsonl", { out: file, concurrency: 1 }, globals, output).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(`--out ${file} is a file: give a folder for the results`);
    expect(runner.calls).toEqual([]);
  });
});
