import { escapeHtml } from './escape-html';
import type { ChartSeries } from './report-charts';

/** Series colours (Okabe–Ito, readable by colour-blind readers). */
export const chartColors = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9'] as const;
/** Above this many points a series is drawn smoothed over its faint raw line. */
const smoothingThreshold = 25;
/** Weight of the previous value in the exponential moving average (debiased, as TensorBoard). */
const smoothingWeight = 0.8;

/** Exponential moving average with bias correction; the first value is kept as is. */
export function smoothSeries(points: ChartSeries['points'], weight = smoothingWeight): { x: number; y: number }[] {
  let average = 0;
  return points.map((point, index) => {
    average = average * weight + (1 - weight) * point.y;
    return { x: point.x, y: average / (1 - weight ** (index + 1)) };
  });
}

/** One line of a chart, as the page's script hands it to uPlot. */
export interface ChartLine {
  label: string;
  color: string;
  width: number;
  /** Draw across missing steps (a sparse series such as the evaluations), or break the line there. */
  spanGaps: boolean;
  /** Mark each point (short or sparse series). */
  points: boolean;
  /** Points with a value, for tests and the page. */
  count: number;
}

/** What the page's script draws: uPlot's aligned columns, `[steps, line 1, line 2, …]`, `null` where a line has no value. */
export interface ChartData {
  xLabel: string;
  xMin: number;
  xMax: number;
  includeZero: boolean;
  lines: ChartLine[];
  columns: (number | null)[][];
}

export interface RenderChartOptions {
  title: string;
  /** What the y axis measures, shown beside the title. */
  unit: string;
  xLabel: string;
  series: readonly ChartSeries[];
  /** The x range: the phase's first and last step. */
  xMin: number;
  xMax: number;
  includeZero: boolean;
  /** Said when no series has a point, after "No data: ". */
  emptyMessage: string;
}

/** The lines of a chart and their aligned columns; a long series becomes a faint raw line and a smoothed one. */
export function chartData(options: Omit<RenderChartOptions, 'title' | 'unit' | 'emptyMessage'>): ChartData {
  const lines: ChartLine[] = [];
  const values: Map<number, number>[] = [];
  const longest = Math.max(...options.series.map((series) => series.points.length));
  options.series.forEach((series, index) => {
    const color = chartColors[index % chartColors.length]!;
    // a series much sparser than the chart's longest (the evaluations) is drawn across the steps between its points
    const sparse = series.points.length * 3 < longest;
    const add = (label: string, points: ChartSeries['points'], line: Partial<ChartLine>) => {
      lines.push({
        label,
        color,
        width: 2,
        spanGaps: sparse,
        points: sparse || points.length <= smoothingThreshold,
        count: points.length,
        ...line,
      });
      values.push(new Map(points.map((point) => [point.x, point.y])));
    };
    if (series.points.length > smoothingThreshold && !sparse) {
      add(`${series.label} (raw)`, series.points, { color: `${color}59`, width: 1, points: false });
      add(series.label, smoothSeries(series.points), { points: false });
    } else add(series.label, series.points, {});
  });
  const steps = [...new Set(values.flatMap((map) => [...map.keys()]))].sort((a, b) => a - b);
  const columns = [steps, ...values.map((map) => steps.map((step) => map.get(step) ?? null))];
  return {
    xLabel: options.xLabel,
    xMin: options.xMin,
    xMax: options.xMax,
    includeZero: options.includeZero,
    lines,
    columns,
  };
}

/**
 * One chart as a `<figure class="chart">`: the title, and a plot box that carries its data as an escaped
 * `data-chart` attribute (JSON), which the page's script draws with uPlot. No series with a point: "No
 * data" and the reason.
 */
export function renderChart(options: RenderChartOptions): string {
  const head = `<h3>${escapeHtml(options.title)} <span class="unit">${escapeHtml(options.unit)}</span></h3>`;
  if (options.series.every((series) => series.points.length === 0)) {
    return `<figure class="chart chart-empty">${head}<p class="no-data">No data: ${escapeHtml(options.emptyMessage)}</p></figure>`;
  }
  const data = chartData(options);
  return `<figure class="chart">${head}<div class="plot" data-chart="${escapeHtml(JSON.stringify(data))}"></div></figure>`;
}
