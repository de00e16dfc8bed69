import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operations } from "../../generated/operations.js";
import { main } from "../../scripts/drift-live.js";
import type { Recording } from "../../src/drift/live.js";
import { analyzeRecordings } from "../../src/drift/live.js";
import { loadSpec } from "../../src/drift/load.js";
import { LIVE_RULES } from "../../src/drift/rules.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const fixtures = join(root, "test/drift/fixtures/recordings");
const spec = (await loadSpec(join(root, "spec/kling-o1-video-edit.yaml"))).resolved;

async function runMain(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

type Row = { level: string; rule: string; operation: string; where: string; field?: string };
const row = (f: Row) => [f.level, f.rule, f.operation, f.where, f.field ?? ""].join(" | ");
const notSafe = (findings: Row[]) =>
  findings
    .filter((f) => f.level !== "safe")
    .map(row)
    .sort();

function recording(operationId: string, status: number, body: unknown, path = "/v1/tasks/task-unified-1"): Recording {
  return {
    recordedAt: "2026-11-20T03:00:00.000Z",
    target: "live",
    operationId,
    request: { method: operationId === "createVideoGeneration" ? "POST" : "GET", path, headers: {}, body: null },
    response: { status, headers: { "content-type": "application/json" }, body },
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kling-drift-live-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run drift:live", () => {
  it("says there are no recordings and exits 0, when the folder is empty or missing", async () => {
    // A folder of its own: other tests write recordings and reports into `dir`.
    const empty = await mkdtemp(join(dir, "empty-"));
    for (const recordings of [empty, join(empty, "missing")]) {
      const { code, stdout } = await runMain(["--recordings", recordings]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^drift:live: no recordings of target live in .*: nothing to compare/);
    }
    const out = join(dir, "out-empty");
    const json = await runMain(["--recordings", empty, "--format", "json", "--out", out]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: "live", exitCode: 0, recordings: { used: 0, total: 0 } });
  });

  it("reports what the wire shows and the spec does not, classified, and exits 1", async () => {
    const { code, stdout } = await runMain(["--recordings", join(fixtures, "drifted"), "--format", "json"]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(notSafe(report.findings)).toEqual(
      [
        "breaking | non-json-body | createVideoGeneration | response 502 | ",
        "breaking | schema-violation | getTaskDetail | response 200 | ",
        "breaking | schema-violation | getTaskDetail | response 200 | progress",
        "breaking | format-never-matched | getTaskDetail | response 200 | results[]",
        "breaking | undocumented-enum-value | getTaskDetail | response 200 | status",
        "risky | undocumented-status | createVideoGeneration | response 409 | ",
        "risky | content-type-mismatch | createVideoGeneration | response 502 | ",
        "risky | undocumented-operation | GET /v1/models | operation | ",
        "risky | undocumented-field | getTaskDetail | response 200 | cancel_reason",
      ].sort(),
    );
    const byRule = (rule: string) => report.findings.find((f: Row) => f.rule === rule);
    expect(byRule("undocumented-enum-value").after).toEqual(["cancelled"]);
    expect(byRule("format-never-matched").message).toMatch(/none of 2 value\(s\) matched format uri/);
    expect(byRule("schema-violation").message).toMatch(/1 of 5 response\(s\)/);
    expect(report.seen).toEqual({ createVideoGeneration: { 200: 1, 409: 1, 502: 1 }, getTaskDetail: { 200: 5 } });
  });

  it("finds nothing breaking or risky in spec-faithful recordings, and skips other targets unless asked", async () => {
    const clean = await runMain(["--recordings", join(fixtures, "clean"), "--fail-on", "risky", "--format", "json"]);
    expect(clean.code).toBe(0);
    const report = JSON.parse(clean.stdout);
    expect(notSafe(report.findings)).toEqual([]);
    expect(report.recordings).toMatchObject({ total: 6, used: 5, skipped: { prism: 1 } });
    // The coverage notes: what the spec documents that no recording showed.
    expect(report.findings.map(row)).toContain("safe | enum-value-never-seen | getTaskDetail | response 200 | status");
    expect(
      report.findings.find(
        (f: Row) => f.rule === "enum-value-never-seen" && f.field === "status" && f.operation === "getTaskDetail",
      ).after,
    ).toEqual(["pending", "failed"]);
    // The Prism recording (an invented status and progress) counts only with --target all.
    const all = await runMain(["--recordings", join(fixtures, "clean"), "--target", "all", "--format", "json"]);
    expect(all.code).toBe(1);
    expect(notSafe(JSON.parse(all.stdout).findings)).toEqual([
      "breaking | schema-violation | getTaskDetail | response 200 | progress",
      "breaking | undocumented-enum-value | getTaskDetail | response 200 | status",
    ]);
  });

  it("fails on risky findings only with --fail-on risky, and writes both reports with --out", async () => {
    const risky = join(dir, "risky");
    await cp(join(fixtures, "drifted/live-createVideoGeneration-409.json"), join(risky, "a.json"), { recursive: true });
    expect((await runMain(["--recordings", risky])).code).toBe(0);
    const out = join(dir, "out");
    const strict = await runMain(["--recordings", risky, "--fail-on", "risky", "--out", out]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain("### Risky (1)");
    expect(strict.stderr).toContain(join(out, "drift-live.md"));
  });

  it("moves accepted findings apart: they no longer fail the run", async () => {
    const accept = join(dir, "live-accept.json");
    await writeFile(
      accept,
      JSON.stringify([
        { rule: "undocumented-field", operation: "getTaskDetail", where: "response 200", field: "cancel_reason" },
      ]),
    );
    const { stdout } = await runMain([
      "--recordings",
      join(fixtures, "drifted"),
      "--accept",
      accept,
      "--format",
      "json",
    ]);
    const report = JSON.parse(stdout);
    expect(report.accepted.map(row)).toEqual([
      "risky | undocumented-field | getTaskDetail | response 200 | cancel_reason",
    ]);
    expect(report.findings.map(row)).not.toContain(
      "risky | undocumented-field | getTaskDetail | response 200 | cancel_reason",
    );
    expect(report.summary.risky).toBe(3);
  });

  it("exits 2 naming the file and the problem for a malformed recording or one that kept a credential", async () => {
    const bad = join(dir, "bad");
    await cp(join(fixtures, "clean/live-getTaskDetail-400.json"), join(bad, "ok.json"), { recursive: true });
    await writeFile(join(bad, "broken.json"), "{ not json");
    const leaked = recording("getTaskDetail", 200, {});
    leaked.request.headers = { authorization: "Bearer sk-live-123" };
    await writeFile(join(bad, "leaked.json"), JSON.stringify(leaked));
    const { code, stderr } = await runMain(["--recordings", bad]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/broken\.json: not a JSON object/);
    expect(stderr).toMatch(/leaked\.json: a credential header was kept: authorization/);
    expect(stderr).not.toContain("sk-live-123");
    expect((await runMain(["--format", "yaml"])).stderr).toMatch(/--format must be md or json/);
  });
});

describe("analyzeRecordings", () => {
  it("raises nothing breaking or risky for every example the spec documents, played back as recordings", () => {
    const recordings: Recording[] = [];
    for (const [id, op] of Object.entries(operations)) {
      for (const [status, response] of Object.entries(op.responses)) {
        const body = (response as { body?: { example?: unknown; examples?: Record<string, unknown> } }).body;
        for (const value of [body?.example, ...Object.values(body?.examples ?? {})]) {
          if (value !== undefined) recordings.push(recording(id, Number(status), value, op.path));
        }
      }
    }
    expect(recordings.length).toBeGreaterThanOrEqual(15);
    const report = analyzeRecordings(recordings, spec);
    expect(notSafe(report.findings)).toEqual([]);
    expect(report.findings.some((f) => f.rule === "status-never-seen")).toBe(false);
  });

  it("tells a format that sometimes fails from one that never matches, and blanks signatures in examples", () => {
    const completed = (url: string) => ({ id: "task-unified-1", status: "completed", results: [url] });
    const report = analyzeRecordings(
      [
        recording("getTaskDetail", 200, completed("https://cdn.example.com/a.mp4")),
        recording("getTaskDetail", 200, completed("cdn.example.com/b.mp4?X-Amz-Signature=deadbeef&x=1")),
      ],
      spec,
    );
    const format = report.findings.find((f) => f.rule === "format-mismatch");
    expect(format).toMatchObject({ level: "breaking", field: "results[]" });
    expect(format?.message).toMatch(/1 of 2 value\(s\) did not match format uri/);
    expect(JSON.stringify(report)).not.toContain("deadbeef");
    expect(format?.message).toContain("X-Amz-Signature=***&x=1");
    expect(report.findings.map(row)).toContain("safe | operation-never-seen | createVideoGeneration | operation | ");
  });

  it("matches a recording by method and path when its operationId is unknown, base path included", () => {
    const report = analyzeRecordings(
      [
        recording("getTask", 200, { id: "task-unified-1", status: "pending" }, "/apiv1/v1/tasks/task-unified-1?x=1"),
        recording("createVideoGeneration", 201, {}, "/v1/videos/generations"),
      ],
      spec,
    );
    expect(report.seen).toEqual({ getTaskDetail: { 200: 1 }, createVideoGeneration: { 201: 1 } });
    expect(notSafe(report.findings)).toEqual(["risky | undocumented-status | createVideoGeneration | response 201 | "]);
  });

  it("uses only documented rule ids", async () => {
    const { stdout } = await runMain(["--recordings", join(fixtures, "drifted"), "--format", "json"]);
    const rules = new Set(JSON.parse(stdout).findings.map((f: Row) => f.rule));
    expect([...rules].filter((r) => !(String(r) in LIVE_RULES))).toEqual([]);
    // Every live rule is exercised by the drifted fixtures or, for the last two, by the cases above.
    const exercised = new Set([...rules, "format-mismatch", "operation-never-seen"]);
    expect(Object.keys(LIVE_RULES).filter((r) => !exercised.has(r))).toEqual([]);
  });
});
