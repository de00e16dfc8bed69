/**
 * The bundle benchmark counts what a browser loads at start: with splitting, code the entry shares with a lazy chunk
 * moves into a shared chunk that the entry imports statically, and that chunk is loaded at start too.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { bundle } from "../../bench/bundle.js";

/** An entry that uses a big module at start and loads a lazy one that uses the same big module. */
const files: Record<string, string> = {
  "big.js": `export const big = ${JSON.stringify(Array.from({ length: 400 }, (_, i) => `word-${i * 7919}`))};`,
  "lazy.js": 'import { big } from "./big.js"; export const last = big.at(-1);',
  "entry.js":
    'import { big } from "./big.js"; export const first = big[0]; export const later = () => import("./lazy.js");',
};

describe("bench/bundle.ts", () => {
  it("counts the shared chunk the entry imports statically, and not the lazy chunk", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-bench-"));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    const built = await bundle({ entryPoints: [path.join(dir, "entry.js")], absWorkingDir: dir }).finally(() =>
      fs.rmSync(dir, { recursive: true, force: true }),
    );
    expect(built.initialFiles).toHaveLength(2);
    const outputs = built.metafile.outputs;
    const shared = built.initialFiles[1] as string;
    expect(Object.keys(outputs[shared]?.inputs ?? {})).toEqual(["big.js"]);
    expect(built.initialFiles.some((f) => Object.keys(outputs[f]?.inputs ?? {}).includes("lazy.js"))).toBe(false);
    // The big module is most of what loads at start, so the total is well over the entry chunk alone.
    expect(built.initialGzip).toBeGreaterThan(built.entryGzip + gzipSync(files["big.js"] as string).byteLength / 2);
    expect(built.code).toContain("word-7919");
    expect(built.initial).toBeLessThan(built.total);
  });
});
