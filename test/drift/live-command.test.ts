/**
 * runLiveDrift through its context (injected io, spec file, default folder) and renderLiveMarkdown. Its reports on
 * recorded fixtures are in test/drift/drift-live.test.ts (through scripts/drift-live.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDriftReport } from "../../src/drift/live.js";
import {
  type LiveDriftContext,
  liveDriftUsage,
  renderLiveMarkdown,
  runLiveDrift,
} from "../../src/drift/live-command.js";

let dir: string;
/** A minimal spec: with no recording to analyse, the command needs only a loadable document (the real one is slower). */
let SPEC: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-live-command-"));
  SPEC = path.join(dir, "spec.json");
  fs.writeFileSync(SPEC, JSON.stringify({ openapi: "3.1.0", info: { title: "t", version: "1" }, paths: {} }));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], extra: Partial<LiveDriftContext> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runLiveDrift(argv, {
    name: "drift live",
    specFile: SPEC,
    io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
    ...extra,
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

describe("runLiveDrift arguments", () => {
  it("--help prints the usage and exits 0", async () => {
    expect(await run(["--help"])).toEqual({ code: 0, stdout: liveDriftUsage("drift live"), stderr: "" });
  });

  it.each([
    [["a", "b"], "drift live: one recordings folder, not 2"],
    [[], `drift live: no recordings folder: ${liveDriftUsage("drift live")}`],
    [["--target"], "drift live: Option '--target <value>' argument missing"],
    [[".", "--fail-on", "never"], 'drift live: --fail-on must be breaking or risky (got "never")'],
  ])("refuses %j with exit 2 and one line naming the problem (no stack trace)", async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(message);
  });

  it("reads the context's default folder when none is given, naming the command in the no-recordings line", async () => {
    const { code, stdout } = await run([], { defaultRecordings: path.join(dir, "recordings") });
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^drift live: no recordings of target live in .*kling-live-command-\w+\/recordings: nothing to compare/,
    );
  });
});

describe("renderLiveMarkdown", () => {
  const report = (
    recordings: Partial<LiveDriftReport["recordings"]>,
    seen: LiveDriftReport["seen"] = {},
  ): LiveDriftReport => ({
    kind: "live",
    spec: { source: "spec/x.yaml", version: "" },
    recordings: { source: "recs", target: "live", total: 0, used: 0, skipped: {}, ...recordings },
    seen,
    summary: { breaking: 0, risky: 0, safe: 0 },
    findings: [],
  });

  it("states the spec, the recordings' time range, the skipped targets and what was seen", () => {
    const md = renderLiveMarkdown(
      report(
        { total: 4, used: 3, skipped: { prism: 1 }, from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" },
        { getTaskDetail: { "200": 2, "404": 1 } },
      ),
      "risky",
      0,
    );
    expect(md).toContain(
      "Spec: `spec/x.yaml` (version ?). Recordings: 3 of target `live` in `recs`, 2026-01-01T00:00:00Z to 2026-01-02T00:00:00Z (skipped, other targets: 1 prism).",
    );
    expect(md).toContain("Seen: `getTaskDetail` 200 x2, 404 x1.");
    expect(md).toContain("Result: 0 breaking, 0 risky, 0 safe; exit code 0 (fails on breaking or risky).");
  });

  it("with no recordings of the target, says so under the given name instead of a result", () => {
    const md = renderLiveMarkdown(report({ total: 1, skipped: { mock: 1 } }), "breaking", 0, "kling-edit drift live");
    expect(md).toContain("kling-edit drift live: no recordings of target live in recs: nothing to compare");
    expect(md).not.toContain("Result:");
    expect(md).not.toContain("Seen:");
  });
});
