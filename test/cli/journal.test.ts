/** The batch journal: append-only NDJSON, torn last line tolerated, replay into item states, one run at a time. */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/exit-codes.js";
import { Journal, type JournalRecord, parseJournal, replay } from "../../src/cli/journal.js";
import { tempDir } from "./helpers.js";

const dirs: string[] = [];
function journalPath(): string {
  const dir = tempDir("kling-journal-");
  dirs.push(dir);
  return path.join(dir, "nested", "journal.ndjson");
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const at = "2026-01-01T00:00:00.000Z";

describe("Journal", () => {
  it("appends one line per record, readable by the next open", () => {
    const file = journalPath();
    const j = Journal.open(file);
    j.append({ event: "submitting", key: "a", line: 1 });
    j.append({ event: "submitted", key: "a", line: 1, id: "task-unified-1-a" });
    j.close();
    const lines = fs.readFileSync(file, "utf8").split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    const again = Journal.open(file);
    expect(again.records.map((r) => r.event)).toEqual(["submitting", "submitted"]);
    expect(again.droppedTornLine).toBe(false);
    again.close();
  });

  it("drops a torn last line, and the next record starts on a line of its own", () => {
    const file = journalPath();
    const j = Journal.open(file);
    j.append({ event: "submitting", key: "a", line: 1 });
    j.close();
    fs.appendFileSync(file, '{"event":"submitted","key":"a","li');
    const resumed = Journal.open(file);
    expect(resumed.droppedTornLine).toBe(true);
    expect(resumed.records).toHaveLength(1);
    resumed.append({ event: "unknown", key: "a", line: 1, reason: "r" });
    resumed.close();
    const { records, torn } = parseJournal(fs.readFileSync(file, "utf8"));
    expect(torn).toBe(false);
    expect(records.map((r) => r.event)).toEqual(["submitting", "unknown"]);
  });

  it("refuses a journal with a corrupt line in the middle, naming the line", () => {
    expect(() =>
      parseJournal(`${JSON.stringify({ event: "submitting", key: "a", line: 1, at })}\nhello\n{}\n`, "j"),
    ).toThrow(/j line 2 is not a journal record/);
  });

  it("is locked while another process has it open; a lock left by a dead process is taken over", () => {
    const file = journalPath();
    const j = Journal.open(file);
    expect(fs.readFileSync(`${file}.lock`, "utf8")).toBe(String(process.pid));
    j.close();
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    // Another live process (the test runner's parent) holds it: a second run must not share the journal.
    fs.writeFileSync(`${file}.lock`, String(process.ppid));
    expect(() => Journal.open(file)).toThrow(UsageError);
    expect(() => Journal.open(file)).toThrow(/another kling-edit batch/);
    // A pid that existed and has exited: what a SIGKILLed run leaves behind.
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
    fs.writeFileSync(`${file}.lock`, dead);
    const taken = Journal.open(file);
    expect(fs.readFileSync(`${file}.lock`, "utf8")).toBe(String(process.pid));
    taken.close();
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });
});

describe("replay", () => {
  const r = (record: { event: JournalRecord["event"]; key: string } & Record<string, unknown>) =>
    ({ line: 1, at, ...record }) as JournalRecord;
  const cases: [string, { given: JournalRecord[]; want: Record<string, unknown> }][] = [
    [
      "submitting without an answer: unknown outcome",
      { given: [r({ event: "submitting", key: "k" })], want: { phase: "submitting" } },
    ],
    [
      "submitted keeps its id through later steps",
      {
        given: [
          r({ event: "submitting", key: "k" }),
          r({ event: "submitted", key: "k", id: "t1" }),
          r({ event: "completed", key: "k", id: "t1" }),
        ],
        want: { phase: "completed", id: "t1" },
      },
    ],
    [
      "refused by the API: back to new (nothing was created)",
      {
        given: [r({ event: "submitting", key: "k" }), r({ event: "refused", key: "k", status: 429, reason: "rate" })],
        want: { phase: "new", reason: "rate" },
      },
    ],
    [
      "downloaded",
      {
        given: [
          r({ event: "submitted", key: "k", id: "t1" }),
          r({ event: "downloaded", key: "k", id: "t1", path: "/x.mp4", bytes: 5 }),
        ],
        want: { phase: "downloaded", id: "t1", path: "/x.mp4", bytes: 5 },
      },
    ],
    [
      "a failed download keeps the id (the next run downloads again)",
      {
        given: [
          r({ event: "submitted", key: "k", id: "t1" }),
          r({ event: "failed", key: "k", id: "t1", stage: "download", reason: "expired", exitCode: 3 }),
        ],
        want: { phase: "failed", id: "t1", stage: "download" },
      },
    ],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    expect(replay(given).get("k")).toMatchObject(want);
  });
});
