/**
 * 6. The whole `npm test` wall time on this machine (scripts/test.ts: build then vitest, beside typecheck, lint, spec
 * lints and the generated-code check), and each stage's time as the runner printed it: the median (min-max) of
 * {@link NPM_TEST_ROUNDS} runs (fewer with a smaller `--rounds`). Slow, about a minute a run; skip it with
 * `--skip npm-test` or `BENCH_SKIP=npm-test`.
 * Target: under 60 s.
 */
import { finish, start } from "./lib/proc.js";
import { nowMs } from "./lib/stats.js";
import type { Benchmark, Row } from "./lib/types.js";

/** The runner's stage lines (`  ✓ typecheck        14.2 s`): each step and its seconds. */
export function parseStages(stdout: string): { step: string; seconds: number; ok: boolean }[] {
  return [...stdout.matchAll(/^ {2}([✓✗]) (\S+) +([\d.]+) s$/gm)].map((m) => ({
    step: m[2] as string,
    seconds: Number(m[3]),
    ok: m[1] === "✓",
  }));
}

/** Rounds of the full `npm test`: each takes about a minute, so at most this many whatever `--rounds` says. */
export const NPM_TEST_ROUNDS = 3;

/** Vitest's per-file lines, colours off: each file and its milliseconds. */
export function slowestFiles(stdout: string): { file: string; ms: number }[] {
  return [...stdout.matchAll(/^\s*[✓×❯↓]\s+(?:\|[^|\s]+\|\s+)?(\S+\.test\.ts)\s+\([^)]*\)\s+(\d+)ms/gm)].map((m) => ({
    file: m[1] as string,
    ms: Number(m[2]),
  }));
}

export const npmTest: Benchmark = {
  name: "npm-test",
  title: "`npm test` wall time",
  async run(ctx) {
    // Smoke mode (test/bench runs inside npm test) must not start npm test again: it times a trivial command instead.
    const [cmd, args] = ctx.smoke ? [process.execPath, ["--version"]] : ["npm", ["test"]];
    const label = ctx.smoke ? "node --version (smoke)" : "npm test";
    const rounds = Math.max(1, Math.min(NPM_TEST_ROUNDS, ctx.rounds));
    const walls: number[] = [];
    const stageSeconds = new Map<string, number[]>();
    let stdout = "";
    for (let round = 0; round < rounds; round++) {
      ctx.log(`running ${label} (round ${round + 1}/${rounds})`);
      const t0 = nowMs();
      // Its own process group, so npm's, sh's and vitest's processes are all stopped if the bench is interrupted.
      const result = await finish(
        start(cmd as string, args as string[], {
          group: true,
          env: { ...process.env, BENCH_SKIP: undefined, NO_COLOR: "1", FORCE_COLOR: "0" },
        }),
      );
      const seconds = (nowMs() - t0) / 1000;
      if (result.code !== 0) {
        throw new Error(
          `${label} failed (exit ${result.code}) after ${seconds.toFixed(1)} s: ${(result.stdout + result.stderr).slice(-3000)}`,
        );
      }
      walls.push(seconds);
      stdout = result.stdout;
      for (const stage of parseStages(stdout)) {
        stageSeconds.set(stage.step, [...(stageSeconds.get(stage.step) ?? []), stage.seconds]);
      }
      ctx.log(`${label} round ${round + 1}: ${seconds.toFixed(1)} s`);
    }
    // The last round's vitest summary lines (colours off): "Test Files  43 passed (43)", "Tests  300 passed (300)".
    const tests = /^\s*Tests\s+([^\n]*)/m.exec(stdout)?.[1]?.trim();
    const files = /^\s*Test Files\s+([^\n]*)/m.exec(stdout)?.[1]?.trim();
    const vitest = /^\s*Duration\s+([\d.]+\s*m?s)/m.exec(stdout)?.[1];
    // Per-file lines: " ✓ |shared| test/cli/commands.test.ts (21 tests) 7801ms" (the project's name when there are
    // projects).
    const slowest = slowestFiles(stdout)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 4)
      .map((f) => `${f.file} ${(f.ms / 1000).toFixed(1)} s`)
      .join(", ");
    const stages = [...stageSeconds].map(([step, values]) => ({ step, values }));
    return {
      runs: `${rounds} run(s), one after the other`,
      notes: [
        ctx.smoke
          ? "Smoke mode: a trivial command through the same timing path."
          : `scripts/test.ts: build then vitest, beside typecheck | biome lint | spec lints (Spectral, Redocly, schema) | check:generated at nice 10, at the same time${files ? ` (vitest: files ${files}; tests ${tests})` : ""}. Each figure is the median (min-max) of ${rounds} runs; a run takes the whole machine, so none runs beside another.`,
      ],
      rows: [
        {
          measure: `${label} wall time`,
          ours: { label, unit: "s", values: walls },
          ...(ctx.smoke ? {} : { target: { on: "ours", op: "<", value: 60 } as const }),
          ...(vitest
            ? {
                note: `Last run's stages, at the same time: ${stages.map((s) => `${s.step} ${(s.values.at(-1) ?? 0).toFixed(1)} s`).join(", ")}; vitest's own duration ${vitest} (slowest files: ${slowest || "?"}).`,
              }
            : {}),
        },
        ...stages.map(
          (stage): Row => ({
            measure: `npm test stage: ${stage.step}${stage.step === "test:unit" ? " (vitest)" : ""}`,
            ours: { label: stage.step, unit: "s", values: stage.values },
          }),
        ),
      ],
    };
  },
};
