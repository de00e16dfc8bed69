/**
 * runSpecDrift through its context (injected io, pinned file, apply hook) and renderSpecMarkdown. The command's
 * reports against served and provider documents are in test/drift/drift-spec.test.ts (through scripts/drift-spec.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  renderSpecMarkdown,
  runSpecDrift,
  type SpecDriftContext,
  specDriftUsage,
} from "../../src/drift/spec-command.js";
import type { SpecDriftReport } from "../../src/drift/spec-diff.js";

/** A small pinned spec (the real one takes several times longer to dereference): one operation, one enum. */
const smallSpec = (statuses: string[]) => ({
  openapi: "3.1.0",
  info: { title: "t", version: "1" },
  paths: {
    "/v1/tasks/{task_id}": {
      get: {
        operationId: "getTaskDetail",
        parameters: [{ name: "task_id", in: "path", required: true, schema: { type: "string" } }],
        responses: {
          "200": {
            description: "ok",
            content: { "application/json": { schema: { $ref: "#/components/schemas/TaskStatus" } } },
          },
        },
      },
    },
  },
  components: { schemas: { TaskStatus: { type: "string", enum: statuses } } },
});
let dir: string;
let PINNED: string;
let changed: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-spec-command-"));
  PINNED = path.join(dir, "pinned.yaml");
  fs.writeFileSync(PINNED, stringify(smallSpec(["pending", "completed"])));
  changed = path.join(dir, "changed.yaml");
  fs.writeFileSync(changed, stringify(smallSpec(["pending", "completed", "cancelled"])));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], extra: Partial<SpecDriftContext> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSpecDrift(argv, {
    name: "drift spec",
    pinnedFile: PINNED,
    env: {},
    io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
    ...extra,
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

describe("runSpecDrift", () => {
  it("--help prints the usage, offering --apply only where an apply hook is given", async () => {
    const plain = await run(["--help"]);
    expect(plain).toEqual({ code: 0, stdout: specDriftUsage("drift spec", false), stderr: "" });
    expect(plain.stdout).not.toContain("--apply");
    const withApply = await run(["-h"], { apply: async () => {} });
    expect(withApply.stdout).toContain("[--apply]");
  });

  it("refuses --apply without an apply hook as an unknown option (exit 2, no stack trace)", async () => {
    const { code, stderr } = await run([changed, "--apply"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^drift spec: Unknown option '--apply'/);
    expect(stderr).not.toContain("    at ");
  });

  it("calls the apply hook after the report when the compared operations differ, with the complete flag", async () => {
    const calls: { upstreams: number; complete: boolean; pinnedFile: string }[] = [];
    const apply: SpecDriftContext["apply"] = async (_pinned, upstreams, complete, pinnedFile) => {
      calls.push({ upstreams: upstreams.length, complete, pinnedFile });
    };
    const { code, stdout } = await run([changed, "--apply", "--complete"], { apply });
    expect(code).toBe(0);
    expect(stdout).toContain("### Risky");
    expect(calls).toEqual([{ upstreams: 1, complete: true, pinnedFile: PINNED }]);
  });

  it("does not call the apply hook when nothing differs, and says so", async () => {
    let called = false;
    const { code, stderr } = await run([PINNED, "--apply"], {
      apply: async () => {
        called = true;
      },
    });
    expect(code).toBe(0);
    expect(called).toBe(false);
    expect(stderr).toBe("drift spec --apply: nothing to apply, the compared operations match the pinned spec");
  });

  it("a failure that is not bad input (a bug) exits 2 with its stack trace", async () => {
    const { code, stderr } = await run([changed, "--apply"], {
      apply: async () => {
        throw new Error("disk on fire");
      },
    });
    expect(code).toBe(2);
    expect(stderr).toContain("drift spec: disk on fire");
    expect(stderr).toMatch(/\n\s+at /);
  });
});

describe("renderSpecMarkdown", () => {
  const report = (extra: Partial<SpecDriftReport>): SpecDriftReport => ({
    kind: "spec",
    pinned: { source: "spec/pinned.yaml", version: "" },
    upstream: [{ source: "page.yaml", version: "", operations: [] }],
    complete: false,
    compared: [],
    absentUpstream: [],
    summary: { breaking: 0, risky: 0, safe: 0 },
    findings: [],
    ...extra,
  });

  it("says what was compared, with ? for a missing version, and that nothing differs", () => {
    const md = renderSpecMarkdown(report({}), "breaking", 0);
    expect(md).toContain("Pinned: `spec/pinned.yaml` (version ?). Upstream: `page.yaml` (version ?: no operations).");
    expect(md).toContain(
      "Compared 0 operation(s). Result: 0 breaking, 0 risky, 0 safe; exit code 0 (fails on breaking).",
    );
    expect(md).toContain("No differences in the compared operations.");
    expect(md.endsWith("\n")).toBe(true);
    expect(md.endsWith("\n\n")).toBe(false);
  });

  it("lists the operations a page lacks, pointing at --complete, and names --fail-on risky", () => {
    const md = renderSpecMarkdown(
      report({
        compared: ["getTaskDetail"],
        absentUpstream: [{ operationId: "createVideoGeneration", method: "POST", path: "/v1/videos/generations" }],
      }),
      "risky",
      1,
    );
    expect(md).toContain("Compared 1 operation(s): `getTaskDetail`.");
    expect(md).toContain("exit code 1 (fails on breaking or risky)");
    expect(md).toMatch(
      /^> Not in the upstream document, so not compared: `createVideoGeneration` \(POST \/v1\/videos\/generations\)\. .*`--complete`/m,
    );
  });
});
