/**
 * The shared tail of `drift spec` and `drift live` (src/drift/command.ts), in-process with an injected Io: accepted
 * findings set apart before the exit code is chosen, the report each format prints, `--out`, and how a failure to run
 * is told (exit 2; a stack only for what looks like a bug). The commands around it are in spec-command.test.ts and
 * live-command.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COMMON_ARGS,
  finishReport,
  isUnexpected,
  type ReportTail,
  registerInputError,
  reportFailure,
} from "../../src/drift/command.js";
import { type CommonOptions, DriftInputError, type Finding, type Level, summarize } from "../../src/drift/findings.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-drift-command-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function recordingIo() {
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  return { lines, io: { stdout: (t: string) => lines.stdout.push(t), stderr: (t: string) => lines.stderr.push(t) } };
}

const finding = (level: Level, rule: string, field?: string): Finding => ({
  level,
  rule,
  operation: "GET /v1/tasks/{task_id}",
  where: "response 200",
  ...(field ? { field } : {}),
  message: `${rule} changed`,
});

/** A fresh report of one breaking and one risky finding (finishReport rewrites it). */
const report = () => {
  const findings = [
    finding("breaking", "enum-value-removed", "status"),
    finding("risky", "enum-value-added", "status"),
  ];
  return { findings, summary: summarize(findings), source: "upstream.yaml" };
};

type Report = ReturnType<typeof report>;

function tail(options: Partial<CommonOptions>, extra: Partial<ReportTail<Report>> = {}) {
  const { io, lines } = recordingIo();
  const t: ReportTail<Report> = {
    name: "drift test",
    io,
    options: { format: "md", failOn: "breaking", ...options },
    file: "drift-test",
    markdown: (r, exitCode) => `# ${r.findings.map((f) => f.rule).join(",")} exit ${exitCode}`,
    ...extra,
  };
  return { tail: t, lines };
}

describe("finishReport", () => {
  it("exit code from --fail-on over the open findings; md prints the command's Markdown, json the whole report", async () => {
    const md = tail({});
    expect(await finishReport(report(), md.tail)).toBe(1);
    expect(md.lines).toEqual({ stdout: ["# enum-value-removed,enum-value-added exit 1"], stderr: [] });

    const json = tail({ format: "json", failOn: "risky" });
    expect(await finishReport(report(), json.tail)).toBe(1);
    expect(JSON.parse(json.lines.stdout.join(""))).toEqual({
      ...report(),
      failOn: "risky",
      exitCode: 1,
    });
    expect(json.lines.stdout).toHaveLength(1);

    // A command's own exit rule and stdout wrapper (drift live) take precedence.
    const own = tail({}, { exitCode: () => 0, stdoutMarkdown: (m) => `<pre>${m}</pre>` });
    expect(await finishReport(report(), own.tail)).toBe(0);
    expect(own.lines.stdout).toEqual(["<pre># enum-value-removed,enum-value-added exit 0</pre>"]);
  });

  it("accepted findings never fail the run: removed, recounted, listed apart with their reason; stale ones named", async () => {
    const accept = path.join(dir, "accepted.yaml");
    fs.writeFileSync(
      accept,
      [
        "- rule: enum-value-removed",
        "  operation: GET /v1/tasks/{task_id}",
        "  where: response 200",
        "  field: status",
        "  reason: the provider's page lags behind",
        "- rule: gone-rule",
        "  operation: GET /nowhere",
        "  where: response 200",
      ].join("\n"),
    );
    const r = report();
    const md = tail({ accept });
    expect(await finishReport(r, md.tail)).toBe(0);
    expect(r.findings.map((f) => f.rule)).toEqual(["enum-value-added"]);
    expect(r.summary).toEqual({ breaking: 0, risky: 1, safe: 0 });
    const text = md.lines.stdout.join("\n");
    expect(text.startsWith("# enum-value-added exit 0")).toBe(true);
    expect(text).toContain("Accepted (1)");
    expect(text).toContain("the provider's page lags behind");
    expect(text).toContain("`gone-rule GET /nowhere response 200`");

    const json = tail({ accept, format: "json", failOn: "risky" });
    expect(await finishReport(report(), json.tail)).toBe(1);
    const printed = JSON.parse(json.lines.stdout.join("")) as Record<string, unknown>;
    expect(printed.summary).toEqual({ breaking: 0, risky: 1, safe: 0 });
    expect(printed.accepted).toEqual([
      { ...finding("breaking", "enum-value-removed", "status"), reason: "the provider's page lags behind" },
    ]);
    expect(printed.staleAcceptances).toEqual([{ rule: "gone-rule", operation: "GET /nowhere", where: "response 200" }]);
    expect(printed.exitCode).toBe(1);
  });

  it("--out writes the same Markdown and JSON as printed, and says where on stderr", async () => {
    const out = path.join(dir, "reports", "nested");
    const md = tail({ out });
    await finishReport(report(), md.tail);
    const files = [path.join(out, "drift-test.md"), path.join(out, "drift-test.json")];
    expect(md.lines.stderr).toEqual([`drift test: wrote ${files.join(", ")}`]);
    expect(fs.readFileSync(files[0] ?? "", "utf8")).toBe(md.lines.stdout[0]);
    expect(JSON.parse(fs.readFileSync(files[1] ?? "", "utf8"))).toMatchObject({ failOn: "breaking", exitCode: 1 });
  });
});

describe("failures to run", () => {
  const parseError = (): unknown => {
    try {
      parseArgs({ args: ["--nope"], options: COMMON_ARGS, strict: true });
    } catch (error) {
      return error;
    }
    throw new Error("parseArgs accepted an unknown option");
  };

  it("bad input (DriftInputError, a parseArgs error) is expected; anything else is a bug", () => {
    expect(isUnexpected(new DriftInputError("--format must be md or json"))).toBe(false);
    expect(isUnexpected(parseError())).toBe(false);
    expect(isUnexpected(new TypeError("x is undefined"))).toBe(true);
    expect(isUnexpected("a string")).toBe(true);
    expect(isUnexpected(undefined)).toBe(true);
  });

  it("a registered error class (and its subclasses) counts as bad input from then on", () => {
    class ApplyError extends Error {}
    class NarrowApplyError extends ApplyError {}
    expect(isUnexpected(new NarrowApplyError("cannot apply"))).toBe(true);
    registerInputError(ApplyError);
    expect(isUnexpected(new NarrowApplyError("cannot apply"))).toBe(false);
    expect(isUnexpected(new RangeError("still a bug"))).toBe(true);
  });

  it("reportFailure exits 2 with one line for bad input, and adds the stack only for a bug", () => {
    const input = recordingIo();
    expect(reportFailure("drift spec", input.io, new DriftInputError("no upstream document"))).toBe(2);
    expect(input.lines).toEqual({ stdout: [], stderr: ["drift spec: no upstream document"] });

    const parse = recordingIo();
    expect(reportFailure("drift live", parse.io, parseError())).toBe(2);
    expect(parse.lines.stderr).toHaveLength(1);
    expect(parse.lines.stderr[0]).toMatch(/^drift live: Unknown option '--nope'/);

    const bug = recordingIo();
    const error = new TypeError("cannot read properties of undefined");
    expect(reportFailure("drift spec", bug.io, error)).toBe(2);
    expect(bug.lines.stderr).toEqual(["drift spec: cannot read properties of undefined", String(error.stack)]);
    expect(bug.lines.stdout).toEqual([]);

    const thrown = recordingIo();
    expect(reportFailure("drift spec", thrown.io, "plain text")).toBe(2);
    expect(thrown.lines.stderr[0]).toBe("drift spec: plain text");
  });
});
