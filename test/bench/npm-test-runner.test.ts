/**
 * scripts/test.ts, the `npm test` runner: stages run at the same time, steps of a stage in order, a failed step stops
 * its own stage only, every step's output and exit code are kept, and vitest's extra arguments reach only vitest.
 */
import { describe, expect, it } from "vitest";
import { parseStages, slowestFiles } from "../../bench/npm-test.js";
import { runStages, STAGES } from "../../scripts/test.js";

describe("npm test runner", () => {
  it("runs stages at the same time and steps in order; a failure stops only its stage", async () => {
    const scripts = {
      first: "printf 'one\\n'",
      fails: "echo 'broken' >&2; exit 3",
      after: "echo 'never'",
      slow: "sleep 0.3; echo 'slow done'",
      "test:unit": "echo args:",
    };
    const lines: string[] = [];
    const results = await runStages(
      [{ steps: ["first", "fails", "after"] }, { steps: ["slow"] }, { steps: ["test:unit"] }],
      scripts,
      { vitestArgs: ["a b", "it's"], report: (line) => lines.push(line) },
    );
    const [chain, slow, vitest] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
    expect(chain.map((r) => [r.script, r.code])).toEqual([
      ["first", 0],
      ["fails", 3],
      ["after", null],
    ]);
    expect(chain[0]?.output).toBe("one\n");
    expect(chain[1]?.output).toBe("broken\n");
    expect(slow[0]).toMatchObject({ code: 0, output: "slow done\n" });
    // Arguments after `--` go to vitest, quoted: spaces and quotes survive the shell.
    expect(vitest[0]?.output).toBe("args: a b it's\n");
    expect(lines.some((l) => /✗ fails/.test(l))).toBe(true);
    expect(lines.some((l) => /after +not run/.test(l))).toBe(true);
    // The failing stage did not wait for the slow one, nor the slow one for it: both were reported.
    expect(lines.findIndex((l) => l.includes("fails"))).toBeLessThan(lines.findIndex((l) => l.includes("slow")));
    // The npm-test benchmark reads these lines back: every step that ran, with the seconds the runner measured.
    const parsed = parseStages(lines.join("\n"));
    expect(parsed.map((p) => [p.step, p.ok])).toEqual(
      expect.arrayContaining([
        ["first", true],
        ["fails", false],
        ["slow", true],
        ["test:unit", true],
      ]),
    );
    expect(parsed).toHaveLength(4);
    expect(parsed.find((p) => p.step === "slow")?.seconds).toBeCloseTo(slow[0]?.seconds ?? -1, 1);
  });

  it("reads vitest's per-file lines with the project's name in them (NO_COLOR output, as the benchmark runs it)", () => {
    // As `NO_COLOR=1 npx vitest run` prints them (the first two copied from a run): with projects, each file line
    // names its project between bars.
    const stdout = [
      " ✓ |shared| test/policy.test.ts (43 tests) 11ms",
      " ✓ |isolated| test/cli/lock.test.ts (12 tests) 37ms",
      " ↓ |shared| contract-tests/live.test.ts (1 test | 1 skipped)",
      "     ✓ a test's own line, not a file's 391ms",
      " × |shared| contract-tests/drift-corpus/drift.test.ts (52 tests | 2 failed) 15383ms",
      " ✓ test/no-projects.test.ts (2 tests) 5ms",
    ].join("\n");
    expect(slowestFiles(stdout)).toEqual([
      { file: "test/policy.test.ts", ms: 11 },
      { file: "test/cli/lock.test.ts", ms: 37 },
      { file: "contract-tests/drift-corpus/drift.test.ts", ms: 15383 },
      { file: "test/no-projects.test.ts", ms: 5 },
    ]);
  });

  it("refuses a stage naming a script package.json does not have", async () => {
    await expect(runStages([{ steps: ["missing"] }], {})).rejects.toThrow(/no "missing" script/);
  });

  it("runs a niced stage at a lower CPU priority than the others", async () => {
    const [plain, niced] = await runStages([{ steps: ["nice"] }, { steps: ["nice"], nice: 7 }], { nice: "nice" });
    expect(Number(niced?.[0]?.output)).toBe(Number(plain?.[0]?.output) + 7);
  });

  it("covers every check npm test ran before: lint, typecheck, spec lints, check:generated, build, then vitest", () => {
    const steps = STAGES.flatMap((s) => s.steps);
    expect(steps.sort()).toEqual(["build", "check:generated", "lint", "lint:spec", "test:unit", "typecheck"].sort());
    // vitest needs dist/: it runs after the build, in the same stage, which nothing slows down.
    const stage = STAGES.find((s) => s.steps.includes("test:unit"));
    expect(stage?.steps.indexOf("build")).toBe(0);
    expect(stage?.steps.at(-1)).toBe("test:unit");
    expect(stage?.nice ?? 0).toBe(0);
  });
});
