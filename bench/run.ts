/**
 * `npm run bench` runs every benchmark; `npm run bench -- NAME...` runs some. Prints the machine and each figure as
 * median (min-max) with its ratio to the baseline measured in the same run, then writes bench/results/NAME.json and
 * rebuilds bench/results/latest.{md,json} and the charts (*.svg) from the stored results of every benchmark.
 *
 * Options: --rounds N (default 5), --skip NAME (repeatable; BENCH_SKIP=npm-test,mock also works), --smoke (tiny
 * iterations, writes nothing: what test/bench runs), --no-write, --readme (also rewrite README.md's "Benchmarks"
 * section from the stored results), --render-only (re-render those from the stored results without measuring).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { BENCHMARKS } from "./index.js";
import { charts } from "./lib/charts.js";
import { describeMachine, machineInfo } from "./lib/machine.js";
import { killAll, ROOT } from "./lib/proc.js";
import { markdownNotes, markdownTable, readmeSection, textReport } from "./lib/report.js";
import { nowMs, summarize, targetMet } from "./lib/stats.js";
import type { BenchResult } from "./lib/types.js";

/** Where results are kept (committed: they are data). */
export const RESULTS_DIR = path.join(ROOT, "bench", "results");
/** Default rounds per benchmark. */
export const DEFAULT_ROUNDS = 5;

/** Options of {@link runBenchmarks}. */
export interface RunOptions {
  /** Benchmarks to run; all when empty. */
  names?: readonly string[];
  /** Benchmarks to leave out. */
  skip?: readonly string[];
  /** @default DEFAULT_ROUNDS */
  rounds?: number;
  /** Tiny iterations (see BenchContext.smoke). @default false */
  smoke?: boolean;
  /** Write bench/results/. @default true */
  write?: boolean;
  /** Also rewrite README.md's "Benchmarks" section from the stored results. @default false */
  readme?: boolean;
  /** Progress and report output. @default stderr and stdout */
  log?: (message: string) => void;
  print?: (text: string) => void;
}

