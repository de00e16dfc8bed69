/**
 * Drift between the pinned spec and what the live API returned, from the contract recordings.
 *
 * Usage: npm run drift:live -- [--recordings DIR] [--target live|all|NAME] [--format md|json]
 *                               [--fail-on breaking|risky] [--out DIR] [--accept FILE]
 *
 *   --recordings  where the recordings are (one exchange per *.json). Default contract-tests/recordings.
 *   --target      which recordings count: `live` (default: Prism and mock recordings say nothing about the live
 *                 API), another target name, or `all`.
 *   --format, --fail-on, --out, --accept: as for drift:spec (the reports are drift-live.md and drift-live.json).
 *
 * With no recordings of the target it prints one "no recordings" line and exits 0.
 * Exit codes: 0 no drift that fails the run, 1 drift at or above --fail-on, 2 the check could not run.
 */
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type Recording, readRecordings, recordingProblems } from "../src/verify/recordings.js";
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
  processIo,
  summarize,
  summaryLine,
  writeReports,
} from "./drift/findings.js";
import { analyzeRecordings, DEFAULT_TARGET, type LiveDriftReport } from "./drift/live.js";
import { loadSpec } from "./drift/load.js";
import { ROOT, SPEC_PATH } from "./paths.js";

/** The Markdown report. */
export function renderLiveMarkdown(report: LiveDriftReport, failOn: FailOn, exitCode: number): string {
  const r = report.recordings;
  const lines = ["## Live drift: what the API returned vs the pinned spec", ""];
  const skipped = Object.entries(r.skipped)
    .map(([target, n]) => `${n} ${target}`)
    .join(", ");
  lines.push(
    `Spec: ${code(report.spec.source)} (version ${report.spec.version || "?"}). ` +
      `Recordings: ${r.used} of target ${code(r.target)} in ${code(r.source)}` +
      (r.from ? `, ${r.from} to ${r.to}` : "") +
      (skipped ? ` (skipped, other targets: ${skipped})` : "") +
      ".",
  );
  const seen = Object.entries(report.seen)
    .map(
      ([id, statuses]) =>
        `${code(id)} ${Object.entries(statuses)
          .map(([s, n]) => `${s} x${n}`)
          .join(", ")}`,
    )
    .join("; ");
  if (seen) lines.push(`Seen: ${seen}.`);
  if (r.used === 0) {
    lines.push("", noRecordingsLine(report));
  } else {
    lines.push(
      `Result: ${summaryLine(report.summary)}; exit code ${exitCode} (fails on ${failOn === "risky" ? "breaking or risky" : "breaking"}).`,
      "",
      findingsMarkdown(report.findings),
    );
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function noRecordingsLine(report: LiveDriftReport): string {
  return (
    `drift:live: no recordings of target ${report.recordings.target} in ${report.recordings.source}: nothing to compare ` +
    "(run the live contract suite with recording on, `npm run test:live -- --record`, first)."
  );
}

/** Runs the command; returns its exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        recordings: { type: "string" },
        target: { type: "string", default: DEFAULT_TARGET },
        format: { type: "string" },
        "fail-on": { type: "string" },
        out: { type: "string" },
        accept: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      io.stdout(
        "Usage: npm run drift:live -- [--recordings DIR] [--target live|all|NAME] [--format md|json] [--fail-on breaking|risky] [--out DIR] [--accept FILE]",
      );
      return 0;
    }
    const options = commonOptions(values);
    const dir = resolve(values.recordings ?? join(ROOT, "contract-tests/recordings"));
    const shownDir = relative(process.cwd(), dir) || ".";
    const files = await readRecordings(dir);
    const problems = files.flatMap(({ file, value }) =>
      recordingProblems(value).map((problem) => `${join(shownDir, file)}: ${problem}`),
    );
    if (problems.length > 0) {
      throw new DriftInputError(`malformed recording(s):\n  ${problems.join("\n  ")}`);
    }
    const specFile = join(ROOT, SPEC_PATH);
    const spec = await loadSpec(specFile);
    const report = analyzeRecordings(
      files.map((f) => f.value as Recording),
      spec.resolved,
      { target: values.target ?? DEFAULT_TARGET, source: shownDir, specSource: relative(process.cwd(), specFile) },
    );
    const { open, accepted, stale } = applyAcceptances(
      report.findings,
      options.accept ? await loadAcceptances(options.accept) : [],
    );
    report.findings = open;
    report.summary = summarize(open);
    const exitCode = report.recordings.used === 0 ? 0 : exitCodeFor(report.findings, options.failOn);
    const markdown = `${renderLiveMarkdown(report, options.failOn, exitCode)}${acceptedMarkdown(options.accept, accepted, stale)}`;
    const json = {
      ...report,
      ...(options.accept ? { accepted, staleAcceptances: stale } : {}),
      failOn: options.failOn,
      exitCode,
    };
    if (options.out) {
      const written = await writeReports(options.out, "drift-live", markdown, json);
      io.stderr(`drift:live: wrote ${written.join(", ")}`);
    }
    if (report.recordings.used === 0 && options.format === "md") io.stdout(noRecordingsLine(report));
    else io.stdout(options.format === "json" ? JSON.stringify(json, null, 2) : markdown);
    return exitCode;
  } catch (error) {
    io.stderr(`drift:live: ${error instanceof Error ? error.message : String(error)}`);
    const known =
      error instanceof DriftInputError ||
      String((error as { code?: unknown })?.code ?? "").startsWith("ERR_PARSE_ARGS");
    if (!known) io.stderr(String((error as Error)?.stack));
    return EXIT_ERROR;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
