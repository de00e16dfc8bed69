/**
 * The shapes every benchmark returns and the runner reports. A benchmark measures; the harness (not the benchmark)
 * computes medians, ratios and whether a target is met, so no benchmark can state a result it did not measure.
 */

/** One measured quantity: every sample taken (one per round, or one per simulated task). */
export interface Measure {
  /** What was measured, e.g. `raw fetch`. */
  label: string;
  /** Unit of `values`, e.g. `µs/call`, `MB/s`, `B`. */
  unit: string;
  /** The samples, in the order taken. */
  values: number[];
}

/** A target from issue 7, checked against the median of the row's ratio (or of `ours`). */
export interface Target {
  /** Which median the target applies to. */
  on: "ratio" | "ours";
  /** Which statistic must meet it: the median, or the worst sample ("at most 12 polls" holds for every task). @default "median" */
  of?: "median" | "max";
  op: "<=" | "<" | ">=" | ">";
  value: number;
}

/** One line of the results table: our figure, optionally a baseline measured in the same run, and a target. */
export interface Row {
  /** What the line compares, e.g. `time per tasks.get (2,000 sequential calls)`. */
  measure: string;
  ours: Measure;
  baseline?: Measure;
  /**
   * `ours / baseline`, one per pair of samples taken side by side (same round, or same simulated task). Computed by
   * `pairRatios`, never written by hand.
   */
  ratio?: number[];
  target?: Target;
  /** What limits the figure, or how to read it. */
  note?: string;
}

/** What one benchmark returns. */
export interface BenchOutput {
  rows: Row[];
  /** How many rounds (or simulated tasks) each figure's samples come from, in words: `5 rounds, alternating`. */
  runs: string;
  /** Facts worth printing with the table (tool versions, which load generator was used, findings). */
  notes: string[];
  /** Raw per-item data kept in the JSON result only (e.g. each simulated task's polls and lag). */
  details?: unknown;
}

/** What the runner gives each benchmark. */
export interface BenchContext {
  /** Rounds to run (each round measures every contender once, in rotating order). */
  rounds: number;
  /** Few iterations, tiny payloads: proves the harness works; the numbers mean nothing. */
  smoke: boolean;
  /** A scratch directory removed after the run. */
  tmpDir: string;
  /** Progress output (stderr). */
  log(message: string): void;
}

/** A benchmark: one file under bench/. */
export interface Benchmark {
  /** `npm run bench -- NAME` runs only this one. */
  name: string;
  /** One-line description for the table and `--help`. */
  title: string;
  /** Measures, stopping everything it started before it returns or throws. */
  run(ctx: BenchContext): Promise<BenchOutput>;
  /**
   * It runs code on a fake clock (`onFakeClock` replaces the process's timers and Date while it runs), so nothing else
   * may run in the same process at the time: the smoke test runs it alone. @default false
   */
  fakeClock?: boolean;
}

/** A benchmark's stored result (bench/results/NAME.json). */
export interface BenchResult extends BenchOutput {
  name: string;
  title: string;
  date: string;
  machine: MachineInfo;
  durationMs: number;
}

/** The machine a run measured on. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  node: string;
  platform: string;
  totalMemoryMB: number;
  /** 1-minute load average when the run started (others share the machine). */
  loadAverage: number;
}
