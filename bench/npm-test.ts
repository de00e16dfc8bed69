/**
 * 6. The whole `npm test` wall time on this machine (scripts/test.ts: build then vitest, beside typecheck, lint, spec
 * lints and the generated-code check), and each stage's time as the runner printed it. Slow, so it runs
 * once per bench run whatever `--rounds` says; skip it with `--skip npm-test` or `BENCH_SKIP=npm-test`.
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

export const npmTest: Benchmark = {
  name: "npm-test",
  title: "`npm test` wall time",
  async run(ctx) {
    // Smoke mode (test/bench runs inside npm test) must not start npm test again: it times a trivial command instead.
    const [cmd, args] = ctx.smoke ? [process.execPath, ["--version"]] : ["npm", ["test"]];
    const label = ctx.smoke ? "node --version (smoke)" : "npm test";
    ctx.log(`running ${label} (once)`);
    const t0 = nowMs();
    // Its own process group, so npm's, sh's and vitest's processes are all stopped if the bench is interrupted.
    const { stdout, stderr, code } = await finish(
      start(cmd as string, args as string[], {
        group: true,
        env: { ...process.env, BENCH_SKIP: undefined, NO_COLOR: "1", FORCE_COLOR: "0" },
      }),
    );
    const seconds = (nowMs() - t0) / 1000;
    if (code !== 0) {
      throw new Error(
        `${label} failed (exit ${code}) after ${seconds.toFixed(1)} s: ${(stdout + stderr).slice(-3000)}`,
      );
    }
    const stages = parseStages(stdout);
    // Vitest's summary lines (colours off): "Test Files  43 passed (43)", "Tests  300 passed (300)", "Duration  51.2s".
    const tests = /^\s*Tests\s+([^\n]*)/m.exec(stdout)?.[1]?.trim();
    const files = /^\s*Test Files\s+([^\n]*)/m.exec(stdout)?.[1]?.trim();
    const vitest = /^\s*Duration\s+([\d.]+\s*m?s)/m.exec(stdout)?.[1];
    // Per-file lines: " ✓ test/cli/commands.test.ts (21 tests) 7801ms".
    const slowest = [...stdout.matchAll(/^\s*[✓×❯]\s+(\S+\.test\.ts)\s+\([^)]*\)\s+(\d+)ms/gm)]
      .map((m) => ({ file: m[1] as string, ms: Number(m[2]) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 4)
      .map((f) => `${f.file} ${(f.ms / 1000).toFixed(1)} s`)
      .join(", ");
    return {
      runs: "1 run",
      notes: [
        ctx.smoke
          ? "Smoke mode: a trivial command through the same timing path."
          : `scripts/test.ts: build then vitest, beside typecheck | biome lint | spec lints (Spectral, Redocly, schema) | check:generated at nice 10, at the same time${files ? ` (vitest: files ${files}; tests ${tests})` : ""}.`,
      ],
      rows: [
        {
          measure: `${label} wall time`,
          ours: { label, unit: "s", values: [seconds] },
          ...(ctx.smoke ? {} : { target: { on: "ours", op: "<", value: 60 } as const }),
          ...(vitest
            ? {
                note: `Stages at the same time: ${stages.map((s) => `${s.step} ${s.seconds.toFixed(1)} s`).join(", ")}; vitest's own duration ${vitest} (slowest files: ${slowest || "?"}).`,
              }
            : {}),
        },
        ...stages.map(
          (stage): Row => ({
            measure: `npm test stage: ${stage.step}${stage.step === "test:unit" ? " (vitest)" : ""}`,
            ours: { label: stage.step, unit: "s", values: [stage.seconds] },
          }),
        ),
      ],
    };
  },
};
