/**
 * `drift spec`: the pinned spec against the provider's published OpenAPI document(s), classified for clients. One
 * implementation behind `kling-edit drift spec` and `npm run drift:spec` (which adds `--apply`, a maintainer's step
 * that rewrites spec/ and regenerates the code).
 *
 * Exit codes: 0 no drift that fails the run, 1 drift at or above --fail-on, 2 the check could not run.
 */
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  acceptedMarkdown,
  applyAcceptances,
  code,
  commonOptions,
  DriftInputError,
  EXIT_ERROR,
  exitCodeFor,
  type FailOn,
  findingsMarkdown,
  type Io,
  loadAcceptances,
  summarize,
  summaryLine,
  writeReports,
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
        format: { type: "string" },
        "fail-on": { type: "string" },
        out: { type: "string" },
        complete: { type: "boolean", default: false },
        pinned: { type: "string" },
        accept: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
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
    const { open, accepted, stale } = applyAcceptances(
      report.findings,
      options.accept ? await loadAcceptances(options.accept) : [],
    );
    report.findings = open;
    report.summary = summarize(open);
    const exitCode = exitCodeFor(report.findings, options.failOn);
    const markdown = `${renderSpecMarkdown(report, options.failOn, exitCode)}${acceptedMarkdown(options.accept, accepted, stale)}`;
    const json = {
      ...report,
      ...(options.accept ? { accepted, staleAcceptances: stale } : {}),
      failOn: options.failOn,
      exitCode,
    };
    if (options.out) {
      const written = await writeReports(options.out, "drift-spec", markdown, json);
      io.stderr(`${name}: wrote ${written.join(", ")}`);
    }
    io.stdout(options.format === "json" ? JSON.stringify(json, null, 2) : markdown);
    if (apply && context.apply) {
      if (differences === 0) {
        io.stderr(`${name} --apply: nothing to apply, the compared operations match the pinned spec`);
      } else {
        await context.apply(pinned, upstreams, complete, pinnedFile);
      }
    }
    return exitCode;
  } catch (error) {
    io.stderr(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    if (isUnexpected(error)) io.stderr(String((error as Error).stack));
    return EXIT_ERROR;
  }
}

/** Errors that are bad input (exit 2 with a message), not a bug worth a stack trace. */
const knownErrors: (new (...args: never[]) => Error)[] = [DriftInputError];

/** Registers another error class that is bad input rather than a bug (the script's ApplyError). */
export function registerInputError(errorClass: new (...args: never[]) => Error): void {
  knownErrors.push(errorClass);
}

/** A bug rather than bad input: worth a stack trace. */
export function isUnexpected(error: unknown): boolean {
  const known = knownErrors.some((k) => error instanceof k);
  // node:util parseArgs errors (unknown option, missing value) carry an ERR_PARSE_ARGS_* code.
  const parseArgsError = String((error as { code?: unknown })?.code ?? "").startsWith("ERR_PARSE_ARGS");
  return !known && !parseArgsError;
}
