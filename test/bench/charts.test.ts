/**
 * The charts `npm run bench` writes: drawn from the stored results (a bar per measure, a line per schedule), and a
 * visible "no data yet" where a benchmark has not stored any.
 */
import { describe, expect, it } from "vitest";
import { charts, measuresOf } from "../../bench/lib/charts.js";
import { barChart, escapeXml, lineChart } from "../../bench/lib/svg.js";
import type { BenchResult } from "../../bench/lib/types.js";

const machine = { cpuModel: "test", cores: 2, node: "v20", platform: "linux", totalMemoryMB: 1, loadAverage: 0 };
const result = (name: string, rest: Partial<BenchResult>): BenchResult => ({
  name,
  title: name,
  date: "2026-12-02T00:00:00.000Z",
  machine,
  durationMs: 1,
  runs: "1",
  notes: [],
  rows: [],
  ...rest,
});

const download = result("download", {
  rows: [
    {
      measure: "throughput",
      ours: { label: "client.download", unit: "MiB/s", values: [200, 210, 190] },
      baseline: { label: "curl", unit: "MiB/s", values: [800, 820, 790] },
    },
    {
      measure: "throughput of node:http",
      ours: { label: "node:http piped to a file", unit: "MiB/s", values: [300] },
      baseline: { label: "curl", unit: "MiB/s", values: [801] },
    },
    {
      measure: "peak RSS growth",
      ours: { label: "client.download", unit: "MiB", values: [40] },
    },
  ],
});
const scaling = result("scaling", {
  details: {
    curve: [
      { schedule: "adaptive", durationS: 10, gets: 3 },
      { schedule: "adaptive", durationS: 1800, gets: 70 },
      { schedule: "fixed 5 s", durationS: 10, gets: 3 },
      { schedule: "fixed 5 s", durationS: 1800, gets: 361 },
    ],
  },
});

const bars = (svg: string) => (svg.match(/<rect x="220"/g) ?? []).length;
const lines = (svg: string) =>
  (svg.match(/<path d="M[^"]*" fill="none" stroke="[^"]*" stroke-width="2"/g) ?? []).length;

describe("charts", () => {
  it("takes each contender once, by label, with the unit asked for", () => {
    expect(measuresOf(download, (unit) => unit === "MiB/s").map((m) => m.label)).toEqual([
      "client.download",
      "curl",
      "node:http piped to a file",
    ]);
    expect(measuresOf(undefined, () => true)).toEqual([]);
  });

  it("draws one bar per contender, labelled with its median", () => {
    const chart = charts([download]).find((c) => c.file === "download-throughput.svg");
    expect(chart).toBeDefined();
    expect(bars(chart?.svg ?? "")).toBe(3);
    expect(chart?.svg).toContain(">200 MiB/s<");
    expect(chart?.svg).toContain(">800 MiB/s<");
    expect(charts([download]).find((c) => c.file === "download-rss.svg")?.svg).toContain(">40 MiB<");
  });

  it("draws one line per schedule from the scaling curve, and says so when a benchmark has stored nothing", () => {
    const all = charts([scaling]);
    const polls = all.find((c) => c.file === "polls-vs-duration.svg")?.svg ?? "";
    expect(lines(polls)).toBe(2);
    expect(polls).toContain(">adaptive<");
    expect(polls).toContain(">30 min<");
    for (const file of ["download-throughput.svg", "bundle-size.svg", "queue-throughput.svg"]) {
      expect(all.find((c) => c.file === file)?.svg).toContain("no data yet");
    }
  });

  it("escapes text, and gives the same SVG for the same input", () => {
    expect(escapeXml(`a<b & "c">`)).toBe("a&lt;b &amp; &quot;c&quot;&gt;");
    const svg = barChart({ title: "<t>", unit: "kB", bars: [{ label: "x & y", value: 1 }] });
    expect(svg).toContain("&lt;t&gt;");
    expect(svg).toContain("x &amp; y");
    expect(svg).toBe(barChart({ title: "<t>", unit: "kB", bars: [{ label: "x & y", value: 1 }] }));
    expect(lineChart({ title: "t", xLabel: "x", yLabel: "y", series: [] })).toContain("no data yet");
  });
});
