/**
 * `drift spec`: the pinned spec against the provider's published OpenAPI document(s), classified for clients. One
 * implementation behind `kling-edit drift spec` and `npm run drift:spec` (which adds `--apply`, a maintainer's step
 * that rewrites spec/ and regenerates the code).
 *
 * Exit codes: 0 no drift that fails the run, 1 drift at or above --fail-on, 2 the check could not run.
 */
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { COMMON_ARGS, finishReport, reportFailure } from "./command.js";
import {
  code,
  commonOptions,
  DriftInputError,
  type FailOn,
  findingsMarkdown,
  type Io,
  summaryLine,
} from "./findings.js";
import { type LoadedSpec, type LoadOptions, loadSpec } from "./load.js";
import { compareSpecs, type SpecDriftReport } from "./spec-diff.js";

/** The Markdown report: a header that says what was compared, then the findings by level. */
export function renderSpecMarkdown(report: SpecDriftReport, failOn: FailOn, exitCode: number): string {
  const lines = ["## Spec drift: pinned spec vs the provider's published spec", ""];
  const upstream = report.upstream
    .map(
      (u) => `${code(u.source)} (version ${u.version || "?"}: ${u.operations.map(code).join(", ") || "no operations"})`,
    )
    .join("; ");
  lines.push(`Pinned: ${code(report.pinned.source)} (version ${report.pinned.version || "?"}). Upstream: ${upstream}.`);
  lines.push(
    `Compared ${report.compared.length} operation(s)${report.compared.length ? `: ${report.compared.map(code).join(", ")}` : ""}.` +
      ` Result: ${summaryLine(report.summary)}; exit code ${exitCode} (fails on ${failOn === "risky" ? "breaking or risky" : "breaking"}).`,
    "",
  );
  if (report.absentUpstream.length > 0) {
    const ops = report.absentUpstream.map((o) => `${code(o.operationId)} (${o.method} ${o.path})`).join(", ");
    lines.push(
      `> Not in the upstream document, so not compared: ${ops}. The provider publishes one page per operation: ` +
        "pass that page too, or `--complete` if the upstream document is the whole API (then these count as removed).",
      "",
    );
  }
  if (report.findings.length === 0) lines.push("No differences in the compared operations.", "");
  lines.push(findingsMarkdown(report.findings));
  return `${lines.join("\n").trimEnd()}\n`;
}

/** What {@link runSpecDrift} needs besides its arguments. */
export interface SpecDriftContext {
  /** The command's name in messages and usage (`kling-edit drift spec`, `drift:spec`). */
  name: string;
  /** The pinned spec file compared against when `--pinned` is not given. */
  pinnedFile: string;
  io: Io;
  /** Where `$KLING_SPEC_URL` is read. @default process.env */
  env?: Record<string, string | undefined>;
  load?: LoadOptions;
  /**
   * Adopts the upstream document(s) (`--apply`, offered only when given): called after the report when the compared
   * operations differ.
   */
  apply?: (pinned: LoadedSpec, upstreams: LoadedSpec[], complete: boolean, pinnedFile: string) => Promise<void>;
}

/** The usage line. */
export function specDriftUsage(name: string, apply: boolean): string {
  return `Usage: ${name} <file-or-url>... [--format md|json] [--fail-on breaking|risky] [--complete]${apply ? " [--apply]" : ""} [--out DIR] [--pinned FILE] [--accept FILE]`;
}

/** Runs `drift spec` on `argv`; returns its exit code. Every message goes to `context.io`. */
export async function runSpecDrift(argv: string[], context: SpecDriftContext): Promise<number> {
  const { io, name } = context;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...COMMON_ARGS,
        complete: { type: "boolean", default: false },
        pinned: { type: "string" },
        ...(context.apply ? { apply: { type: "boolean", default: false } } : {}),
      },
    });
    if (values.help) {
      io.stdout(specDriftUsage(name, context.apply !== undefined));
      return 0;
    }
    const apply = values.apply === true;
    const options = commonOptions(values as { format?: string; "fail-on"?: string; out?: string; accept?: string });
    const env = context.env ?? process.env;
    const sources = positionals.length > 0 ? positionals : (env.KLING_SPEC_URL ?? "").split(/\s+/).filter(Boolean);
    if (sources.length === 0) {
      throw new DriftInputError(
        `no upstream document: pass a file or URL (${name} <file-or-url>) or set KLING_SPEC_URL`,
      );
    }
    if (apply && values.pinned) {
      throw new DriftInputError("--apply writes spec/ and cannot be combined with --pinned");
    }
    const pinnedFile = resolve(typeof values.pinned === "string" ? values.pinned : context.pinnedFile);
    const pinned = await loadSpec(pinnedFile, context.load);
    pinned.source = relative(process.cwd(), pinnedFile) || pinnedFile;
    const upstreams = [];
    for (const source of sources) upstreams.push(await loadSpec(source, context.load));

    const complete = values.complete === true;
    const report = compareSpecs(pinned, upstreams, { complete });
    const differences = report.findings.length;
    const exitCode = await finishReport(report, {
      name,
      io,
      options,
      file: "drift-spec",
      markdown: (r, exitCode) => renderSpecMarkdown(r, options.failOn, exitCode),
    });
    if (apply && context.apply) {
      if (differences === 0) {
        io.stderr(`${name} --apply: nothing to apply, the compared operations match the pinned spec`);
      } else {
        await context.apply(pinned, upstreams, complete, pinnedFile);
      }
    }
    return exitCode;
  } catch (error) {
    return reportFailure(name, io, error);
  }
}
