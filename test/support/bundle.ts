/**
 * A script bundled into one JavaScript file (esbuild, from the sources as they are now), for tests that start it as a
 * child process many times: `node bundle.mjs` starts in about 0.1 s, `node --import tsx script.ts` in about 1 s (the
 * TypeScript of every module it loads is compiled at each start).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";

/** Bundles `entry` (a .ts file) into a temporary .mjs file; `dispose()` deletes it. */
export async function bundleScript(entry: string): Promise<{ file: string; dispose(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-bundle-"));
  const file = path.join(dir, `${path.basename(entry, path.extname(entry))}.mjs`);
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Packages written as CommonJS call require(); an ES module has none of its own.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    logLevel: "warning",
  });
  return { file, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
