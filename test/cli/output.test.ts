/** The output layer: bars only on a TTY, plain lines otherwise, NDJSON only in --json, the key never written. */
import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, Output, type TaskDetail } from "../../src/cli/output.js";

function stream(isTTY: boolean) {
  let text = "";
  return {
    isTTY,
    columns: 160,
    write(chunk: string, callback?: () => void) {
      text += chunk;
      callback?.();
      return true;
    },
    text: () => text,
  };
}

const KEY = "sk-OUTPUT-SECRET-42";
const task = (status: TaskDetail["status"], progress: number): TaskDetail => ({
  id: "task-unified-1-abcdefgh",
  status,
  progress,
  created: 1000,
  task_info: { estimated_time: 300 },
});

function printer(mode: { json?: boolean; quiet?: boolean; tty?: boolean }) {
  const stdout = stream(false);
  const stderr = stream(mode.tty ?? false);
  let now = 1_000_000;
  const output = new Output({
    ...(mode.json ? { json: true } : {}),
    ...(mode.quiet ? { quiet: true } : {}),
    stdout,
    stderr,
    secrets: [KEY],
    now: () => now,
  });
  return { output, stdout, stderr, tick: (ms: number) => (now += ms) };
}

describe("Output", () => {
  it("--json: only NDJSON on stdout, progress events only when something changed, the key scrubbed", () => {
    const { output, stdout, stderr } = printer({ json: true });
    output.note("hello");
    output.say("human result", "quiet result");
    output.taskProgress(task("processing", 10));
    output.taskProgress(task("processing", 10));
    output.taskProgress(task("processing", 40));
    output.event("echo", { text: `the server said ${KEY}` });
    const lines = stdout.text().trimEnd().split("\n");
    const events = lines.map((l) => JSON.parse(l) as { event: string });
    expect(events.map((e) => e.event)).toEqual(["progress", "progress", "echo"]);
    expect(stdout.text()).not.toContain(KEY);
    expect(stderr.text()).toBe("");
  });

  // Issue 11 item 8: a key from a CRLF .env file goes out trimmed, and that is the form a server echoes.
  it("scrubs the key in the form it was sent, also when given with a trailing \\r, and inside JSON strings", () => {
    const stdout = stream(false);
    const stderr = stream(false);
    const output = new Output({ json: true, stdout, stderr, secrets: [`${KEY}\r`] });
    output.addSecret('sk-"quoted"-later');
    output.event("echo", { text: `the server said ${KEY}`, other: 'sk-"quoted"-later' });
    output.warn(`warning: ${KEY}`);
    expect(stdout.text() + stderr.text()).not.toContain(KEY);
    expect(stdout.text()).not.toContain("quoted");
    expect(JSON.parse(stdout.text())).toEqual({ event: "echo", text: "the server said ***", other: "***" });
    expect(output.scrubber.text(`journal line ${KEY}`)).toBe("journal line ***");
  });

  it("plain lines off a TTY: a line per change, elapsed and the server's estimate, no escape codes", () => {
    const { output, stderr, tick } = printer({});
    output.startWatching({ id: "task-unified-1-abcdefgh", status: "pending" });
    output.taskProgress(task("pending", 0));
    tick(5000);
    output.taskProgress(task("pending", 0));
    output.taskProgress(task("processing", 40));
    output.downloadProgress(0, 4000);
    output.downloadProgress(1000, 4000);
    output.downloadProgress(1100, 4000);
    output.downloadProgress(4000, 4000);
    output.stopBars();
    const lines = stderr.text().trimEnd().split("\n");
    expect(lines).toEqual([
      "task-unified-1-abcdefgh pending 0% (0s elapsed, server estimate 5m00s)",
      "task-unified-1-abcdefgh processing 40% (5s elapsed, server estimate 5m00s)",
      expect.stringMatching(/^downloading: 0 B of 3\.9 KiB \(0%\)/),
      expect.stringMatching(/^downloading: 1000 B of 3\.9 KiB \(25%\)/),
      expect.stringMatching(/^downloading: 3\.9 KiB of 3\.9 KiB \(100%\)/),
    ]);
    expect(stderr.text()).not.toContain("\u001b");
  });

  it("on a TTY: draws a bar with status, percent, elapsed and estimate, and restores the cursor when stopped", () => {
    const { output, stderr, stdout } = printer({ tty: true });
    expect(output.drawsBars).toBe(true);
    output.taskProgress(task("processing", 40));
    output.note(`a note with ${KEY}`);
    output.stopBars();
    const text = stderr.text();
    expect(text).toMatch(/task-unified-1-abcdefgh processing +\[=+-+\] 40% \| \d+s elapsed \| server estimate 5m00s/);
    expect(text).toContain("\u001b[?25l"); // cursor hidden while drawing ...
    expect(text.lastIndexOf("\u001b[?25h")).toBeGreaterThan(text.lastIndexOf("\u001b[?25l")); // ... and shown again
    expect(text).toContain("a note with ***");
    expect(text).not.toContain(KEY);
    expect(stdout.text()).toBe("");
  });

  it("on a TTY: draws a batch's total bar and a row per item in flight", () => {
    const { output, stderr } = printer({ tty: true });
    const bars = output.batchBars(2, { done: 0, failed: 0, unknown: 0 });
    expect(bars).not.toBeNull();
    bars?.row("a", 3, "processing", 40);
    bars?.row("a", 3, "processing", 60);
    bars?.row("b", 12, "submitting", 0);
    bars?.total(1, { done: 1, failed: 0, unknown: 0 });
    output.stopBars();
    const lastFrame = stderr.text().slice(stderr.text().lastIndexOf("batch "));
    expect(lastFrame).toMatch(/^batch +\[=+-+\] 1\/2 finished \| 1 done, 0 failed, 0 unknown/);
    expect(lastFrame).toMatch(/line {4}3 {2}processing +\[=+-+\] 60%/);
    expect(lastFrame).toMatch(/line {3}12 {2}submitting +\[-+\] 0%/);
  });

  it("on a TTY: drops a finished item's row", () => {
    const { output, stderr } = printer({ tty: true });
    const bars = output.batchBars(2, { done: 0, failed: 0, unknown: 0 });
    bars?.row("a", 3, "processing", 40);
    bars?.row("b", 12, "processing", 10);
    bars?.remove("a");
    output.stopBars();
    const lastFrame = stderr.text().slice(stderr.text().lastIndexOf("batch "));
    expect(lastFrame).toContain("line   12");
    expect(lastFrame).not.toContain("line    3");
  });

  it("draws no batch bars off a terminal, in --json or --quiet", () => {
    for (const mode of [{}, { json: true, tty: true }, { quiet: true, tty: true }]) {
      expect(printer(mode).output.batchBars(2, { done: 0, failed: 0, unknown: 0 })).toBeNull();
    }
  });

  it("--quiet: only the essential result", () => {
    const { output, stdout, stderr } = printer({ quiet: true, tty: true });
    expect(output.drawsBars).toBe(false);
    output.taskProgress(task("processing", 40));
    output.note("progress");
    output.say("Saved the result to /x.mp4 (1 KiB)", "/x.mp4");
    output.say("nothing for quiet");
    output.warn("an error");
    expect(stdout.text()).toBe("/x.mp4\n");
    expect(stderr.text()).toBe("an error\n");
  });

  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [50 * 1024 * 1024, "50 MiB"],
  ])("formatBytes(%d) = %s", (bytes, want) => {
    expect(formatBytes(bytes)).toBe(want);
  });

  it.each([
    [4_200, "4s"],
    [65_000, "1m05s"],
    [3_723_000, "1h02m"],
    [-5, "0s"],
  ])("formatDuration(%d) = %s", (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });
});
