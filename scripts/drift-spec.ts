/**
 * Drift between the pinned spec and the provider's published OpenAPI document(s), classified for clients: the same
 * code as `kling-edit drift spec` (src/drift/spec-command.ts), plus `--apply` for maintainers.
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
 *   --apply        write the upstream document into spec/ (see scripts/drift/apply.ts) and regenerate generated/ (what
 *                  `npm run generate` does), so the diff of spec/ and generated/ shows the impact.
 *   --out DIR      also write DIR/drift-spec.md and DIR/drift-spec.json.
 *   --pinned FILE  compare against FILE instead of spec/ (not with --apply).
 *   --accept FILE  known differences (YAML or JSON list of {rule, operation, where, field?, reason?}): reported
 *                  apart, never fail the run; entries that match nothing are listed as stale.
 *
 * Exit codes: 0 no drift that fails the run, 1 drift at or above --fail-on, 2 the check could not run.
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { registerInputError } from "../src/drift/command.js";
import type { Io } from "../src/drift/findings.js";
import { processIo } from "../src/drift/findings.js";
import type { LoadOptions } from "../src/drift/load.js";
import { runSpecDrift } from "../src/drift/spec-command.js";
import { ApplyError, applyPlan, planApply } from "./drift/apply.js";
import { ROOT, SPEC_PATH } from "./paths.js";

registerInputError(ApplyError);

/**
 * Runs the command; returns its exit code. `io`, `load` and `root` are injected by tests: `root` is where spec/ is
 * read and where `--apply` writes spec/ and generated/ (a copy of the repository in tests).
 */
export function main(
  argv: string[],
  io: Io = processIo,
  env: Record<string, string | undefined> = process.env,
  load: LoadOptions = {},
  root: string = ROOT,
): Promise<number> {
  return runSpecDrift(argv, {
    name: "drift:spec",
    pinnedFile: join(root, SPEC_PATH),
    io,
    env,
    load,
    apply: async (pinned, upstreams, complete, pinnedFile) => {
      const plan = planApply(pinned, upstreams, complete);
      const output = await applyPlan(plan, pinnedFile, root);
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
    },
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
