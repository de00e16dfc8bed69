/** Renders results as text for the terminal and as the Markdown table kept in bench/results/ and the README. */
import { summarize, targetMet } from "./stats.js";
import type { BenchResult, Measure, Row, Target } from "./types.js";

/** A number with 3 significant digits (no exponent), thousands separated. */
export function fmt(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** `median (min-max) unit`, or just the value when all samples are equal. */
export function formatMeasure(m: Measure): string {
  const s = summarize(m.values);
  const unit = m.unit ? ` ${m.unit}` : "";
  if (s.min === s.max) return `${fmt(s.median)}${unit}`;
  return `${fmt(s.median)}${unit} (${fmt(s.min)}-${fmt(s.max)})`;
}

/** `1.04x (0.98-1.10)`; `digits` 3 where 2 would round a miss onto its target (1.052 shown as 1.05 against 1.05). */
export function formatRatio(values: readonly number[], digits = 2): string {
  const s = summarize(values);
  const r = (v: number) => v.toFixed(v >= 10 ? 1 : digits);
  return s.min === s.max ? `${r(s.median)}x` : `${r(s.median)}x (${r(s.min)}-${r(s.max)})`;
}

/** `<= 1.10x` or `<= 12 polls`. */
export function formatTarget(target: Target | undefined, row: Row): string {
  if (!target) return "";
  const op = target.op === "<=" ? "≤" : target.op === ">=" ? "≥" : target.op;
  const text = target.on === "ratio" ? `${op} ${target.value}x` : `${op} ${fmt(target.value)} ${row.ours.unit}`;
  return target.of === "max" ? `${text}, each` : text;
}

/** 3 decimals when the 2-decimal median would read as exactly the ratio target. */
function ratioDigits(row: Row): number {
  if (!row.ratio || row.target?.on !== "ratio") return 2;
  return Number(summarize(row.ratio).median.toFixed(2)) === row.target.value ? 3 : 2;
}

function metText(row: Row): string {
  const met = targetMet(row);
  return met === null ? "" : met ? "yes" : "**no**";
}

const escapeCell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The Markdown table of some results, one section per benchmark with its notes. */
export function markdownTable(results: readonly BenchResult[], include: (row: Row) => boolean = () => true): string {
  const lines = [
    "| Benchmark | Measure | Ours | Baseline (same run) | Ratio | Target | Met |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const result of results) {
    for (const row of result.rows.filter(include)) {
      const baseline = row.baseline ? `${row.baseline.label}: ${formatMeasure(row.baseline)}` : "";
      const cells = [
        result.name,
        row.measure,
        `${row.ours.label}: ${formatMeasure(row.ours)}`,
        baseline,
        row.ratio ? formatRatio(row.ratio, ratioDigits(row)) : "",
        formatTarget(row.target, row),
        metText(row),
      ];
      lines.push(`| ${cells.map(escapeCell).join(" | ")} |`);
    }
  }
  return lines.join("\n");
}

/** The notes of each result (runs, date, tool facts, what limits missed targets), as a Markdown list. */
export function markdownNotes(results: readonly BenchResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`- **${r.name}** (${r.title}): ${r.date.slice(0, 10)}, ${r.runs}.`);
    for (const row of r.rows) {
      if (row.note) lines.push(`  - ${row.measure}: ${row.note}`);
    }
    for (const note of r.notes) lines.push(`  - ${note}`);
  }
  return lines.join("\n");
}

/** A result as terminal text. */
export function textReport(result: BenchResult): string {
  const out = [`== ${result.name}: ${result.title} (${result.runs}; ${(result.durationMs / 1000).toFixed(1)} s)`];
  for (const row of result.rows) {
    const parts = [`  ${row.measure}`, `    ours     ${row.ours.label}: ${formatMeasure(row.ours)}`];
    if (row.baseline) parts.push(`    baseline ${row.baseline.label}: ${formatMeasure(row.baseline)}`);
    if (row.ratio) parts.push(`    ratio    ${formatRatio(row.ratio, ratioDigits(row))}`);
    if (row.target) {
      parts.push(`    target   ${formatTarget(row.target, row)}: ${targetMet(row) ? "met" : "MISSED"}`);
    }
    if (row.note) parts.push(`    note     ${row.note}`);
    out.push(...parts);
  }
  for (const note of result.notes) out.push(`  * ${note}`);
  return out.join("\n");
}

/**
 * The README's "Benchmarks" section body: what the benchmarks are, the latest table of targets, the charts, what
 * limits each missed target, its date and how to reproduce. The method is in docs/benchmarks.md.
 */
export function readmeSection(
  results: readonly BenchResult[],
  names: readonly string[],
  charts: readonly { file: string; title: string }[] = [],
): string {
  const dates = results.map((r) => r.date.slice(0, 10)).sort();
  const machine = results.at(-1)?.machine;
  const span = dates[0] === dates.at(-1) ? dates[0] : `${dates[0]} to ${dates.at(-1)}`;
  const missed = results.flatMap((r) =>
    r.rows
      .filter((row) => targetMet(row) === false)
      .map((row) => `- ${r.name}, ${row.measure}: ${row.note ?? "see bench/results/latest.md"}`),
  );
  return [
    "Performance claims here are measured, against what a user would otherwise pick, side by side in one run on the",
    "same machine (contenders alternate, several rounds), and reported as median (min-max) with the ratio to that",
    "baseline. They are benchmarks under `bench/`, never timed assertions in tests (`test/bench/` only runs each one in",
    "a tiny smoke mode to prove the harness measures and computes its ratios from real samples). How each figure is",
    "taken: [docs/benchmarks.md](docs/benchmarks.md).",
    "",
    "```sh",
    "npm run bench                       # all; writes bench/results/latest.md, latest.json and the charts",
    `npm run bench -- polling            # one of: ${names.join(", ")}`,
    "npm run bench -- --skip npm-test    # without the slow npm test timing (also BENCH_SKIP=npm-test); --rounds N",
    "```",
    "",
    `Latest run: ${span} on ${machine ? describeMachineShort(machine) : "?"} (shared with other work, so expect noise; the ratios are the figures to read).`,
    "",
    markdownTable(results, (row) => row.target !== undefined),
    "",
    ...(missed.length > 0
      ? ["Missed targets, and what limits them (measured in the same run):", "", ...missed, ""]
      : []),
    ...charts.flatMap((c) => [`![${c.title}](bench/results/${c.file})`, ""]),
    "The full table, with the context rows (Node's own fetch, node:http, a timeout signal alone, the harder polling",
    "cases, the validators' cost, how cost grows with duration, tasks held and stored jobs) and each benchmark's notes",
    "(rounds, tools, load generator, findings), is in [bench/results/latest.md](bench/results/latest.md).",
  ].join("\n");
}

function describeMachineShort(m: BenchResult["machine"]): string {
  return `${m.cores} cores (${m.cpuModel}), Node ${m.node}, load ${m.loadAverage} at start`;
}
