import { escapeHtml } from './escape-html';
import { formatNumber, niceTicks } from './nice-ticks';

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartSeries {
  label: string;
  points: readonly ChartPoint[];
}

export interface LineChartOptions {
  title: string;
  /** What the y axis measures, shown under the title (`nats`, `tokens per rollout`). */
  unit?: string;
  series: readonly ChartSeries[];
  /** Said when no series has a point, after "No data: " (e.g. `metrics.jsonl has no "kl" field`). */
  emptyMessage: string;
  /** Keep 0 inside the y range (rewards, lengths, counts). */
  includeZero?: boolean;
}

const width = 560;
const height = 240;
const margin = { left: 58, right: 14, top: 12, bottom: 34 };
const plotWidth = width - margin.left - margin.right;
const plotHeight = height - margin.top - margin.bottom;
/** Series colours (Okabe–Ito, readable by colour-blind readers). */
export const chartColors = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9'] as const;
/** Above this many points a series gets a smoothed line over its faint raw line, and no markers. */
const smoothingThreshold = 25;
/** Weight of the previous value in the exponential moving average (debiased, as TensorBoard). */
const smoothingWeight = 0.8;

const coordinate = (value: number) => Number(value.toFixed(2));

/** Exponential moving average with bias correction; the first value is kept as is. */
export function smoothSeries(points: readonly ChartPoint[], weight = smoothingWeight): ChartPoint[] {
  let average = 0;
  return points.map((point, index) => {
    average = average * weight + (1 - weight) * point.y;
    return { x: point.x, y: average / (1 - weight ** (index + 1)) };
  });
}

/**
 * An SVG path through the points, in order. A step gap larger than `gapAfter` starts a new subpath
 * (`M`), so missing steps do not draw a line across them.
 */
function pathData(points: readonly ChartPoint[], toX: (x: number) => number, toY: (y: number) => number, gapAfter: number): string {
  let data = '';
  let previous: ChartPoint | undefined;
  for (const point of points) {
    const command = previous === undefined || point.x - previous.x > gapAfter ? 'M' : 'L';
    data += `${data === '' ? '' : ' '}${command}${coordinate(toX(point.x))},${coordinate(toY(point.y))}`;
    previous = point;
  }
  return data;
}

/** The typical step spacing: the median gap between consecutive x values (1 when there is one point). */
function typicalGap(xs: readonly number[]): number {
  const sorted = [...new Set(xs)].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((x, index) => x - sorted[index]!).sort((a, b) => a - b);
  return gaps.length === 0 ? 1 : gaps[Math.floor(gaps.length / 2)]!;
}

/**
 * A line chart as an HTML `<figure>` holding an inline SVG (no script needed to draw it): nice-tick
 * axes, one path per series (class `series`, `data-points` = its point count), a marker with a hover
 * title per point when there are few, a smoothed line over a faint raw one when there are many, and a
 * legend. With no points in any series it says `No data: <emptyMessage>` instead of drawing axes.
 * Every label is escaped.
 */
export function renderLineChart(options: LineChartOptions): string {
  const title = escapeHtml(options.title);
  const unit = options.unit === undefined ? '' : ` <span class="unit">${escapeHtml(options.unit)}</span>`;
  const series = options.series.filter((entry) => entry.points.length > 0);
  if (series.length === 0) {
    return `<figure class="chart chart-empty"><figcaption><h3>${title}${unit}</h3></figcaption><p class="no-data">No data: ${escapeHtml(options.emptyMessage)}</p></figure>`;
  }
  const xs = series.flatMap((entry) => entry.points.map((point) => point.x));
  const ys = series.flatMap((entry) => entry.points.map((point) => point.y));
  let minimumY = Math.min(...ys);
  let maximumY = Math.max(...ys);
  if (options.includeZero === true) {
    minimumY = Math.min(0, minimumY);
    maximumY = Math.max(0, maximumY);
  }
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 6);
  const yTicks = niceTicks(minimumY, maximumY, 4);
  const toX = (x: number) => margin.left + ((x - xTicks.start) / (xTicks.end - xTicks.start)) * plotWidth;
  const toY = (y: number) => margin.top + (1 - (y - yTicks.start) / (yTicks.end - yTicks.start)) * plotHeight;

  const parts: string[] = [];
  for (const value of yTicks.values) {
    const y = coordinate(toY(value));
    parts.push(`<line class="grid" x1="${margin.left}" x2="${width - margin.right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(formatNumber(value))}</text>`);
  }
  for (const value of xTicks.values) {
    const x = coordinate(toX(value));
    parts.push(`<line class="axis-tick" x1="${x}" x2="${x}" y1="${height - margin.bottom}" y2="${height - margin.bottom + 4}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${height - margin.bottom + 16}" text-anchor="middle">${escapeHtml(formatNumber(value))}</text>`);
  }
  parts.push(`<line class="axis" x1="${margin.left}" x2="${width - margin.right}" y1="${height - margin.bottom}" y2="${height - margin.bottom}"/>`);
  parts.push(`<line class="axis" x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${height - margin.bottom}"/>`);
  parts.push(`<text class="axis-label" x="${margin.left + plotWidth / 2}" y="${height - 2}" text-anchor="middle">step</text>`);

  const legend: string[] = [];
  series.forEach((entry, index) => {
    const color = chartColors[index % chartColors.length]!;
    const label = escapeHtml(entry.label);
    const points = [...entry.points].sort((a, b) => a.x - b.x);
    const smoothed = points.length > smoothingThreshold;
    // Gaps are judged per series: an evaluation every 10 steps is a line, a training series missing 10 steps is not.
    const gapAfter = typicalGap(points.map((point) => point.x)) * 1.5;
    const raw = pathData(points, toX, toY, gapAfter);
    parts.push(`<path class="series${smoothed ? ' raw' : ''}" data-series="${label}" data-points="${points.length}" stroke="${color}" d="${raw}"/>`);
    if (smoothed) {
      parts.push(`<path class="smoothed" data-series="${label}" stroke="${color}" d="${pathData(smoothSeries(points), toX, toY, gapAfter)}"/>`);
    } else {
      for (const point of points) {
        parts.push(
          `<circle class="point" cx="${coordinate(toX(point.x))}" cy="${coordinate(toY(point.y))}" r="2.5" fill="${color}"><title>${label} at step ${escapeHtml(formatNumber(point.x))}: ${escapeHtml(formatNumber(point.y))}</title></circle>`,
        );
      }
    }
    const last = points.at(-1)!;
    legend.push(
      `<li><span class="swatch" style="background:${color}"></span>${label} <span class="last">last ${escapeHtml(formatNumber(last.y))}</span></li>`,
    );
  });
  const note = series.some((entry) => entry.points.length > smoothingThreshold) ? '<li class="note">faint: raw, solid: smoothed (EMA 0.8)</li>' : '';
  return (
    `<figure class="chart"><figcaption><h3>${title}${unit}</h3></figcaption>` +
    `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}">${parts.join('')}</svg>` +
    `<ul class="legend">${legend.join('')}${note}</ul></figure>`
  );
}
