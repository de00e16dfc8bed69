/**
 * The suite's report for CI: per target, how many checks passed and failed, each violation (operation, status, JSON
 * pointer, rule), which documented statuses the run reached, written as Markdown and JSON under
 * `contract-tests/reports/` (vitest's junit reporter writes the XML next to them).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SPEC_SHA256, SPEC_VERSION } from "../../generated/spec-meta.js";
import { recognisePrism } from "../../src/verify/prism-inventions.js";
import type { ProbeResult } from "../../src/verify/probes.js";
import { operationTable, type Violation } from "../../src/verify/types.js";
import { REPORTS_DIR } from "./paths.js";

/** One check's line in the report. */
export interface CheckEntry {
  name: string;
  outcome: "passed" | "failed" | "skipped";
  exchanges: number;
  violations: Violation[];
  notes: string[];
}

/** The JSON report of one target. */
export interface ReportData {
  target: string;
  generatedAt: string;
  spec: { version: string; sha256: string };
  details: Record<string, string>;
  summary: { checks: number; passed: number; failed: number; skipped: number; exchanges: number; violations: number };
  checks: CheckEntry[];
  /** Per operation, each documented status and whether the target answered it (Prism's inventions excluded). */
  coverage: Record<string, Record<string, boolean>>;
}

/** One note per distinct rule and pointer (a lifecycle deviation repeats on every poll), with how often it was seen. */
function caughtNotes(violations: readonly Violation[]): string[] {
  const seen = new Map<string, { v: Violation; count: number }>();
  for (const v of violations) {
    const key = `${v.rule} ${v.pointer}`;
    const entry = seen.get(key);
    if (entry) entry.count += 1;
    else seen.set(key, { v, count: 1 });
  }
  return [...seen.values()].map(
    ({ v, count }) =>
      `deliberate deviation caught: ${v.rule} at ${v.pointer || "(exchange)"}: ${v.message}${count > 1 ? ` (x${count})` : ""}`,
  );
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** Collects check results for one target and writes them out. */
export class ContractReport {
  private readonly checks: CheckEntry[] = [];
  private readonly reached = new Set<string>();

  /**
   * @param target the target's name (`prism`, `mock`, `live`, `recordings`, `drift-corpus`): the file name too
   * @param details facts shown under the title (base URL, scenario, what was skipped and why)
   */
  constructor(
    readonly target: string,
    readonly details: Record<string, string> = {},
  ) {}

  /**
   * Adds a probe's result as one check. With `expectedRules` (a deliberate deviation: a mock fault scenario, a drift
   * corpus case) the check passes when exactly those rules were reported, and they are listed as notes.
   */
  add(result: ProbeResult, expectedRules?: readonly string[]): void {
    for (const exchange of result.exchanges) {
      if (!recognisePrism(exchange.response)) this.reached.add(`${exchange.operationId} ${exchange.response.status}`);
    }
    if (expectedRules) {
      const found = [...new Set(result.violations.map((v) => v.rule))].sort();
      const want = [...new Set(expectedRules)].sort();
      const caught = JSON.stringify(found) === JSON.stringify(want);
      this.checks.push({
        name: result.name,
        outcome: caught ? "passed" : "failed",
        exchanges: result.exchanges.length,
        violations: caught ? [] : result.violations,
        notes: [
          ...result.notes,
          ...(caught ? caughtNotes(result.violations) : []),
          ...(caught ? [] : [`expected exactly ${want.join(", ")}, found ${found.join(", ") || "nothing"}`]),
        ],
      });
      return;
    }
    this.checks.push({
      name: result.name,
      outcome: result.violations.length ? "failed" : "passed",
      exchanges: result.exchanges.length,
      violations: result.violations,
      notes: result.notes,
    });
  }

  /** Adds a check that did not run, with the reason. */
  skip(name: string, reason: string): void {
    this.checks.push({ name, outcome: "skipped", exchanges: 0, violations: [], notes: [reason] });
  }

  /** The report as data. */
  toJSON(): ReportData {
    const coverage: Record<string, Record<string, boolean>> = {};
    for (const [operationId, op] of Object.entries(operationTable)) {
      coverage[operationId] = Object.fromEntries(
        Object.keys(op.responses).map((status) => [status, this.reached.has(`${operationId} ${status}`)]),
      );
    }
    const count = (outcome: CheckEntry["outcome"]) => this.checks.filter((c) => c.outcome === outcome).length;
    return {
      target: this.target,
      generatedAt: new Date().toISOString(),
      spec: { version: SPEC_VERSION, sha256: SPEC_SHA256 },
      details: this.details,
      summary: {
        checks: this.checks.length,
        passed: count("passed"),
        failed: count("failed"),
        skipped: count("skipped"),
        exchanges: this.checks.reduce((n, c) => n + c.exchanges, 0),
        violations: this.checks.reduce((n, c) => n + c.violations.length, 0),
      },
      checks: this.checks,
      coverage,
    };
  }

  /** The short Markdown summary. */
  toMarkdown(): string {
    const data = this.toJSON();
    const s = data.summary;
    const lines = [
      `# Contract report: ${data.target}`,
      "",
      `Spec ${data.spec.version} (sha256 ${data.spec.sha256.slice(0, 12)}), ${data.generatedAt}.`,
      ...Object.entries(data.details).map(([k, v]) => `- ${k}: ${v}`),
      "",
      `**${s.failed ? "FAIL" : "PASS"}**: ${s.checks} checks, ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped; ` +
        `${s.exchanges} exchanges, ${s.violations} violations.`,
      "",
    ];
    const failed = data.checks.filter((c) => c.outcome === "failed");
    if (failed.length) {
      lines.push(
        "## Violations",
        "",
        "| check | operation | status | JSON pointer | rule | message |",
        "| --- | --- | --- | --- | --- | --- |",
      );
      for (const check of failed) {
        for (const v of check.violations) {
          lines.push(
            `| ${cell(check.name)} | ${v.operation} | ${v.status ?? "-"} | \`${v.pointer || "(exchange)"}\` | ${v.rule} | ${cell(v.message)} |`,
          );
        }
      }
      lines.push("");
    }
    lines.push("## Documented statuses reached", "");
    for (const [operationId, statuses] of Object.entries(data.coverage)) {
      const list = Object.entries(statuses).map(([status, hit]) => (hit ? status : `~~${status}~~`));
      lines.push(`- ${operationId}: ${list.join(" ")}`);
    }
    const notes = data.checks.flatMap((c) => c.notes.map((n) => `${c.name}: ${n}`));
    if (notes.length) lines.push("", "## Notes", "", ...notes.map((n) => `- ${cell(n)}`));
    return `${lines.join("\n")}\n`;
  }

  /** Writes `<target>.md` and `<target>.json`; returns their paths. */
  async write(dir = REPORTS_DIR): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    const base = join(dir, this.target);
    await writeFile(`${base}.json`, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
    await writeFile(`${base}.md`, this.toMarkdown());
    return [`${base}.json`, `${base}.md`];
  }
}
