/**
 * What both drift reports are made of: findings with a level seen from a client's point of view, the exit-code
 * convention (0 = nothing that fails the run, 1 = drift that fails it, 2 = the check could not run), and the
 * Markdown/JSON renderers shared by `drift:spec` and `drift:live`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";

/** How a change affects a client of the pinned spec. */
export type Level = "breaking" | "risky" | "safe";

/** The levels, most severe first (the order of the report's sections). */
export const LEVELS: readonly Level[] = ["breaking", "risky", "safe"];

/** One difference between the pinned spec and upstream, or between the pinned spec and the wire. */
export interface Finding {
  /** How it affects a client of the pinned spec. */
  level: Level;
  /** Stable rule id, e.g. `response-enum-value-added`; README.md lists them. */
  rule: string;
  /** The pinned spec's operationId (or the upstream one for a new operation); `(document)` for top-level changes. */
  operation: string;
  /** Where in the operation: `request body`, `response 200`, `parameter path task_id`, `callback taskFinished`. */
  where: string;
  /** Field path inside a body, `task_info.can_cancel` or `results[]`; absent for the body itself. */
  field?: string;
  /** One sentence for a person: what changed and what it means for the client. */
  message: string;
  /** The pinned value, where one helps (JSON). */
  before?: unknown;
  /** The upstream (or observed) value, where one helps (JSON). */
  after?: unknown;
}

/** Which level makes the command exit 1. */
export type FailOn = "breaking" | "risky";

/** The exit code of a check that could not run: bad arguments, unreadable input, nothing to compare. */
export const EXIT_ERROR = 2;

/** An input or usage problem: the check could not run (exit code 2), as opposed to drift found (exit code 1). */
export class DriftInputError extends Error {
  override name = "DriftInputError";
}

/** Counts findings per level. */
export function summarize(findings: readonly Finding[]): Record<Level, number> {
  const summary: Record<Level, number> = { breaking: 0, risky: 0, safe: 0 };
  for (const finding of findings) summary[finding.level]++;
  return summary;
}

/** 1 when a finding reaches `failOn` (breaking always does), else 0. */
export function exitCodeFor(findings: readonly Finding[], failOn: FailOn): 0 | 1 {
  const failing: Level[] = failOn === "risky" ? ["breaking", "risky"] : ["breaking"];
  return findings.some((f) => failing.includes(f.level)) ? 1 : 0;
}

/** Sorts findings by level, then operation, where and field, so reports are stable from run to run. */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank = (f: Finding) => LEVELS.indexOf(f.level);
  return findings.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.operation.localeCompare(b.operation) ||
      a.where.localeCompare(b.where, "en", { numeric: true }) ||
      (a.field ?? "").localeCompare(b.field ?? "") ||
      a.rule.localeCompare(b.rule),
  );
}

/** Escapes a value for one Markdown table cell. */
export function cell(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** Inline code that survives backticks in the value. */
export function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

const HEADINGS: Record<Level, string> = {
  breaking: "Breaking",
  risky: "Risky",
  safe: "Safe",
};

const WHY: Record<Level, string> = {
  breaking: "code written against the pinned spec fails or misbehaves",
  risky: "works today, but an exhaustive switch, a strict validator or a retry policy may trip",
  safe: "nothing a client has to change",
};

/** The findings as Markdown sections, breaking and risky as tables, safe ones folded (they can be many). */
export function findingsMarkdown(findings: readonly Finding[]): string {
  const lines: string[] = [];
  for (const level of LEVELS) {
    const rows = findings.filter((f) => f.level === level);
    if (rows.length === 0) continue;
    const table = [
      "| Operation | Where | Field | Change | Rule |",
      "| --- | --- | --- | --- | --- |",
      ...rows.map(
        (f) =>
          `| ${code(f.operation)} | ${cell(f.where)} | ${f.field ? code(cell(f.field)) : ""} | ${cell(f.message)} | ${code(f.rule)} |`,
      ),
    ];
    const title = `${HEADINGS[level]} (${rows.length}): ${WHY[level]}`;
    if (level === "safe") {
      lines.push(`<details><summary>${title}</summary>`, "", ...table, "", "</details>", "");
    } else {
      lines.push(`### ${title}`, "", ...table, "");
    }
  }
  return lines.length > 1 ? lines.join("\n") : "";
}

/** One line for the top of a report: `**1 breaking**, 2 risky, 14 safe`. */
export function summaryLine(summary: Record<Level, number>): string {
  return LEVELS.map((level) =>
    summary[level] > 0 && level !== "safe" ? `**${summary[level]} ${level}**` : `${summary[level]} ${level}`,
  ).join(", ");
}

/** Writes `NAME.md` and `NAME.json` into `dir` (created if missing); returns their paths. */
export async function writeReports(dir: string, name: string, markdown: string, json: unknown): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const md = join(dir, `${name}.md`);
  const js = join(dir, `${name}.json`);
  await writeFile(md, markdown);
  await writeFile(js, `${JSON.stringify(json, null, 2)}\n`);
  return [md, js];
}

/** The options both commands share, validated. */
export interface CommonOptions {
  /** What goes to stdout. @default "md" */
  format: "md" | "json";
  /** The lowest level that makes the command exit 1. @default "breaking" */
  failOn: FailOn;
  /** A folder to also write both reports into. */
  out?: string;
  /** A file of accepted (known) differences: they are reported apart and never fail the run. */
  accept?: string;
}

