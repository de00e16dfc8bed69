/**
 * Where the package's own copy of the pinned spec is: `spec/kling-o1-video-edit.yaml` at the package root, found by
 * walking up from this file (src/drift in a clone, dist/src/drift in the installed package).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The pinned spec's path inside the package. */
export const PINNED_SPEC = "spec/kling-o1-video-edit.yaml";

/** The absolute path of the package's pinned spec; throws when the package lacks it. */
export function pinnedSpecFile(): string {
  for (let dir = new URL("./", import.meta.url); ; dir = new URL("../", dir)) {
    const file = new URL(PINNED_SPEC, dir);
    if (existsSync(file)) return fileURLToPath(file);
    if (new URL("../", dir).href === dir.href) throw new Error(`${PINNED_SPEC} is missing from the package`);
  }
}
