/**
 * Small, dependency-free SVG charts of benchmark results (no browser needed to make them): horizontal bars with their
 * values, and lines over a log-scaled x axis. Plain text out, deterministic for the same input, so a diff of
 * bench/results/*.svg shows a change of figures.
 */

/** One bar: a label and its value (a median); `min`/`max` draw its range when given. */
export interface Bar {
  label: string;
  value: number;
  min?: number;
  max?: number;
}

/** One line of a line chart. */
export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"];

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** A number for a label: 3 significant digits, thousands separated. */
function num(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits });
}

/** Round coordinates: stable output, smaller files. */
const r = (v: number) => Math.round(v * 10) / 10;

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" ${FONT} font-size="14" font-weight="600" fill="#111827">${escapeXml(title)}</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/** Horizontal bars, one per item, with the value (and unit) written after each; an empty list says "no data". */
export function barChart(options: { title: string; unit: string; bars: readonly Bar[]; note?: string }): string {
  const { title, unit, bars, note } = options;
  const width = 640;
  const labelWidth = 220;
  const rowHeight = 26;
  const top = 36;
  const plotWidth = width - labelWidth - 130;
  const height = top + Math.max(1, bars.length) * rowHeight + (note ? 34 : 14);
  const body: string[] = [];
  if (bars.length === 0) {
    body.push(`<text x="12" y="${top + 16}" ${FONT} font-size="12" fill="#6b7280">no data yet</text>`);
  }
  const max = Math.max(...bars.map((b) => b.max ?? b.value), 0) || 1;
  bars.forEach((bar, i) => {
    const y = top + i * rowHeight;
    const w = (bar.value / max) * plotWidth;
    body.push(
      `<text x="${labelWidth - 8}" y="${y + 16}" ${FONT} font-size="12" text-anchor="end" fill="#374151">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${r(Math.max(w, 1))}" height="${rowHeight - 10}" fill="${COLORS[i % COLORS.length]}"/>`,
    );
    if (bar.min !== undefined && bar.max !== undefined && bar.max > bar.min) {
      const x1 = labelWidth + (bar.min / max) * plotWidth;
      const x2 = labelWidth + (bar.max / max) * plotWidth;
      const cy = y + rowHeight / 2 - 1;
      body.push(
        `<path d="M${r(x1)} ${cy}H${r(x2)}M${r(x1)} ${cy - 4}v8M${r(x2)} ${cy - 4}v8" stroke="#111827" stroke-width="1"/>`,
      );
    }
    const valueX = labelWidth + Math.max(w, ((bar.max ?? 0) / max) * plotWidth) + 6;
    body.push(
      `<text x="${r(valueX)}" y="${y + 16}" ${FONT} font-size="12" fill="#111827">${escapeXml(`${num(bar.value)} ${unit}`)}</text>`,
    );
  });
  if (note)
    body.push(`<text x="12" y="${height - 10}" ${FONT} font-size="11" fill="#6b7280">${escapeXml(note)}</text>`);
  return frame(width, height, title, body);
}

/** Nice tick values for a log axis between `min` and `max` (1, 2, 5 x 10^n). */
function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** p;
      if (v >= min && v <= max) ticks.push(v);
    }
  }
  return ticks;
}

/**
 * Lines over log-scaled x and y axes (both grow by orders of magnitude here: 10 s to 30 min, 1 to 360 polls), one
 * colour per series, with a legend. `formatX` labels the x ticks.
 */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  formatX?: (x: number) => string;
  xTicks?: readonly number[];
  note?: string;
}): string {
  const { title, xLabel, yLabel, series, formatX = num, note } = options;
  const width = 640;
  const height = 360;
  const left = 56;
  const right = 200;
  const top = 40;
  const bottom = note ? 70 : 52;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const points = series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0);
  const body: string[] = [];
  if (points.length === 0) {
    body.push(`<text x="${left}" y="${top + 20}" ${FONT} font-size="12" fill="#6b7280">no data yet</text>`);
    if (note)
      body.push(`<text x="12" y="${height - 10}" ${FONT} font-size="11" fill="#6b7280">${escapeXml(note)}</text>`);
    return frame(width, height, title, body);
  }
  const xMin = Math.min(...points.map((p) => p.x));
  const xMax = Math.max(...points.map((p) => p.x));
  const yMin = Math.min(1, ...points.map((p) => p.y));
  const yMax = Math.max(...points.map((p) => p.y)) * 1.2;
  const lx = (x: number) => (xMax === xMin ? 0.5 : (Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin)));
  const ly = (y: number) => (Math.log(y) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin));
  const px = (x: number) => r(left + lx(x) * plotW);
  const py = (y: number) => r(top + plotH - ly(y) * plotH);
  body.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#d1d5db"/>`);
  for (const t of logTicks(yMin, yMax)) {
    body.push(
      `<path d="M${left} ${py(t)}H${left + plotW}" stroke="#f3f4f6"/>`,
      `<text x="${left - 6}" y="${py(t) + 4}" ${FONT} font-size="11" text-anchor="end" fill="#6b7280">${num(t)}</text>`,
    );
  }
  let lastTickX = Number.NEGATIVE_INFINITY;
  for (const t of options.xTicks ?? logTicks(xMin, xMax)) {
    // Labels closer than this would overlap (20 min and 30 min on a log axis): keep the first.
    if (px(t) - lastTickX < 44) continue;
    lastTickX = px(t);
    body.push(
      `<path d="M${px(t)} ${top}V${top + plotH}" stroke="#f3f4f6"/>`,
      `<text x="${px(t)}" y="${top + plotH + 16}" ${FONT} font-size="11" text-anchor="middle" fill="#6b7280">${escapeXml(formatX(t))}</text>`,
    );
  }
  body.push(
    `<text x="${left + plotW / 2}" y="${top + plotH + 34}" ${FONT} font-size="12" text-anchor="middle" fill="#374151">${escapeXml(xLabel)}</text>`,
    `<text x="14" y="${top + plotH / 2}" ${FONT} font-size="12" text-anchor="middle" fill="#374151" transform="rotate(-90 14 ${top + plotH / 2})">${escapeXml(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.filter((p) => p.x > 0 && p.y > 0);
    if (pts.length > 0) {
      const d = pts.map((p, k) => `${k === 0 ? "M" : "L"}${px(p.x)} ${py(p.y)}`).join("");
      // Every other line dashed, so lines that coincide (two schedules at 1 GET) both stay visible.
      const dash = i % 2 === 1 ? ' stroke-dasharray="6 4"' : "";
      body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
      for (const p of pts) body.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="2.5" fill="${color}"/>`);
    }
    const ly0 = top + 10 + i * 20;
    body.push(
      `<path d="M${left + plotW + 14} ${ly0 - 6}h16" stroke="${color}" stroke-width="3"${i % 2 === 1 ? ' stroke-dasharray="5 3"' : ""}/>`,
      `<text x="${left + plotW + 34}" y="${ly0}" ${FONT} font-size="12" fill="#374151">${escapeXml(s.label)}</text>`,
    );
  });
  if (note)
    body.push(`<text x="12" y="${height - 10}" ${FONT} font-size="11" fill="#6b7280">${escapeXml(note)}</text>`);
  return frame(width, height, title, body);
}