/** Validates `--format`, `--fail-on` and `--out`, naming the option and the accepted values on error. */
export function commonOptions(values: {
  format?: string;
  "fail-on"?: string;
  out?: string;
  accept?: string;
}): CommonOptions {
  const format = values.format ?? "md";
  if (format !== "md" && format !== "json") {
    throw new DriftInputError(`--format must be md or json (got ${JSON.stringify(format)})`);
  }
  const failOn = values["fail-on"] ?? "breaking";
  if (failOn !== "breaking" && failOn !== "risky") {
    throw new DriftInputError(`--fail-on must be breaking or risky (got ${JSON.stringify(failOn)})`);
  }
  return {
    format,
    failOn,
    ...(values.out ? { out: values.out } : {}),
    ...(values.accept ? { accept: values.accept } : {}),
  };
}

/** Where a command writes: injected so tests run the commands in-process. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The process's own streams. */
export const processIo: Io = {
  stdout: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  stderr: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
};

/** Hides credentials a URL may carry (user info, and query values whose names look secret) before it is printed. */
export function redactUrl(source: string): string {
  if (!/^https?:\/\//i.test(source)) return source;
  try {
    const url = new URL(source);
    if (url.username || url.password) {
      url.username = "***";
      url.password = "";
    }
    for (const key of [...url.searchParams.keys()]) {
      if (/key|token|secret|sig|auth|pass|credential/i.test(key)) url.searchParams.set(key, "***");
    }
    return url.toString();
  } catch {
    return source;
  }
}

/**
 * A known difference the team has accepted (the pinned spec states an inference the provider's page does not, say),
 * identified like a finding. The file is a YAML or JSON list of these; findings copied from a JSON report work as
 * they are (other keys are ignored).
 */
export interface Acceptance {
  rule: string;
  operation: string;
  where: string;
  /** Absent for a finding without a field. */
  field?: string;
  /** Why it is accepted: shown in the report. */
  reason?: string;
}

/** Reads an acceptance file; every malformed entry is a {@link DriftInputError} naming its position and key. */
export async function loadAcceptances(file: string): Promise<Acceptance[]> {
  let parsed: unknown;
  try {
    parsed = parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new DriftInputError(`Cannot read the acceptance file ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (parsed === null || parsed === undefined) return [];
  if (!Array.isArray(parsed)) throw new DriftInputError(`${file} must be a list of accepted findings`);
  return parsed.map((entry, i) => {
    const e = entry as Record<string, unknown>;
    for (const key of ["rule", "operation", "where"]) {
      if (typeof e?.[key] !== "string") {
        throw new DriftInputError(`${file}: entry ${i + 1} needs a string \`${key}\` (rule, operation, where, field?)`);
      }
    }
    if (e.field !== undefined && typeof e.field !== "string") {
      throw new DriftInputError(`${file}: entry ${i + 1}: \`field\` must be a string`);
    }
    return {
      rule: String(e.rule),
      operation: String(e.operation),
      where: String(e.where),
      ...(typeof e.field === "string" ? { field: e.field } : {}),
      ...(typeof e.reason === "string" ? { reason: e.reason } : {}),
    };
  });
}

const identity = (f: { rule: string; operation: string; where: string; field?: string | undefined }) =>
  JSON.stringify([f.rule, f.operation, f.where, f.field ?? ""]);

/** Splits findings into open and accepted ones; acceptances that matched nothing are stale (prune them). */
export function applyAcceptances(
  findings: readonly Finding[],
  acceptances: readonly Acceptance[],
): { open: Finding[]; accepted: (Finding & { reason?: string })[]; stale: Acceptance[] } {
  const byKey = new Map(acceptances.map((a) => [identity(a), a]));
  const used = new Set<string>();
  const open: Finding[] = [];
  const accepted: (Finding & { reason?: string })[] = [];
  for (const finding of findings) {
    const acceptance = byKey.get(identity(finding));
    if (!acceptance) {
      open.push(finding);
      continue;
    }
    used.add(identity(finding));
    accepted.push({ ...finding, ...(acceptance.reason ? { reason: acceptance.reason } : {}) });
  }
  return { open, accepted, stale: acceptances.filter((a) => !used.has(identity(a))) };
}

/** The accepted and stale parts of a report, folded (empty when there are none). */
export function acceptedMarkdown(
  file: string | undefined,
  accepted: readonly (Finding & { reason?: string })[],
  stale: readonly Acceptance[],
): string {
  if (!file) return "";
  const lines: string[] = [""];
  if (accepted.length > 0) {
    lines.push(
      `<details><summary>Accepted (${accepted.length}): known differences listed in ${file}, not counted</summary>`,
      "",
      "| Level | Operation | Where | Field | Change | Reason |",
      "| --- | --- | --- | --- | --- | --- |",
      ...accepted.map(
        (f) =>
          `| ${f.level} | ${code(f.operation)} | ${cell(f.where)} | ${f.field ? code(cell(f.field)) : ""} | ${cell(f.message)} | ${cell(f.reason ?? "")} |`,
      ),
      "",
      "</details>",
      "",
    );
  }
  if (stale.length > 0) {
    lines.push(
      `Stale acceptances in ${file} (they match nothing any more: remove them): ${stale
        .map((a) => code(`${a.rule} ${a.operation} ${a.where}${a.field ? ` ${a.field}` : ""}`))
        .join(", ")}.`,
      "",
    );
  }
  return lines.length > 1 ? lines.join("\n") : "";
}
