/**
 * The charts `npm run bench` writes into bench/results/ (and the README shows), drawn from the stored results only:
 * polls against task duration, download throughput and RSS per contender, bundle size per entry, queue throughput
 * against workers. A chart whose benchmark has not run (or does not exist yet: the queue) says "no data yet".
 */
import { summarize } from "./stats.js";
import { type Bar, barChart, lineChart, type Series } from "./svg.js";
import type { BenchResult, Measure } from "./types.js";

/** One chart file. */
export interface Chart {
  /** File name in bench/results/. */
  file: string;
  /** Alt text and caption. */
  title: string;
  svg: string;
}

/** Every measure of a result (ours and baselines) whose unit passes `unit`, first occurrence of each label. */
export function measuresOf(
  result: BenchResult | undefined,
  unit: (unit: string, measure: string) => boolean,
): Measure[] {
  const seen = new Map<string, Measure>();
  for (const row of result?.rows ?? []) {
    for (const m of [row.ours, row.baseline]) {
      if (m && unit(m.unit, row.measure) && !seen.has(m.label)) seen.set(m.label, m);
    }
  }
  return [...seen.values()];
}

function bars(measures: readonly Measure[]): Bar[] {
  return measures.map((m) => {
    const s = summarize(m.values);
    return { label: m.label, value: s.median, min: s.min, max: s.max };
  });
}

/** `10 s`, `2 min`, `30 min`. */
function duration(seconds: number): string {
  return seconds >= 60 ? `${seconds / 60} min` : `${seconds} s`;
}

/** The curve the scaling benchmark stores: median GETs per task by schedule and duration. */
interface PollCurvePoint {
  schedule: string;
  durationS: number;
  gets: number;
}

/** The curve a queue benchmark stores (when there is one): jobs per second by worker count. */
interface QueueCurvePoint {
  workers: number;
  jobsPerSecond: number;
}

/** Builds every chart from the stored results. */
export function charts(results: readonly BenchResult[]): Chart[] {
  const byName = (name: string) => results.find((r) => r.name === name);
  const out: Chart[] = [];

  const curve = ((byName("scaling")?.details as { curve?: PollCurvePoint[] } | undefined)?.curve ?? []).filter(
    (p) => p.gets > 0,
  );
  const schedules = [...new Set(curve.map((p) => p.schedule))];
  const durations = [...new Set(curve.map((p) => p.durationS))].sort((a, b) => a - b);
  const pollsTitle = "GETs per task against task duration";
  out.push({
    file: "polls-vs-duration.svg",
    title: pollsTitle,
    svg: lineChart({
      title: pollsTitle,
      xLabel: "task duration (log scale)",
      yLabel: "GETs per task (log scale)",
      series: schedules.map(
        (schedule): Series => ({
          label: schedule,
          points: curve.filter((p) => p.schedule === schedule).map((p) => ({ x: p.durationS, y: p.gets })),
        }),
      ),
      xTicks: durations,
      formatX: duration,
      note: "Real wait loop on a fake clock, honest estimate; callback-first counts the GET confirming the callback.",
    }),
  });

  const download = byName("download");
  const throughputTitle = "Download throughput, 100 MiB over loopback (median, range over rounds)";
  out.push({
    file: "download-throughput.svg",
    title: throughputTitle,
    svg: barChart({
      title: throughputTitle,
      unit: "MiB/s",
      bars: bars(measuresOf(download, (unit) => unit === "MiB/s")),
    }),
  });
  const rssTitle = "Peak RSS growth during that download";
  out.push({
    file: "download-rss.svg",
    title: rssTitle,
    svg: barChart({
      title: rssTitle,
      unit: "MiB",
      bars: bars(measuresOf(download, (unit, measure) => unit === "MiB" && /RSS/i.test(measure))),
    }),
  });

  const bundleTitle = "Bundle size per entry, minified + gzip";
  out.push({
    file: "bundle-size.svg",
    title: bundleTitle,
    svg: barChart({
      title: bundleTitle,
      unit: "kB",
      bars: bars(measuresOf(byName("bundle"), (unit) => unit === "kB")),
    }),
  });

  const queue = ((byName("queue")?.details as { curve?: QueueCurvePoint[] } | undefined)?.curve ?? []).filter(
    (p) => p.jobsPerSecond > 0,
  );
  const queueTitle = "Queue throughput against workers";
  out.push({
    file: "queue-throughput.svg",
    title: queueTitle,
    svg: lineChart({
      title: queueTitle,
      xLabel: "workers",
      yLabel: "jobs per second",
      series:
        queue.length > 0 ? [{ label: "queue", points: queue.map((p) => ({ x: p.workers, y: p.jobsPerSecond })) }] : [],
      ...(queue.length > 0 ? { xTicks: queue.map((p) => p.workers) } : {}),
      note:
        queue.length > 0
          ? "bench/results/queue.json"
          : "Not measured yet: the queue comes from another issue; this slot fills when its benchmark stores a curve.",
    }),
  });
  return out;
}
