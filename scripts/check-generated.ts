/**
 * Drift check: regenerates from spec/ into a temporary folder and fails, naming each file, when the committed
 * generated/ differs (a hand edit, a spec change without `npm run generate`, or a codegen version change).
 *
 * Usage: tsx scripts/check-generated.ts [--dir GENERATED_DIR]   (default: generated/)
 *
 * Exit codes: 0 no drift, 1 drift (or a bad option).
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Io, processIo } from "../src/drift/findings.js";
import { ROOT } from "./paths.js";

/** Every file under `dir`, as a path relative to it (`validators/TaskDetail.ts`). */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
  } catch {
    return [];
  }
}

/** Returns one line per drifted file; empty when `dir` is exactly what the spec produces. */
export async function findDrift(dir: string): Promise<string[]> {
  // Loaded here, not at the top: the generator brings in TypeScript, which `main`'s option errors do not need.
  const { generate } = await import("./generate.js");
  const fresh = await mkdtemp(join(tmpdir(), "kling-generated-"));
  try {
    return await compareGenerated(fresh, await generate(fresh), dir);
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

/** One line per file of `dir` that differs from `expected` (files `generate` wrote into `fresh`). */
export async function compareGenerated(fresh: string, expected: readonly string[], dir: string): Promise<string[]> {
  const actual = await listFiles(dir);
  const problems: string[] = [];
  for (const name of expected) {
    if (!actual.includes(name)) {
      problems.push(`missing: ${name}`);
      continue;
    }
    const [want, got] = await Promise.all([readFile(join(fresh, name), "utf8"), readFile(join(dir, name), "utf8")]);
    if (want !== got) {
      const wantLines = want.split("\n");
      const gotLines = got.split("\n");
      const line = wantLines.findIndex((l, i) => l !== gotLines[i]) + 1;
      problems.push(`differs: ${name} (first difference at line ${line})`);
    }
  }
  for (const name of actual) if (!expected.includes(name)) problems.push(`unexpected: ${name}`);
  return problems;
}

/**
 * Runs the check; returns its exit code. An unknown option throws (node:util's parseArgs error). `io` and `find` are
 * injected by tests (`find`: to share one generation between cases).
 */
export async function main(
  argv: string[],
  io: Io = processIo,
  find: (dir: string) => Promise<string[]> = findDrift,
): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: "string", default: join(ROOT, "generated") } } });
  const dir = resolve(values.dir ?? "generated");
  const problems = await find(dir);
  const shown = relative(process.cwd(), dir) || ".";
  if (problems.length === 0) {
    io.stdout(`ok: ${shown} matches spec/ (regenerated and compared)`);
    return 0;
  }
  io.stderr(`${shown} has drifted from spec/ (run \`npm run generate\` and commit the result):`);
  for (const problem of problems) io.stderr(`  ${problem}`);
  return 1;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("check-generated.ts")) {
  process.exitCode = await main(process.argv.slice(2));
}
