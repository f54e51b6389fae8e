import { describe, expect, it } from 'vitest';
import { renderLineChart, smoothSeries } from './line-chart';

const pathsOf = (html: string) => [...html.matchAll(/<path class="series[^"]*"[^>]* d="([^"]*)"/g)].map((match) => match[1]!);
const commandsOf = (d: string) => d.split(' ').map((part) => part[0]);

describe('renderLineChart', () => {
  it('says "No data" with the reason when no series has a point', () => {
    const html = renderLineChart({ title: 'KL', series: [{ label: 'kl', points: [] }], emptyMessage: 'metrics.jsonl has no "kl" field' });
    expect(html).toContain('<p class="no-data">No data: metrics.jsonl has no &quot;kl&quot; field</p>');
    expect(html).not.toContain('<svg');
    expect(renderLineChart({ title: 'KL', series: [], emptyMessage: 'nothing' })).toContain('No data: nothing');
  });

  it('draws one path per series with data, a marker per point, and a legend with the last value', () => {
    const html = renderLineChart({
      title: 'Reward',
      series: [
        { label: 'mean', points: [{ x: 1, y: 0.1 }, { x: 2, y: 0.3 }, { x: 3, y: 0.5 }] },
        { label: 'f1', points: [] },
        { label: 'format', points: [{ x: 1, y: 0.9 }] },
      ],
      emptyMessage: 'unused',
      includeZero: true,
    });
    const paths = pathsOf(html);
    expect(paths).toHaveLength(2);
    expect(commandsOf(paths[0]!)).toEqual(['M', 'L', 'L']);
    expect(html).toContain('data-points="3"');
    expect(html.match(/<circle class="point"/g)).toHaveLength(4);
    expect(html).toContain('mean at step 2: 0.3');
    expect(html).toContain('mean <span class="last">last 0.5</span>');
    expect(html).not.toContain('>f1 <');
    // y axis from 0 (includeZero) to 1: ticks 0 … 1 are labelled.
    expect(html).toContain('>0</text>');
    expect(html).toContain('>1</text>');
  });

  it('maps the first and last points to the plot corners of a nice-tick range', () => {
    const html = renderLineChart({ title: 'x', series: [{ label: 's', points: [{ x: 0, y: 0 }, { x: 10, y: 1 }] }], emptyMessage: '' });
    // plot: x from 58 to 546, y from 12 (top, value 1) to 206 (bottom, value 0).
    expect(pathsOf(html)[0]).toBe('M58,206 L546,12');
  });

  it('breaks the line over missing steps', () => {
    const points = [1, 2, 3, 7, 8].map((x) => ({ x, y: x }));
    const html = renderLineChart({ title: 'entropy', series: [{ label: 'entropy', points }], emptyMessage: '' });
    expect(commandsOf(pathsOf(html)[0]!)).toEqual(['M', 'L', 'L', 'M', 'L']);
  });

  it('judges gaps per series: a sparse series is still a line', () => {
    const dense = Array.from({ length: 20 }, (_, index) => ({ x: index + 1, y: index }));
    const sparse = [5, 10, 15, 20].map((x) => ({ x, y: x }));
    const html = renderLineChart({ title: 'reward', series: [{ label: 'train', points: dense }, { label: 'eval', points: sparse }], emptyMessage: '' });
    expect(commandsOf(pathsOf(html)[1]!)).toEqual(['M', 'L', 'L', 'L']);
  });

  it('draws a single point as a marker on a widened axis', () => {
    const html = renderLineChart({ title: 'kl', series: [{ label: 'kl', points: [{ x: 5, y: 0.002 }] }], emptyMessage: '' });
    expect(pathsOf(html)).toHaveLength(1);
    expect(html.match(/<circle class="point"/g)).toHaveLength(1);
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  it('smooths a long series and draws no markers', () => {
    const points = Array.from({ length: 60 }, (_, index) => ({ x: index + 1, y: index % 2 }));
    const html = renderLineChart({ title: 'reward', series: [{ label: 'mean', points }], emptyMessage: '' });
    expect(html).toContain('class="series raw"');
    expect(html).toContain('class="smoothed"');
    expect(html).not.toContain('<circle');
    expect(html).toContain('faint: raw, solid: smoothed');
  });

  it('escapes titles, units and labels', () => {
    const html = renderLineChart({ title: '<b>t</b>', unit: '"u"', series: [{ label: '<script>x</script>', points: [{ x: 1, y: 1 }] }], emptyMessage: '' });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('&quot;u&quot;');
  });
});

describe('smoothSeries', () => {
  it('is a debiased exponential moving average', () => {
    const smoothed = smoothSeries([{ x: 1, y: 1 }, { x: 2, y: 0 }, { x: 3, y: 0 }], 0.5);
    // a1 = 0.5 → 0.5/0.5 = 1; a2 = 0.25 → 0.25/0.75 = 1/3; a3 = 0.125 → 0.125/0.875 = 1/7.
    expect(smoothed.map((point) => point.y)).toEqual([1, 1 / 3, 1 / 7]);
    expect(smoothed.map((point) => point.x)).toEqual([1, 2, 3]);
  });
});
