/**
 * Drift between the pinned spec and what the live API returned, from the contract recordings: the same code as
 * `kling-edit drift live` (src/drift/live-command.ts), with the recordings folder defaulting to the suite's.
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
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Io, processIo } from "../src/drift/findings.js";
import { runLiveDrift } from "../src/drift/live-command.js";
import { ROOT, SPEC_FILE } from "./paths.js";

/** Runs the command; returns its exit code. */
export function main(argv: string[], io: Io = processIo): Promise<number> {
  return runLiveDrift(argv, {
    name: "drift:live",
    specFile: SPEC_FILE,
    io,
    defaultRecordings: join(ROOT, "contract-tests/recordings"),
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
