/** The three reports of one verify result: Markdown, JSON and JUnit, each from a result built here. */
import { describe, expect, it } from "vitest";
import { formatExchange, renderReport, reportJson } from "../../src/verify/report.js";
import type { CheckResult, VerifyResult } from "../../src/verify/run.js";
import type { Exchange, Violation } from "../../src/verify/types.js";
import { enumViolation } from "./helpers.js";

const exchange: Exchange = {
  operationId: "getTaskDetail",
  request: {
    method: "GET",
    path: "/v1/tasks/t1",
    headers: { accept: "application/json", prefer: "code=404" },
    body: null,
  },
  response: {
    status: 200,
    headers: { "content-type": "application/json", "x-request-id": "req_9", "set-cookie": "s=1" },
    body: { id: "t1", status: "queued", note: "x".repeat(700) },
  },
};
const violation: Violation = {
  ...enumViolation('must be one of "pending" | <processing> & more'),
  requestId: "req_9",
  exchange,
};
const { exchange: _, ...rest } = violation;
const withoutExchange: Violation = { ...rest, status: null, pointer: "" };
const check = (name: CheckResult["name"], outcome: CheckResult["outcome"], extra: Partial<CheckResult> = {}) =>
  ({ name, description: `what ${name} holds`, outcome, evidence: 1, violations: [], ...extra }) as CheckResult;

const result = (checks: CheckResult[], extra: Partial<VerifyResult> = {}): VerifyResult => ({
  baseUrl: "http://127.0.0.1:4010",
  server: "api",
  spec: { version: "1.2.3", sha256: "0123456789abcdef0123" },
  spend: false,
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:00:02.500Z",
  tasksCreated: 0,
  exchanges: 7,
  checks,
  notes: [],
  exitCode: checks.some((c) => c.outcome === "failed") ? 1 : 0,
  ...extra,
});

const failing = result([
  check("body-schema", "failed", {
    violations: [violation, withoutExchange],
  }),
  check("status-documented", "passed", { reason: "3 probes" }),
  check("task-finishes", "not-applicable", { reason: "needs --spend (it creates tasks)" }),
]);

describe("formatExchange", () => {
  it("shows method, path, the headers that matter and bodies cut at 600 characters; never a cookie", () => {
    const text = formatExchange(exchange);
    expect(text.split("\n").slice(0, 4)).toEqual(["GET /v1/tasks/t1", "prefer: code=404", "", "HTTP 200"]);
    expect(text).toContain("x-request-id: req_9");
    expect(text).not.toContain("set-cookie");
    const body = text.split("\n\n").at(-1) ?? "";
    expect(body.length).toBe(600);
    expect(body.endsWith("...")).toBe(true);
  });
});

describe("Markdown", () => {
  it("leads with the verdict, the mode and the counts", () => {
    const md = renderReport(failing, "md");
    expect(md.startsWith("# kling-edit verify: FAIL\n")).toBe(true);
    expect(md).toContain("spec 1.2.3 (sha256 0123456789ab)");
    expect(md).toContain("Mode: free (no request could create a task); callbacks: not checked (no --callback-url).");
    expect(md).toContain("**3 checks: 1 passed, 1 failed, 1 not applicable**; 7 exchanges.");
    expect(
      renderReport(
        result([check("status-documented", "passed")], { spend: true, tasksCreated: 4, server: "prism" }),
        "md",
      ),
    ).toMatch(
      /^# kling-edit verify: PASS\n\nServer http:\/\/127\.0\.0\.1:4010 \(answers like Prism\).*\nMode: --spend \(4 tasks created\)/,
    );
  });

  it("lists each violation with its pointer and request id, escaping pipes, then one example exchange", () => {
    const md = renderReport(failing, "md");
    expect(md).toContain("### body-schema (2)");
    expect(md).toContain(
      '| getTaskDetail | 200 | `/body/status` | req_9 | schema:enum | must be one of "pending" \\| <processing> & more |',
    );
    expect(md).toContain("| getTaskDetail | - | `(exchange)` | req_9 |");
    expect(md.match(/```http/g)).toHaveLength(1);
    expect(md).toContain("## Passed\n\n- `status-documented`: what status-documented holds (3 probes)");
    expect(md).toContain("## Not applicable\n\n- `task-finishes`: needs --spend (it creates tasks)");
  });
});

describe("JSON", () => {
  it("drops each violation's exchange and keeps one example per failed check", () => {
    const json = reportJson(failing);
    const [failed, passed] = json.checks;
    expect(failed?.violations.every((v) => !("exchange" in v))).toBe(true);
    expect(failed?.example).toEqual(exchange);
    expect(passed).not.toHaveProperty("example");
    expect(JSON.parse(renderReport(failing, "json"))).toMatchObject({ exitCode: 1, exchanges: 7 });
  });
});

describe("JUnit", () => {
  it("has one test case per check: failed with its violations, skipped with its reason; counts and time", () => {
    const xml = renderReport(failing, "junit");
    expect(xml).toContain('<testsuites name="kling-edit verify" tests="3" failures="1" skipped="1" time="2.5">');
    expect(xml).toContain('<testcase classname="kling-edit verify" name="status-documented" time="0"></testcase>');
    expect(xml).toContain('<skipped message="needs --spend (it creates tasks)"/>');
    expect(xml).toContain(
      '<failure message="schema:enum: must be one of &quot;pending&quot; | &lt;processing&gt; &amp; more" type="body-schema">',
    );
    expect(xml.match(/<testcase /g)).toHaveLength(3);
  });

  it("escapes markup and drops the control characters XML 1.0 forbids", () => {
    const nasty = { ...violation, message: "bad \u0001byte\u001f & <tag>" };
    const xml = renderReport(result([check("body-schema", "failed", { violations: [nasty] })]), "junit");
    expect([...xml].filter((c) => c < " " && c !== "\n").map((c) => c.charCodeAt(0))).toEqual([]);
    expect(xml).toContain("bad byte &amp; &lt;tag&gt;");
    expect(xml).not.toContain("<tag>");
  });
});
