/**
 * The CLI uses only the package's public API (issue 12, item 3): every import in src/cli is another CLI file, a
 * package, a `node:` module, or one of the public entries (src/index.ts, src/node.ts, src/mock/index.ts).
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";

const CLI = path.join(ROOT, "src/cli");
/** The public entries, as package.json's exports name them (".", "./node", "./mock"). */
/** The package's public entries: the sources behind every `exports` path (dist/src/X.js is built from src/X.ts). */
const PUBLIC = Object.values(
  (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { exports: Record<string, unknown> })
    .exports,
)
  .map((entry) => (typeof entry === "object" && entry !== null ? (entry as { default?: string }).default : undefined))
  .filter((file): file is string => typeof file === "string" && file.startsWith("./dist/src/"))
  .map((file) => path.join(ROOT, file.replace("./dist/", "").replace(/\.js$/, ".ts")));

/** Every module specifier of a file: static imports and exports, `import type`, dynamic `import()`. */
function specifiersOf(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** The specifiers of `file` that reach outside the CLI other than through a public entry. */
function nonPublicImports(file: string, text: string): string[] {
  return specifiersOf(text).filter((spec) => {
    if (!spec.startsWith(".")) return false; // node:*, commander, cli-progress
    const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, ".ts");
    if (target.startsWith(`${CLI}${path.sep}`)) return false;
    return !PUBLIC.includes(target);
  });
}

describe("the CLI's imports", () => {
  it("finds a non-public import (the check can fail)", () => {
    const file = path.join(CLI, "x.ts");
    const text = [
      'import { sleep } from "../internal/scope.js";',
      'import type { components } from "../../generated/schema.js";',
      'export { x } from "../policy.js";',
      'const m = await import("../retry.js");',
      'import { createKlingClient } from "../index.js";',
      'import { run } from "./batch.js";',
      'import fs from "node:fs";',
    ].join("\n");
    expect(nonPublicImports(file, text)).toEqual([
      "../internal/scope.js",
      "../../generated/schema.js",
      "../policy.js",
      "../retry.js",
    ]);
  });

  it("every src/cli file imports only public entries, CLI files and packages", () => {
    const files = fs.readdirSync(CLI).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    const found: string[] = [];
    for (const name of files) {
      const file = path.join(CLI, name);
      for (const spec of nonPublicImports(file, fs.readFileSync(file, "utf8"))) found.push(`${name}: ${spec}`);
    }
    expect(found).toEqual([]);
  });
});
