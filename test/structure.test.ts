/**
 * Tests mirror sources (issue 13): every file under src/ with behaviour of its own has a test file named for it, so a
 * reader finds a module's tests without searching, and a new module cannot land untested by name.
 *
 * `src/<dir>/<name>.ts` is covered by `test/<dir>/<name>.test.ts`, or by `test/<dir>/<name>-<topic>.test.ts` /
 * `test/<dir>/<name>.<topic>.test.ts` (several files about one module), unless that longer name is itself a source
 * file in the same folder (test/drift/live-command.test.ts is live-command.ts's, not live.ts's). A folder's
 * `index.ts` may also be covered by `test/<dir>.test.ts` (src/queue/index.ts <-> test/queue.test.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Files with no behaviour of their own, so no test file of their own. Each says why; anything with a branch, a loop
 * or a computed value does not belong here.
 */
const EXEMPT: ReadonlyMap<string, string> = new Map([
  // Re-export barrels: lists of `export { ... } from`; the public API they form is guarded by test/index.test.ts,
  // test/types.test.ts and test/cli/public-api.test.ts (src/index.ts and src/types.ts have test files of their own).
  ["node.ts", "re-export barrel (the /node entry)"],
  ["mock/index.ts", "re-export barrel (the /mock entry)"],
  ["verify/index.ts", "re-export barrel"],
  ["drift/index.ts", "re-export barrel"],
  // Bin shim: imports main.ts and turns a missing optional dependency into a sentence; run by the CLI end-to-end tests.
  ["cli/bin.ts", "bin shim"],
]);

/** Every file under `dir` (recursively), as a path relative to `dir` with forward slashes. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

/** Which of `sources` (src-relative, with `.ts`) lack a test file among `tests` (test-relative, with `.test.ts`). */
function untested(sources: readonly string[], tests: readonly string[]): string[] {
  const sourceNames = new Set(sources.map((s) => s.replace(/\.ts$/, "")));
  const testNames = new Set(tests.filter((t) => t.endsWith(".test.ts")).map((t) => t.replace(/\.test\.ts$/, "")));
  const covered = (source: string): boolean => {
    const name = source.replace(/\.ts$/, "");
    if (testNames.has(name)) return true;
    if (name.endsWith("/index") && testNames.has(name.slice(0, -"/index".length))) return true;
    for (const test of testNames) {
      const longer = test.startsWith(`${name}-`) || test.startsWith(`${name}.`);
      if (longer && !sourceNames.has(test)) return true;
    }
    return false;
  };
  return sources.filter((s) => !covered(s));
}

describe("tests mirror sources", () => {
  const sources = filesUnder(path.join(ROOT, "src")).filter((f) => f.endsWith(".ts"));
  const tests = filesUnder(path.join(ROOT, "test"));

  it("every source file with behaviour has a test file named for it", () => {
    const missing = untested(sources, tests).filter((s) => !EXEMPT.has(s));
    expect(missing, "add test/<same path>.test.ts for each, or (if it truly has no behaviour) an EXEMPT entry").toEqual(
      [],
    );
  });

  it("keeps the allow-lists honest: each entry names an existing source file that still lacks a test file", () => {
    const lacking = new Set(untested(sources, tests));
    const stale = [...EXEMPT.keys()].filter((s) => !lacking.has(s));
    expect(stale, "remove these entries: the file is gone or now has its test file").toEqual([]);
  });

  it("exempts only files without behaviour: no function, class or computed value in an EXEMPT file", () => {
    const withCode = [...EXEMPT.keys()].filter((file) => {
      if (file === "cli/bin.ts") return false; // the shim's one try/catch is its reason to exist
      const text = fs.readFileSync(path.join(ROOT, "src", file), "utf8");
      return /^\s*(export\s+)?(async\s+)?(function|class)\b|^\s*(export\s+)?(const|let)\s/m.test(text);
    });
    expect(withCode).toEqual([]);
  });
});

describe("untested (the naming rule itself)", () => {
  const table: [string, { sources: string[]; tests: string[]; want: string[] }][] = [
    ["same path", { sources: ["a.ts", "d/b.ts"], tests: ["a.test.ts", "d/b.test.ts"], want: [] }],
    ["same name in another folder does not count", { sources: ["d/b.ts"], tests: ["b.test.ts"], want: ["d/b.ts"] }],
    ["a topic suffix counts", { sources: ["download.ts"], tests: ["download-resume.test.ts"], want: [] }],
    [
      "a longer name that is another source's does not count",
      { sources: ["live.ts", "live-command.ts"], tests: ["live-command.test.ts"], want: ["live.ts"] },
    ],
    ["a mere prefix does not count", { sources: ["job.ts"], tests: ["jobs.test.ts"], want: ["job.ts"] }],
    ["a folder's index by the folder's name", { sources: ["queue/index.ts"], tests: ["queue.test.ts"], want: [] }],
    ["helpers are not tests", { sources: ["a.ts"], tests: ["a.ts", "a-helpers.ts"], want: ["a.ts"] }],
  ];
  it.each(table)("%s", (_name, { sources, tests, want }) => {
    expect(untested(sources, tests)).toEqual(want);
  });
});
