/**
 * `npm test`: every check CI runs, the independent ones at the same time (issue 18: at most 60 s on 2 cores).
 *
 *   build, then vitest | typecheck | lint:spec | check:generated | lint
 *
 * `typecheck` and `build` run TypeScript's native compiler (TypeScript 7, the `typescript-native` devDependency): it
 * type-checks the whole repository in about a tenth of the CPU time of TypeScript 5's, which stays the `typescript`
 * devDependency because openapi-typescript (the codegen) uses its API. The 2 cores are saturated, so the stages off the
 * critical path (the type-check, the spec lints, the generated-code check, biome) run at a lower CPU priority
 * (`nice`): they take the CPU vitest leaves while its tests wait on servers and child processes, instead of slowing
 * the build that vitest waits for.
 *
 * Each step is the package.json script of that name (one place says what `npm run lint` is), run the way npm runs
 * it (`sh -c`, node_modules/.bin first on PATH) without npm's own start-up per step. A step's output is kept and shown
 * only when it fails; vitest's output is printed last, whole, so the run still ends with vitest's summary
 * ("Tests  N passed") that CI reads. Each stage's time is printed as it finishes. Exits non-zero if any step fails.
 *
 * Usage: tsx scripts/test.ts [-- VITEST_ARGS...]   (`npm test -- test/foo.test.ts` passes the file to vitest)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** A stage: package.json scripts run one after the other; stages run at the same time. */
export interface Stage {
  /** Names of package.json scripts, in order. */
  steps: readonly string[];
  /** Run at this `nice` increment (lower priority), for stages nothing waits for. @default 0 */
  nice?: number;
}

/**
 * The stages. vitest needs dist/ (the CLI's end-to-end tests run the built bin), so it follows the build; nothing
 * else depends on anything else, and nothing waits for the niced ones.
 */
export const STAGES: readonly Stage[] = [
  { steps: ["build", "test:unit"] },
  { steps: ["typecheck"], nice: 10 },
  { steps: ["lint:spec"], nice: 10 },
  { steps: ["check:generated"], nice: 10 },
  { steps: ["lint"], nice: 10 },
];

/** What one step did. */
export interface StepResult {
  script: string;
  /** Exit code (128 + n when killed by a signal); `null` when it never ran (an earlier step of its stage failed). */
  code: number | null;
  seconds: number;
  output: string;
}

const running = new Set<ChildProcess>();

/** Runs one package.json script as npm would (sh -c, node_modules/.bin on PATH), collecting stdout and stderr. */
function runScript(script: string, command: string, extraArgs: readonly string[], nice = 0): Promise<StepResult> {
  const started = performance.now();
  const quoted = extraArgs.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
    npm_lifecycle_event: script,
  };
  // Keep colours when a person watches; the steps see a pipe and would drop them.
  if (process.stdout.isTTY && env.NO_COLOR === undefined && env.FORCE_COLOR === undefined) env.FORCE_COLOR = "1";
  // Its own process group, so that an interrupted run stops the step's children too (vitest's workers, tsx).
  const sh = ["sh", "-c", quoted ? `${command} ${quoted}` : command];
  const [file, ...args] = nice > 0 ? ["nice", "-n", String(nice), ...sh] : sh;
  const child = spawn(file as string, args, {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  running.add(child);
  const chunks: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => chunks.push(c));
  child.stderr.on("data", (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => {
    const done = (code: number) => {
      running.delete(child);
      const output = Buffer.concat(chunks).toString("utf8");
      resolve({ script, code, seconds: (performance.now() - started) / 1000, output });
    };
    child.once("error", (err) => {
      chunks.push(Buffer.from(`${err.message}\n`));
      done(127);
    });
    child.once("close", (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/** Stops every step still running (its whole process group). */
function killAll(signal: NodeJS.Signals): void {
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** `1.2 s`, aligned. */
const secs = (s: number) => `${s.toFixed(1).padStart(5)} s`;

/**
 * Runs the stages; reports each step as it finishes through `report`. vitest's extra args go to `test:unit`.
 * Resolves with every step's result, in stage order.
 */
export async function runStages(
  stages: readonly Stage[],
  scripts: Record<string, string>,
  options: { vitestArgs?: readonly string[]; report?: (line: string) => void } = {},
): Promise<StepResult[][]> {
  const report = options.report ?? (() => {});
  const width = Math.max(...stages.flatMap((s) => s.steps.map((n) => n.length)));
  return Promise.all(
    stages.map(async (stage) => {
      const results: StepResult[] = [];
      for (const script of stage.steps) {
        const command = scripts[script];
        if (command === undefined) throw new Error(`package.json has no "${script}" script`);
        if (results.some((r) => r.code !== 0)) {
          results.push({ script, code: null, seconds: 0, output: "" });
          report(`  - ${script.padEnd(width)}   not run (an earlier step of its stage failed)`);
          continue;
        }
        const result = await runScript(
          script,
          command,
          script === "test:unit" ? (options.vitestArgs ?? []) : [],
          stage.nice,
        );
        results.push(result);
        report(`  ${result.code === 0 ? "✓" : "✗"} ${script.padEnd(width)} ${secs(result.seconds)}`);
      }
      return results;
    }),
  );
}

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true, options: {} });
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAll("SIGTERM");
      setTimeout(() => killAll("SIGKILL"), 2000).unref();
      process.exitCode = 130;
    });
  }
  const started = performance.now();
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print(`npm test: ${STAGES.map((s) => s.steps.join(" -> ")).join(" | ")} (stages at the same time)`);
  const stages = await runStages(STAGES, pkg.scripts, { vitestArgs: positionals, report: print });
  const wall = (performance.now() - started) / 1000;
  const all = stages.flat();
  const failed = all.filter((r) => r.code !== null && r.code !== 0);
  print(`  wall ${secs(wall)}${failed.length > 0 ? `; FAILED: ${failed.map((r) => r.script).join(", ")}` : ""}`);
  // Failed steps' output first, vitest's last: the run ends with vitest's summary whatever else happened.
  const vitest = all.find((r) => r.script === "test:unit");
  for (const r of failed) {
    if (r === vitest) continue;
    print(`\n── ${r.script} failed (exit ${r.code}) ──\n${r.output.trimEnd()}`);
  }
  if (vitest && vitest.code !== null) process.stdout.write(`\n${vitest.output}`);
  if (failed.length > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    killAll("SIGKILL");
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
