import { describe, expect, it } from 'vitest';
import { renderAlarms } from './render-alarms';

describe('renderAlarms', () => {
  it('lists each alarm with its step, name, message, value and threshold, escaped', () => {
    const html = renderAlarms(
      [
        {
          line: 3,
          step: 50,
          alarm: 'search-runaway',
          message: 'searches 10 reached 10 (4 × the early 2.5)',
          value: 10,
          threshold: 10,
        },
        { line: 9, step: 61, alarm: 'grad-norm-<spike>', message: 'norm <b>NaN</b>', value: Number.NaN },
      ],
      true,
    );
    expect(html).toContain('<h2>Training-health alarms</h2>');
    expect(html).toContain(
      '<tr data-alarm="search-runaway"><td class="number">50</td><td><code>search-runaway</code></td><td>searches 10 reached 10 (4 × the early 2.5)</td><td class="number">10</td><td class="number">10</td></tr>',
    );
    expect(html).toContain('<td><code>grad-norm-&lt;spike&gt;</code></td><td>norm &lt;b&gt;NaN&lt;/b&gt;</td>');
    expect(html).toContain('<td class="number">NaN</td><td class="number">—</td>');
    expect(html.match(/<tr data-alarm/g)).toHaveLength(2);
  });

  it('says when there is no alarm, or no metrics file', () => {
    expect(renderAlarms([], true)).toContain('No alarm in metrics.jsonl (lines of kind "alarm").');
    expect(renderAlarms([], false)).toContain('No data: the run folder has no metrics.jsonl');
  });
});
