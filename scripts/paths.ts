/** Where the repository's files are, for the scripts and the test glue: one place, not the code generator. */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The pinned spec, relative to {@link ROOT}. */
export const SPEC_PATH = "spec/kling-o1-video-edit.yaml";
/** The pinned spec, absolute. */
export const SPEC_FILE = join(ROOT, SPEC_PATH);
