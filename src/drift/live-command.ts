/**
 * `drift live`: the pinned spec against what a server returned, from recordings (one exchange per `*.json`, as
 * `kling-edit verify --record DIR` and the contract suite write them). One implementation behind
 * `kling-edit drift live <recordings>` and `npm run drift:live`.
 *
 * With no recordings of the target it prints one "no recordings" line and exits 0.
 * Exit codes: 0 no drift that fails the run, 1 drift at or above --fail-on, 2 the check could not run.
 */
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readRecordings, recordingProblems } from "../verify/recordings.js";
import { COMMON_ARGS, finishReport, reportFailure } from "./command.js";
import {
  code,
  commonOptions,
  DriftInputError,
  exitCodeFor,
  type FailOn,
  findingsMarkdown,
  type Io,
  summaryLine,
} from "./findings.js";
import { analyzeRecordings, DEFAULT_TARGET, type LiveDriftReport, type Recording } from "./live.js";
import { loadSpec } from "./load.js";

/** The Markdown report. */
export function renderLiveMarkdown(report: LiveDriftReport, failOn: FailOn, exitCode: number, name?: string): string {
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
    lines.push("", noRecordingsLine(report, name));
  } else {
    lines.push(
      `Result: ${summaryLine(report.summary)}; exit code ${exitCode} (fails on ${failOn === "risky" ? "breaking or risky" : "breaking"}).`,
      "",
      findingsMarkdown(report.findings),
    );
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function noRecordingsLine(report: LiveDriftReport, name = "drift:live"): string {
  return (
    `${name}: no recordings of target ${report.recordings.target} in ${report.recordings.source}: nothing to compare ` +
    "(record some first: `kling-edit verify --base-url URL --record DIR`, or `npm run test:live -- --record` here)."
  );
}

/** What {@link runLiveDrift} needs besides its arguments. */
export interface LiveDriftContext {
  /** The command's name in messages (`kling-edit drift live`, `drift:live`). */
  name: string;
  /** The pinned spec file. */
  specFile: string;
  io: Io;
  /** The recordings folder when none is given. @default none: the folder must be given */
  defaultRecordings?: string;
}

/** The usage line. */
export function liveDriftUsage(name: string): string {
  return `Usage: ${name} <recordings-dir> [--target live|all|NAME] [--format md|json] [--fail-on breaking|risky] [--out DIR] [--accept FILE]`;
}

/** Runs `drift live` on `argv`; returns its exit code. */
export async function runLiveDrift(argv: string[], context: LiveDriftContext): Promise<number> {
  const { io, name } = context;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...COMMON_ARGS, recordings: { type: "string" }, target: { type: "string", default: DEFAULT_TARGET } },
    });
    if (values.help) {
      io.stdout(liveDriftUsage(name));
      return 0;
    }
    const options = commonOptions(values);
    if (positionals.length > 1) throw new DriftInputError(`one recordings folder, not ${positionals.length}`);
    const given = values.recordings ?? positionals[0] ?? context.defaultRecordings;
    if (!given) throw new DriftInputError(`no recordings folder: ${liveDriftUsage(name)}`);
    const dir = resolve(given);
    const shownDir = relative(process.cwd(), dir) || ".";
    const files = await readRecordings(dir);
    const problems = files.flatMap(({ file, value }) =>
      recordingProblems(value).map((problem) => `${join(shownDir, file)}: ${problem}`),
    );
    if (problems.length > 0) {
      throw new DriftInputError(`malformed recording(s):\n  ${problems.join("\n  ")}`);
    }
    const spec = await loadSpec(context.specFile);
    const report = analyzeRecordings(
      files.map((f) => f.value as Recording),
      spec.resolved,
      {
        target: values.target ?? DEFAULT_TARGET,
        source: shownDir,
        specSource: relative(process.cwd(), context.specFile),
      },
    );
    return await finishReport(report, {
      name,
      io,
      options,
      file: "drift-live",
      markdown: (r, exitCode) => renderLiveMarkdown(r, options.failOn, exitCode, name),
      exitCode: (r) => (r.recordings.used === 0 ? 0 : exitCodeFor(r.findings, options.failOn)),
      stdoutMarkdown: (markdown) => (report.recordings.used === 0 ? noRecordingsLine(report, name) : markdown),
    });
  } catch (error) {
    return reportFailure(name, io, error);
  }
}
