/**
 * The reports of a verify run, all three from one {@link VerifyResult}: Markdown for a person (violations grouped by
 * check with one example exchange each, then a line per passed and per not-applicable check), JSON for programs, and
 * JUnit XML for CI (one test case per check: failed, skipped when not applicable).
 */
import type { CheckResult, VerifyResult } from "./run.js";
import type { Exchange, Violation } from "./types.js";

/** The report formats. */
export const REPORT_FORMATS = ["md", "json", "junit"] as const;
/** A report format. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Renders a result in a format. */
export function renderReport(result: VerifyResult, format: ReportFormat): string {
  if (format === "json") return `${JSON.stringify(reportJson(result), null, 2)}\n`;
  if (format === "junit") return renderJunit(result);
  return renderMarkdown(result);
}

const MAX_BODY = 600;

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function bodyText(body: unknown): string {
  if (body === null || body === undefined || body === "") return "";
  return typeof body === "string" ? body : JSON.stringify(body, null, 2);
}

/** One exchange as a short HTTP-like transcript (no credential: exchanges never hold the Authorization header). */
export function formatExchange(exchange: Exchange): string {
  const { request, response } = exchange;
  const lines = [`${request.method} ${request.path}`];
  for (const name of ["content-type", "prefer"]) {
    if (request.headers[name]) lines.push(`${name}: ${request.headers[name]}`);
  }
  const sent = bodyText(request.body);
  if (sent) lines.push("", truncate(sent, MAX_BODY));
  lines.push("", `HTTP ${response.status}`);
  for (const name of ["content-type", "x-request-id", "request-id"]) {
    if (response.headers[name]) lines.push(`${name}: ${response.headers[name]}`);
  }
  const got = bodyText(response.body);
  if (got) lines.push("", truncate(got, MAX_BODY));
  return lines.join("\n");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function verdict(result: VerifyResult): string {
  return result.exitCode === 0 ? "PASS" : "FAIL";
}

function count(result: VerifyResult, outcome: CheckResult["outcome"]): number {
  return result.checks.filter((c) => c.outcome === outcome).length;
}

function example(check: CheckResult): Exchange | undefined {
  return check.violations.find((v) => v.exchange)?.exchange;
}

/** The Markdown report. */
export function renderMarkdown(result: VerifyResult): string {
  const lines = [
    `# kling-edit verify: ${verdict(result)}`,
    "",
    `Server ${result.baseUrl}${result.server === "prism" ? " (answers like Prism)" : ""}; spec ${result.spec.version} ` +
      `(sha256 ${result.spec.sha256.slice(0, 12)}); ${result.startedAt}.`,
    `Mode: ${result.spend ? `--spend (${result.tasksCreated} tasks created)` : "free (no request could create a task)"}; ` +
      `callbacks: ${result.callbackUrl ?? "not checked (no --callback-url)"}.`,
    "",
    `**${result.checks.length} checks: ${count(result, "passed")} passed, ${count(result, "failed")} failed, ` +
      `${count(result, "not-applicable")} not applicable**; ${result.exchanges} exchanges.`,
    "",
  ];
  const failed = result.checks.filter((c) => c.outcome === "failed");
  if (failed.length) {
    lines.push("## Violations", "");
    for (const check of failed) {
      lines.push(`### ${check.name} (${check.violations.length})`, "", check.description, "");
      lines.push(
        "| operation | status | JSON pointer | request id | rule | message |",
        "| --- | --- | --- | --- | --- | --- |",
      );
      for (const v of check.violations) {
        lines.push(
          `| ${v.operation} | ${v.status ?? "-"} | \`${v.pointer || "(exchange)"}\` | ${v.requestId ?? "-"} | ${v.rule} | ${cell(v.message)} |`,
        );
      }
      const shown = example(check);
      if (shown) lines.push("", "Example exchange:", "", "```http", formatExchange(shown), "```");
      lines.push("");
    }
  }
  const passed = result.checks.filter((c) => c.outcome === "passed");
  if (passed.length) {
    lines.push("## Passed", "", ...passed.map((c) => `- \`${c.name}\`: ${c.description} (${c.reason})`), "");
  }
  const skipped = result.checks.filter((c) => c.outcome === "not-applicable");
  if (skipped.length) {
    lines.push("## Not applicable", "", ...skipped.map((c) => `- \`${c.name}\`: ${c.reason}`), "");
  }
  if (result.notes.length) lines.push("## Notes", "", ...result.notes.map((n) => `- ${n}`), "");
  return `${lines.join("\n").trimEnd()}\n`;
}

function violationJson(v: Violation) {
  const { exchange: _, ...rest } = v;
  return rest;
}

/** The JSON report: the result, each check's violations without their exchanges, one example exchange per check. */
export function reportJson(result: VerifyResult) {
  return {
    ...result,
    checks: result.checks.map((check) => {
      const shown = example(check);
      return { ...check, violations: check.violations.map(violationJson), ...(shown ? { example: shown } : {}) };
    }),
  };
}

function xml(text: string): string {
  return (
    text
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are not allowed in XML 1.0
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
  );
}

/** The JUnit XML report: one test case per check. */
export function renderJunit(result: VerifyResult): string {
  const seconds = (Date.parse(result.finishedAt) - Date.parse(result.startedAt)) / 1000;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kling-edit verify" tests="${result.checks.length}" failures="${count(result, "failed")}" skipped="${count(result, "not-applicable")}" time="${seconds}">`,
    `  <testsuite name="${xml(result.baseUrl)}" tests="${result.checks.length}" failures="${count(result, "failed")}" skipped="${count(result, "not-applicable")}" timestamp="${result.startedAt}" time="${seconds}">`,
  ];
  for (const check of result.checks) {
    const open = `    <testcase classname="kling-edit verify" name="${xml(check.name)}" time="0">`;
    if (check.outcome === "passed") {
      lines.push(`${open}</testcase>`);
    } else if (check.outcome === "not-applicable") {
      lines.push(open, `      <skipped message="${xml(check.reason ?? "not applicable")}"/>`, "    </testcase>");
    } else {
      const first = check.violations[0];
      const text = check.violations
        .map(
          (v) =>
            `${v.operation} ${v.status ?? "-"} ${v.pointer || "(exchange)"} ${v.requestId ?? "-"} ${v.rule}: ${v.message}`,
        )
        .join("\n");
      const shown = example(check);
      lines.push(
        open,
        `      <failure message="${xml(first ? `${first.rule}: ${first.message}` : check.name)}" type="${xml(check.name)}">${xml(
          shown ? `${text}\n\nExample exchange:\n${formatExchange(shown)}` : text,
        )}</failure>`,
        "    </testcase>",
      );
    }
  }
  lines.push("  </testsuite>", "</testsuites>", "");
  return lines.join("\n");
}
