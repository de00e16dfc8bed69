/**
 * What `drift spec` and `drift live` do alike once their report is built: set the accepted findings apart
 * (`--accept`), pick the exit code, write `--out`, print; and how either reports a failure to run (exit 2).
 */
import {
  acceptedMarkdown,
  applyAcceptances,
  type CommonOptions,
  DriftInputError,
  EXIT_ERROR,
  exitCodeFor,
  type Finding,
  type Io,
  type Level,
  loadAcceptances,
  summarize,
  writeReports,
} from "./findings.js";

/** The `parseArgs` options both commands take (validated by `commonOptions`), and `--help`. */
export const COMMON_ARGS = {
  format: { type: "string" },
  "fail-on": { type: "string" },
  out: { type: "string" },
  accept: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The part of a drift report the shared tail reads and rewrites. */
interface DriftReport {
  findings: Finding[];
  summary: Record<Level, number>;
}

/** How a command finishes its report. */
export interface ReportTail<R> {
  /** The command's name in messages. */
  name: string;
  io: Io;
  options: CommonOptions;
  /** The base name of the files `--out` writes (`drift-spec` -> drift-spec.md, drift-spec.json). */
  file: string;
  /** The Markdown report for the open findings. */
  markdown(report: R, exitCode: number): string;
  /** The exit code for the open findings. @default 1 when a finding reaches `--fail-on`, else 0 */
  exitCode?(report: R): number;
  /** What stdout gets in `--format md`. @default the Markdown report */
  stdoutMarkdown?(markdown: string): string;
}

/**
 * Finishes a report: drops the accepted findings from it (they are listed apart), recounts, writes `--out` and prints
 * the Markdown or JSON report. Returns the exit code.
 */
export async function finishReport<R extends DriftReport>(report: R, tail: ReportTail<R>): Promise<number> {
  const { options, io, name } = tail;
  const { open, accepted, stale } = applyAcceptances(
    report.findings,
    options.accept ? await loadAcceptances(options.accept) : [],
  );
  report.findings = open;
  report.summary = summarize(open);
  const exitCode = tail.exitCode ? tail.exitCode(report) : exitCodeFor(report.findings, options.failOn);
  const markdown = `${tail.markdown(report, exitCode)}${acceptedMarkdown(options.accept, accepted, stale)}`;
  const json = {
    ...report,
    ...(options.accept ? { accepted, staleAcceptances: stale } : {}),
    failOn: options.failOn,
    exitCode,
  };
  if (options.out) {
    const written = await writeReports(options.out, tail.file, markdown, json);
    io.stderr(`${name}: wrote ${written.join(", ")}`);
  }
  if (options.format === "json") io.stdout(JSON.stringify(json, null, 2));
  else io.stdout(tail.stdoutMarkdown ? tail.stdoutMarkdown(markdown) : markdown);
  return exitCode;
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

/** Reports why a command could not run (with the stack when it looks like a bug); returns exit code 2. */
export function reportFailure(name: string, io: Io, error: unknown): number {
  io.stderr(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  if (isUnexpected(error)) io.stderr(String((error as Error)?.stack));
  return EXIT_ERROR;
}