/** Runs benchmarks in order; one failing does not stop the others (its error is returned). */
export async function runBenchmarks(options: RunOptions = {}): Promise<{ results: BenchResult[]; failures: string[] }> {
  const { names = [], skip = [], rounds = DEFAULT_ROUNDS, smoke = false, write = true } = options;
  const log = options.log ?? ((m: string) => process.stderr.write(`  .. ${m}\n`));
  const print = options.print ?? ((t: string) => process.stdout.write(`${t}\n`));
  const unknown = [...names, ...skip].filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.join(", ")}; known: ${BENCHMARKS.map((b) => b.name).join(", ")}`);
  }
  const selected = BENCHMARKS.filter((b) => (names.length === 0 || names.includes(b.name)) && !skip.includes(b.name));
  const machine = machineInfo();
  print(`Machine: ${describeMachine(machine)}`);
  print(
    `Rounds: ${rounds}${smoke ? " (smoke mode: tiny iterations, numbers mean nothing)" : ""}; benchmarks: ${selected.map((b) => b.name).join(", ")}`,
  );
  const results: BenchResult[] = [];
  const failures: string[] = [];
  const tmpDir = await mkdtemp(path.join(os.tmpdir(), "kling-bench-"));
  try {
    for (const bench of selected) {
      const started = nowMs();
      try {
        const output = await bench.run({ rounds, smoke, tmpDir, log: (m) => log(`${bench.name}: ${m}`) });
        for (const row of output.rows) {
          // Fails loudly on a row without samples or with a target it cannot evaluate.
          summarize(row.ours.values);
          if (row.baseline) summarize(row.baseline.values);
          targetMet(row);
        }
        const result: BenchResult = {
          name: bench.name,
          title: bench.title,
          date: new Date().toISOString(),
          machine,
          durationMs: Math.round(nowMs() - started),
          ...output,
        };
        results.push(result);
        print(textReport(result));
        if (write && !smoke) {
          await mkdir(RESULTS_DIR, { recursive: true });
          await writeFile(path.join(RESULTS_DIR, `${bench.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
        }
      } catch (err) {
        const message = `${bench.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
        failures.push(message);
        print(message);
      }
    }
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  if (write && !smoke && results.length > 0) await writeLatest(print, options.readme ?? false);
  return { results, failures };
}

/** Reads every stored result (in the benchmarks' order) into bench/results/latest.md and latest.json. */
export async function writeLatest(print: (text: string) => void, readme = false): Promise<void> {
  const stored: BenchResult[] = [];
  for (const bench of BENCHMARKS) {
    try {
      stored.push(JSON.parse(await readFile(path.join(RESULTS_DIR, `${bench.name}.json`), "utf8")) as BenchResult);
    } catch {
      // Not run yet.
    }
  }
  const dates = stored.map((r) => r.date).sort();
  const machine = stored.at(-1)?.machine;
  const md = [
    "# Benchmark results",
    "",
    `Measured ${dates[0]?.slice(0, 10)}${dates.length > 1 && dates.at(-1)?.slice(0, 10) !== dates[0]?.slice(0, 10) ? ` to ${dates.at(-1)?.slice(0, 10)}` : ""} on ${machine ? describeMachine(machine) : "?"}.`,
    // Each benchmark's stored result may come from another run: say when each ran and at what load.
    `When each benchmark was last run (UTC), and the load average when that run began: ${stored.map((r) => `${r.name} ${r.date.slice(0, 16).replace("T", " ")}, load ${r.machine.loadAverage}`).join("; ")}.`,
    "Reproduce: `npm run bench` (all) or `npm run bench -- NAME`. Each figure is the median (min-max) of its samples;",
    "each ratio is ours / baseline per round (measured side by side, alternating), then its median (min-max).",
    "",
    markdownTable(stored),
    "",
    markdownNotes(stored),
    "",
  ].join("\n");
  await writeFile(path.join(RESULTS_DIR, "latest.md"), md);
  const drawn = charts(stored);
  for (const chart of drawn) await writeFile(path.join(RESULTS_DIR, chart.file), chart.svg);
  if (readme) {
    // Re-read right before editing: others edit other sections of the README at the same time.
    const file = path.join(ROOT, "README.md");
    const text = await readFile(file, "utf8");
    const start = text.indexOf("\n## Benchmarks\n");
    const end = text.indexOf("\n## ", start + 1);
    if (start < 0 || end < 0) throw new Error('README.md has no "## Benchmarks" section followed by another section');
    const body = readmeSection(
      stored,
      BENCHMARKS.map((b) => b.name),
      drawn,
    );
    await writeFile(file, `${text.slice(0, start)}\n## Benchmarks\n\n${body}\n${text.slice(end)}`);
    print("Updated the Benchmarks section of README.md.");
  }
  // Per-item details (each simulated task) stay in NAME.json only.
  const summary = stored.map(({ details: _details, ...rest }) => rest);
  await writeFile(path.join(RESULTS_DIR, "latest.json"), `${JSON.stringify(summary, null, 2)}\n`);
  print(
    `Wrote ${path.relative(ROOT, RESULTS_DIR)}/latest.md, latest.json (${stored.length} benchmarks) and ${drawn.map((c) => c.file).join(", ")}.`,
  );
}

async function main(): Promise<void> {
  // Ctrl-C: stop the servers, load generators and npm test this run started, then exit.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: "string" },
      skip: { type: "string", multiple: true },
      smoke: { type: "boolean", default: false },
      "no-write": { type: "boolean", default: false },
      readme: { type: "boolean", default: false },
      "render-only": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "npm run bench [-- NAME... [--rounds N] [--skip NAME] [--smoke] [--no-write] [--readme] [--render-only]]\n",
    );
    for (const b of BENCHMARKS) console.log(`  ${b.name.padEnd(10)} ${b.title}`);
    return;
  }
  if (values["render-only"]) {
    // Re-render latest.md (and the README with --readme) from the stored results, measuring nothing.
    await writeLatest((t) => console.log(t), values.readme);
    return;
  }
  const rounds = values.rounds === undefined ? DEFAULT_ROUNDS : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100)
    throw new Error(`--rounds must be 1 to 100 (got ${values.rounds})`);
  const skip = [...(values.skip ?? []), ...(process.env.BENCH_SKIP ?? "").split(",").filter(Boolean)];
  const { failures } = await runBenchmarks({
    names: positionals,
    skip,
    rounds,
    smoke: values.smoke,
    write: !values["no-write"],
    readme: values.readme,
  });
  if (failures.length > 0) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
