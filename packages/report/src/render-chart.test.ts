import { describe, expect, it } from 'vitest';
import { chartData, renderChart, smoothSeries } from './render-chart';

const base = {
  title: 'Reward',
  unit: 'mean',
  xLabel: 'step',
  xMin: 1,
  xMax: 8,
  includeZero: true,
  emptyMessage: 'no "reward/mean"',
};

describe('renderChart', () => {
  it('says "No data" with the reason when no series has a point', () => {
    const html = renderChart({ ...base, series: [{ label: 'kl', points: [] }] });
    expect(html).toContain('<p class="no-data">No data: no &quot;reward/mean&quot;</p>');
    expect(html).not.toContain('data-chart');
  });

  it('carries the chart data as an escaped attribute, so a label cannot end it', () => {
    const html = renderChart({
      ...base,
      title: '<b>t</b>',
      series: [{ label: '"><script>x</script>', points: [{ x: 1, y: 1 }] }],
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
  });
});

describe('chartData', () => {
  it('aligns the series on the union of their steps, null where a series has no value; a sparse series spans its gaps', () => {
    const dense = [1, 2, 3, 4, 5, 6, 7, 8].map((x) => ({ x, y: x / 10 }));
    const data = chartData({
      ...base,
      series: [
        { label: 'train', points: dense },
        {
          label: 'eval',
          points: [
            { x: 4, y: 0.3 },
            { x: 8, y: 0.5 },
          ],
        },
      ],
    });
    expect(data.columns[0]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(data.columns[2]).toEqual([null, null, null, 0.3, null, null, null, 0.5]);
    expect(data.lines.map((line) => [line.label, line.spanGaps, line.points, line.count])).toEqual([
      ['train', false, true, 8],
      ['eval', true, true, 2],
    ]);
    expect([data.xMin, data.xMax]).toEqual([1, 8]);
  });

  it('draws a long series as a faint raw line under a smoothed one', () => {
    const points = Array.from({ length: 30 }, (_, index) => ({ x: index + 1, y: index % 2 }));
    const data = chartData({ ...base, xMax: 30, series: [{ label: 'reward', points }] });
    expect(data.lines.map((line) => [line.label, line.width, line.points])).toEqual([
      ['reward (raw)', 1, false],
      ['reward', 2, false],
    ]);
    expect(data.lines[0]!.color).toBe(`${data.lines[1]!.color}59`);
  });
});

describe('smoothSeries', () => {
  it('is a debiased exponential moving average', () => {
    const smoothed = smoothSeries(
      [
        { x: 1, y: 1 },
        { x: 2, y: 0 },
        { x: 3, y: 0 },
      ],
      0.5,
    );
    // a1 = 0.5 → 0.5/0.5 = 1; a2 = 0.25 → 0.25/0.75 = 1/3; a3 = 0.125 → 0.125/0.875 = 1/7.
    expect(smoothed.map((point) => point.y)).toEqual([1, 1 / 3, 1 / 7]);
    expect(smoothed.map((point) => point.x)).toEqual([1, 2, 3]);
  });
});
