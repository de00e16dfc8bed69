/**
 * scripts/test.ts, the `npm test` runner: stages run at the same time, steps of a stage in order, a failed step stops
 * its own stage only, every step's output and exit code are kept, and vitest's extra arguments reach only vitest.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { parseStages } from "../../bench/npm-test.js";
import { runStages, STAGES } from "../../scripts/test.js";
import { readConfig, typecheckAndBuild } from "../../scripts/typecheck-build.js";

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

  it("refuses a stage naming a script package.json does not have", async () => {
    await expect(runStages([{ steps: ["missing"] }], {})).rejects.toThrow(/no "missing" script/);
  });

  it("runs a niced stage at a lower CPU priority than the others", async () => {
    const [plain, niced] = await runStages([{ steps: ["nice"] }, { steps: ["nice"], nice: 7 }], { nice: "nice" });
    expect(Number(niced?.[0]?.output)).toBe(Number(plain?.[0]?.output) + 7);
  });

  it("covers every check npm test ran before: lint, typecheck, spec lints, check:generated, build, then vitest", () => {
    const steps = STAGES.flatMap((s) => s.steps);
    // typecheck:build is typecheck and build in one program (next test).
    expect(steps.sort()).toEqual(["check:generated", "lint", "lint:spec", "test:unit", "typecheck:build"].sort());
    // vitest needs dist/: it runs after the build, in the same stage, which nothing slows down.
    const stage = STAGES.find((s) => s.steps.includes("test:unit"));
    expect(stage?.steps.indexOf("typecheck:build")).toBe(0);
    expect(stage?.steps.at(-1)).toBe("test:unit");
    expect(stage?.nice ?? 0).toBe(0);
  });
});

describe("typecheck:build (typecheck and build in one program)", () => {
  it("reports the type errors of every checked file and emits only what the build emits, imports included", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kling-tcb-"));
    try {
      const write = (file: string, text: string) => {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), text);
      };
      // No default library (parsing lib.*.d.ts would cost most of this test): the few global types TypeScript needs.
      const options = { strict: true, noLib: true, types: [], module: "esnext", target: "es2022" };
      write(
        "src/globals.d.ts",
        [
          "Array<T>",
          "Boolean",
          "Function",
          "CallableFunction",
          "NewableFunction",
          "IArguments",
          "Number",
          "Object",
          "RegExp",
          "String",
        ]
          .map((name) => `interface ${name} {}\n`)
          .join(""),
      );
      write(
        "tsconfig.json",
        JSON.stringify({ compilerOptions: { ...options, noEmit: true }, include: ["src", "test"] }),
      );
      const build = { ...options, noEmit: false, rootDir: ".", outDir: "out", declaration: true };
      write(
        "tsconfig.build.json",
        JSON.stringify({ extends: "./tsconfig.json", compilerOptions: build, include: ["src"] }),
      );
      // src imports a file outside src/: the build emits it too (as tsc -p tsconfig.build.json does).
      write("src/a.ts", 'import { b } from "../shared/b";\nexport const a: number = b + 1;\n');
      write("shared/b.ts", "export const b = 1;\n");
      write("test/t.ts", 'import { a } from "../src/a";\nexport const wrong: string = a;\n');
      write("src/broken.ts", "export const n: number = 'not a number';\n");
      const { diagnostics, emitted } = typecheckAndBuild(
        readConfig(path.join(dir, "tsconfig.json")),
        readConfig(path.join(dir, "tsconfig.build.json")),
      );
      const where = diagnostics.map((d) => [path.relative(dir, d.file?.fileName ?? ""), d.code]);
      // TS2322 in the test file (only the type-check sees it) and in src (both did), each once.
      expect(where.sort()).toEqual([
        ["src/broken.ts", 2322],
        ["test/t.ts", 2322],
      ]);
      expect(diagnostics.every((d) => d.category === ts.DiagnosticCategory.Error)).toBe(true);
      // Emitted like tsc: even a file with an error, declarations included; nothing of test/.
      expect(emitted.map((f) => path.relative(dir, f)).sort()).toEqual(
        [
          "out/shared/b.d.ts",
          "out/shared/b.js",
          "out/src/a.d.ts",
          "out/src/a.js",
          "out/src/broken.d.ts",
          "out/src/broken.js",
        ].sort(),
      );
      expect(readdirSync(path.join(dir, "out")).sort()).toEqual(["shared", "src"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
