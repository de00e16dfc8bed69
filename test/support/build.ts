/**
 * Whether dist/ holds a build of the sources as they are now, so a test may start the built CLI (a quarter of the
 * start-up time of the sources through tsx) and still test today's code. Conservative: dist/ counts as current only
 * when its CLI entry is newer than every file under src/ and generated/ (an edit, a checkout or a pull since the last
 * `npm run build` makes it stale, and the caller falls back to the sources). `npm test` builds before vitest runs.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** True when dist/src/cli/main.js exists and is newer than every source it is built from. */
export function buildIsCurrent(root: string = ROOT): boolean {
  const entry = path.join(root, "dist/src/cli/main.js");
  if (!fs.existsSync(entry)) return false;
  const built = fs.statSync(entry).mtimeMs;
  return ["src", "generated"].every((dir) => newestMtimeMs(path.join(root, dir)) < built);
}
