/** Where the contract suite's files live. */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The spec every target is held to. */
export const SPEC_PATH = join(ROOT, "spec/kling-o1-video-edit.yaml");
/** Recorded exchanges (committed). */
export const RECORDINGS_DIR = join(ROOT, "contract-tests/recordings");
/** JUnit, Markdown and JSON reports (gitignored). */
export const REPORTS_DIR = join(ROOT, "contract-tests/reports");
