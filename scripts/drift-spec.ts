/**
 * Drift between the pinned spec and the provider's published OpenAPI document(s), classified for clients.
 *
 * Usage: npm run drift:spec -- <file-or-url>... [--format md|json] [--fail-on breaking|risky] [--complete]
 *                               [--apply] [--out DIR] [--pinned FILE] [--accept FILE]
 *
 *   <file-or-url>  one or more OpenAPI 3.x documents (JSON or YAML); default: $KLING_SPEC_URL (space-separated).
 *                  The provider publishes one page per operation: pass several pages to cover several operations.
 *   --format       what goes to stdout: a Markdown report (for a pull-request comment) or JSON. Default md.
 *   --fail-on      exit 1 on breaking changes (default), or on risky ones too.
 *   --complete     the upstream document(s) are the whole API: a pinned operation they lack counts as removed
 *                  (breaking) instead of "not in the upstream document".
 *   --apply        write the upstream document into spec/ (see scripts/drift/apply.ts) and run `npm run generate`,
 *                  so the diff of spec/ and generated/ shows the impact.
 *   --out DIR      also write DIR/drift-spec.md and DIR/drift-spec.json.
 *   --pinned FILE  compare against FILE instead of spec/ (not with --apply).
 *   --accept FILE  known differences (YAML or JSON list of {rule, operation, where, field?, reason?}): reported
 *                  apart, never fail the run; entries that match nothing are listed as stale.
 *
 * Exit codes: 0 no drift that fails the run, 1 drift at or above --fail-on, 2 the check could not run.
 */
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ApplyError, applyPlan, planApply } from "./drift/apply.js";
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
import { type LoadOptions, loadSpec } from "./drift/load.js";
import { compareSpecs, type SpecDriftReport } from "./drift/spec-diff.js";
import { ROOT, SPEC_PATH } from "./paths.js";

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

/** Runs the command; returns its exit code. `io` and `load` are injected by tests. */
export async function main(
  argv: string[],
  io: Io = processIo,
  env: Record<string, string | undefined> = process.env,
  load: LoadOptions = {},
): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: "string" },
        "fail-on": { type: "string" },
        out: { type: "string" },
        apply: { type: "boolean", default: false },
        complete: { type: "boolean", default: false },
        pinned: { type: "string" },
        accept: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      io.stdout(
        "Usage: npm run drift:spec -- <file-or-url>... [--format md|json] [--fail-on breaking|risky] [--complete] [--apply] [--out DIR] [--pinned FILE] [--accept FILE]",
      );
      return 0;
    }
    const options = commonOptions(values);
    const sources = positionals.length > 0 ? positionals : (env.KLING_SPEC_URL ?? "").split(/\s+/).filter(Boolean);
    if (sources.length === 0) {
      throw new DriftInputError(
        "no upstream document: pass a file or URL (npm run drift:spec -- <file-or-url>) or set KLING_SPEC_URL",
      );
    }
    if (values.apply && values.pinned) {
      throw new DriftInputError("--apply writes spec/ and cannot be combined with --pinned");
    }
    const pinnedFile = resolve(values.pinned ?? join(ROOT, SPEC_PATH));
    const pinned = await loadSpec(pinnedFile, load);
    pinned.source = relative(process.cwd(), pinnedFile) || pinnedFile;
    const upstreams = [];
    for (const source of sources) upstreams.push(await loadSpec(source, load));

    const report = compareSpecs(pinned, upstreams, { complete: values.complete });
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
      io.stderr(`drift:spec: wrote ${written.join(", ")}`);
    }
    io.stdout(options.format === "json" ? JSON.stringify(json, null, 2) : markdown);

    if (values.apply) {
      if (differences === 0) {
        io.stderr("drift:spec --apply: nothing to apply, the compared operations match the pinned spec");
      } else {
        const plan = planApply(pinned, upstreams, values.complete);
        const output = await applyPlan(plan, pinnedFile, ROOT);
        io.stderr(
          [
            `drift:spec --apply: ${plan.mode === "replace" ? "replaced" : "merged into"} ${SPEC_PATH}` +
              ` (${plan.operations.length} operation(s) from upstream${plan.removed.length ? `, removed: ${plan.removed.join(", ")}` : ""})`,
            ...(plan.keptDialect ? ["  kept the pinned jsonSchemaDialect (upstream states none)"] : []),
            ...(plan.replacedComponents.length
              ? [`  upstream replaced these pinned components: ${plan.replacedComponents.join(", ")}`]
              : []),
            `  npm run generate: ${output || "done"}`,
            "  review with: git diff spec/ generated/, then npm run lint:spec && npm test",
          ].join("\n"),
        );
      }
    }
    return exitCode;
  } catch (error) {
    io.stderr(`drift:spec: ${error instanceof Error ? error.message : String(error)}`);
    if (isUnexpected(error)) io.stderr(String((error as Error).stack));
    return EXIT_ERROR;
  }
}

/** A bug rather than bad input: worth a stack trace. */
export function isUnexpected(error: unknown): boolean {
  const known = error instanceof DriftInputError || error instanceof ApplyError;
  // node:util parseArgs errors (unknown option, missing value) carry an ERR_PARSE_ARGS_* code.
  const parseArgsError = String((error as { code?: unknown })?.code ?? "").startsWith("ERR_PARSE_ARGS");
  return !known && !parseArgsError;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
