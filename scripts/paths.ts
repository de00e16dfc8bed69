/** Where the repository and its spec are, for every script. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The spec, relative to {@link ROOT}: the single source of truth. */
export const SPEC_PATH = "spec/kling-o1-video-edit.yaml";
