/** Summary statistics and the target check: the only place medians and ratios are computed. */
import type { Row, Target } from "./types.js";

/** Median, minimum and maximum of a sample. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Summarises samples; throws on an empty or non-finite sample, so a benchmark cannot report nothing as a result. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error("no samples");
  if (values.some((v) => !Number.isFinite(v))) throw new Error(`non-finite sample in [${values.join(", ")}]`);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, n: sorted.length };
}

/** The median of a sample. */
export function median(values: readonly number[]): number {
  return summarize(values).median;
}

/** `ours[i] / baseline[i]` for samples taken side by side (same round, same task). */
export function pairRatios(ours: readonly number[], baseline: readonly number[]): number[] {
  if (ours.length !== baseline.length) {
    throw new Error(`cannot pair ${ours.length} samples with ${baseline.length}`);
  }
  return ours.map((value, i) => {
    const base = baseline[i] as number;
    if (!(base > 0)) throw new Error(`baseline sample ${i} is ${base}: nothing to compare with`);
    return value / base;
  });
}

/** Whether the median the target names meets it; `null` when the row has no target. */
export function targetMet(row: Row): boolean | null {
  const { target } = row;
  if (!target) return null;
  const values = target.on === "ratio" ? row.ratio : row.ours.values;
  if (!values) throw new Error(`row "${row.measure}" has a ratio target but no ratio`);
  const summary = summarize(values);
  return compare(target.of === "max" ? summary.max : summary.median, target);
}

function compare(value: number, target: Target): boolean {
  switch (target.op) {
    case "<=":
      return value <= target.value;
    case "<":
      return value < target.value;
    case ">=":
      return value >= target.value;
    case ">":
      return value > target.value;
  }
}

/** Wall-clock milliseconds since an arbitrary origin (monotonic). */
export function nowMs(): number {
  return performance.now();
}
