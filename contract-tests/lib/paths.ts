/** Where the contract suite's files live (the repository root and the spec come from scripts/paths.ts). */
import { join } from "node:path";
import { ROOT, SPEC_FILE } from "../../scripts/paths.js";

export { ROOT };
/** The spec every target is held to (absolute). */
export const SPEC_PATH = SPEC_FILE;
/** Recorded exchanges (committed). */
export const RECORDINGS_DIR = join(ROOT, "contract-tests/recordings");
/** JUnit, Markdown and JSON reports (gitignored). */
export const REPORTS_DIR = join(ROOT, "contract-tests/reports");
