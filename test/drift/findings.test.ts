/**
 * What both drift reports share: levels and exit codes, stable order, Markdown escaping, option checks, URL
 * redaction and acceptance files. The commands using them are in test/drift/spec-command.test.ts and live-command.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  acceptedMarkdown,
  applyAcceptances,
  cell,
  code,
  commonOptions,
  DriftInputError,
  exitCodeFor,
  type Finding,
  findingsMarkdown,
  loadAcceptances,
  redactUrl,
  sortFindings,
  summarize,
  summaryLine,
  writeReports,
} from "../../src/drift/findings.js";

const finding = (level: Finding["level"], extra: Partial<Finding> = {}): Finding => ({
  level,
  rule: "response-enum-value-added",
  operation: "getTaskDetail",
  where: "response 200",
  message: "a new value",
  ...extra,
});

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-findings-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("levels and exit codes", () => {
  const table: [string, { levels: Finding["level"][]; failOn: "breaking" | "risky"; want: 0 | 1 }][] = [
    ["nothing", { levels: [], failOn: "risky", want: 0 }],
    ["safe only, even with --fail-on risky", { levels: ["safe", "safe"], failOn: "risky", want: 0 }],
    ["risky, default --fail-on", { levels: ["risky"], failOn: "breaking", want: 0 }],
    ["risky with --fail-on risky", { levels: ["safe", "risky"], failOn: "risky", want: 1 }],
    ["breaking always fails", { levels: ["breaking"], failOn: "breaking", want: 1 }],
  ];
  it.each(table)("%s", (_name, { levels, failOn, want }) => {
    expect(
      exitCodeFor(
        levels.map((l) => finding(l)),
        failOn,
      ),
    ).toBe(want);
  });

  it("counts each level, and bolds only breaking and risky counts above zero", () => {
    const summary = summarize([finding("risky"), finding("safe"), finding("safe")]);
    expect(summary).toEqual({ breaking: 0, risky: 1, safe: 2 });
    expect(summaryLine(summary)).toBe("0 breaking, **1 risky**, 2 safe");
  });
});

describe("sortFindings", () => {
  it("orders by level, operation, where (numbers as numbers), field, then rule", () => {
    const sorted = sortFindings([
      finding("safe", { operation: "a" }),
      finding("risky", { where: "response 404" }),
      finding("risky", { where: "response 1000" }),
      finding("risky", { where: "response 200", field: "b" }),
      finding("risky", { where: "response 200", field: "a", rule: "z" }),
      finding("risky", { where: "response 200", field: "a", rule: "y" }),
      finding("breaking", { operation: "z" }),
    ]);
    expect(sorted.map((f) => `${f.level} ${f.operation} ${f.where} ${f.field ?? ""} ${f.rule}`.trim())).toEqual([
      "breaking z response 200  response-enum-value-added",
      "risky getTaskDetail response 200 a y",
      "risky getTaskDetail response 200 a z",
      "risky getTaskDetail response 200 b response-enum-value-added",
      "risky getTaskDetail response 404  response-enum-value-added",
      "risky getTaskDetail response 1000  response-enum-value-added",
      "safe a response 200  response-enum-value-added",
    ]);
  });
});

describe("Markdown", () => {
  it("escapes pipes, backslashes and newlines in a cell, and code survives backticks", () => {
    expect(cell("a|b\\c\nd")).toBe("a\\|b\\\\c d");
    expect(code("x")).toBe("`x`");
    expect(code("a`b")).toBe("`` a`b ``");
  });

  it("tables breaking and risky findings under headings, folds safe ones, and is empty for none", () => {
    expect(findingsMarkdown([])).toBe("");
    const md = findingsMarkdown([
      finding("breaking", { message: "gone | really", field: "task_info" }),
      finding("safe"),
    ]);
    expect(md).toMatch(/^### Breaking \(1\): /m);
    expect(md).not.toMatch(/^### Risky/m);
    expect(md).toContain("<details><summary>Safe (1): ");
    expect(md).toContain(
      "| `getTaskDetail` | response 200 | `task_info` | gone \\| really | `response-enum-value-added` |",
    );
  });

  it("lists accepted findings with their reason and stale acceptances by identity; nothing without a file", () => {
    const accepted = [{ ...finding("risky"), reason: "known" }];
    const stale = [{ rule: "r", operation: "o", where: "w", field: "f" }];
    expect(acceptedMarkdown(undefined, accepted, stale)).toBe("");
    expect(acceptedMarkdown("accept.yaml", [], [])).toBe("");
    const md = acceptedMarkdown("accept.yaml", accepted, stale);
    expect(md).toContain("Accepted (1): known differences listed in accept.yaml");
    expect(md).toContain("| risky | `getTaskDetail` | response 200 |  | a new value | known |");
    expect(md).toContain("Stale acceptances in accept.yaml (they match nothing any more: remove them): `r o w f`.");
  });
});

describe("commonOptions", () => {
  it("defaults to md and breaking, and keeps out and accept only when given", () => {
    expect(commonOptions({})).toEqual({ format: "md", failOn: "breaking" });
    expect(commonOptions({ format: "json", "fail-on": "risky", out: "o", accept: "a" })).toEqual({
      format: "json",
      failOn: "risky",
      out: "o",
      accept: "a",
    });
  });

  it.each([
    [{ format: "html" }, /--format must be md or json \(got "html"\)/],
    [{ "fail-on": "safe" }, /--fail-on must be breaking or risky \(got "safe"\)/],
  ])("refuses %j with a DriftInputError naming the option", (values, message) => {
    expect(() => commonOptions(values)).toThrow(DriftInputError);
    expect(() => commonOptions(values)).toThrow(message);
  });
});

describe("redactUrl", () => {
  const table: [string, string][] = [
    ["https://user:pw@example.com/spec.yaml", "https://***@example.com/spec.yaml"],
    ["https://example.com/spec?api_key=abc&v=2", "https://example.com/spec?api_key=***&v=2"],
    ["https://example.com/spec?X-Amz-Signature=abc", "https://example.com/spec?X-Amz-Signature=***"],
    ["https://example.com/spec?access_token=a&token=b", "https://example.com/spec?access_token=***&token=***"],
    ["spec/local.yaml", "spec/local.yaml"],
    ["https://example.com/plain.yaml", "https://example.com/plain.yaml"],
  ];
  it.each(table)("%s -> %s", (given, want) => {
    expect(redactUrl(given)).toBe(want);
  });
});

describe("acceptances", () => {
  const write = (text: string) => {
    const file = path.join(dir, "accept.yaml");
    fs.writeFileSync(file, text);
    return file;
  };

  it("reads YAML, keeps field and reason, ignores other keys, and an empty file is no acceptance", async () => {
    expect(await loadAcceptances(write(""))).toEqual([]);
    const file = write("- rule: r\n  operation: o\n  where: w\n  field: f\n  reason: why\n  level: risky\n");
    expect(await loadAcceptances(file)).toEqual([{ rule: "r", operation: "o", where: "w", field: "f", reason: "why" }]);
  });

  it.each([
    ["a map", "rule: r\n", /must be a list of accepted findings/],
    ["a missing where", "- rule: r\n  operation: o\n", /entry 1 needs a string `where`/],
    [
      "a second entry that is a string",
      "- rule: r\n  operation: o\n  where: w\n- nope\n",
      /entry 2 needs a string `rule`/,
    ],
    ["a numeric field", "- rule: r\n  operation: o\n  where: w\n  field: 3\n", /entry 1: `field` must be a string/],
    ["broken YAML", "- [unclosed\n", /Cannot read the acceptance file/],
  ])("refuses %s with a DriftInputError naming the entry", async (_name, text, message) => {
    const attempt = loadAcceptances(write(text));
    await expect(attempt).rejects.toBeInstanceOf(DriftInputError);
    await expect(attempt).rejects.toThrow(message);
  });

  it("a missing file is a DriftInputError naming it", async () => {
    await expect(loadAcceptances(path.join(dir, "none.yaml"))).rejects.toThrow(/none\.yaml/);
  });

  it("splits findings into open and accepted by rule, operation, where and field; unmatched acceptances are stale", () => {
    const withField = finding("risky", { field: "status" });
    const without = finding("breaking");
    const { open, accepted, stale } = applyAcceptances(
      [withField, without],
      [
        { rule: withField.rule, operation: withField.operation, where: withField.where, field: "status", reason: "ok" },
        // The same finding without its field is another identity: it matches the finding that has no field.
        { rule: without.rule, operation: without.operation, where: "response 404" },
      ],
    );
    expect(open).toEqual([without]);
    expect(accepted).toEqual([{ ...withField, reason: "ok" }]);
    expect(stale).toEqual([{ rule: without.rule, operation: without.operation, where: "response 404" }]);
  });
});

describe("writeReports", () => {
  it("creates the folder and writes NAME.md and NAME.json (pretty, newline-terminated)", async () => {
    const out = path.join(dir, "a", "b");
    const files = await writeReports(out, "drift", "# hi\n", { n: 1 });
    expect(files).toEqual([path.join(out, "drift.md"), path.join(out, "drift.json")]);
    expect(fs.readFileSync(files[0] as string, "utf8")).toBe("# hi\n");
    expect(fs.readFileSync(files[1] as string, "utf8")).toBe('{\n  "n": 1\n}\n');
  });
});
