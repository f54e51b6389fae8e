import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InvalidInputError } from '@research-ts/spec';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChartData } from './render-chart';
import { writeSampleRun } from './sample-run';
import { writeRunReport } from './write-run-report';

const root = mkdtempSync(join(tmpdir(), 'research-ts-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDirectory = () => join(root, `run-${(counter += 1)}`);

const allTitles = [
  'Reward',
  'KL to the reference',
  'Entropy',
  'Response length',
  'Searches per rollout',
  'Clip fraction',
  'Throughput',
  'Loss',
  'Gradient norm',
  'Learning rate',
  'Warm-up loss',
];

/** The data a chart's plot box carries (its `data-chart` attribute, unescaped). */
function chartDataOf(figure: string): ChartData {
  const attribute = /data-chart="([^"]*)"/.exec(figure)?.[1];
  if (attribute === undefined) throw new Error(`no chart data in ${figure.slice(0, 200)}`);
  const text = attribute.replace(
    /&(quot|#39|lt|gt|amp);/g,
    (_, name: string) => ({ quot: '"', '#39': "'", lt: '<', gt: '>', amp: '&' })[name]!,
  );
  return JSON.parse(text) as ChartData;
}

/** The `<figure class="chart">` of the chart with this title. */
function chartNamed(html: string, title: string): string {
  const figures = html.match(/<figure class="chart[^"]*">[\s\S]*?<\/figure>/g) ?? [];
  const figure = figures.find((candidate) => candidate.includes(`<h3>${title} <span`));
  if (figure === undefined) throw new Error(`no chart titled ${title}`);
  return figure;
}

describe('writeRunReport', () => {
  it('writes one self-contained page with every chart drawn and every rollout', async () => {
    const runDirectory = freshDirectory();
    writeSampleRun(runDirectory, { steps: 40 });
    const outputFile = join(root, 'out', 'nested', 'report.html');
    const result = await writeRunReport({ runDirectory, outputFile, generatedAt: new Date('2025-01-02T03:04:05Z') });
    expect(result).toMatchObject({ outputFile, steps: 40, rolloutsShown: 4, rolloutsTotal: 4, problems: [] });
    const html = readFileSync(outputFile, 'utf8');
    expect(result.bytes).toBe(Buffer.byteLength(html));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const title of allTitles.filter((title) => title !== 'Warm-up loss')) {
      const data = chartDataOf(chartNamed(html, title));
      expect(data.lines[0]!.count, title).toBe(40);
      expect([data.xMin, data.xMax], title).toEqual([1, 40]);
      expect(data.columns[0], title).toHaveLength(40);
    }
    // Reward: the mean and both components (40 points each: raw and smoothed), and the evaluations (steps 10, 20, 30, 40).
    const reward = chartDataOf(chartNamed(html, 'Reward'));
    expect(reward.lines.map((line) => [line.label, line.count])).toEqual([
      ['reward (raw)', 40],
      ['reward', 40],
      ['f1 (raw)', 40],
      ['f1', 40],
      ['format (raw)', 40],
      ['format', 40],
      ['eval reward', 4],
    ]);
    expect(reward.lines.at(-1)).toMatchObject({ spanGaps: true, points: true });
    expect(reward.columns.at(-1)!.filter((value) => value !== null)).toHaveLength(4);
    expect(chartDataOf(chartNamed(html, 'Response length')).lines.map((line) => line.label)).toEqual([
      'mean (raw)',
      'mean',
      'max (raw)',
      'max',
    ]);
    expect(chartNamed(html, 'Warm-up loss')).toContain(
      'No data: no warm-up line (kind &quot;warmup&quot;) in metrics.jsonl has &quot;loss&quot;',
    );
    // The charts are drawn by the inlined uPlot: its code and stylesheet are in the page, no SVG is.
    expect(html).toContain('var uPlot=');
    expect(html).toContain('.uplot');
    expect(html).not.toContain('<svg');
    expect(html.match(/<article class="rollout"/g)).toHaveLength(4);
    expect(html).toContain('2025-01-02T03:04:05.000Z');
    expect(html).toContain('<b>40</b> steps (1–40)');
    // Self-contained: no resource is loaded from anywhere, and the policy forbids it.
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain(`content="default-src 'none'`);
    // The only script element is the report's own; rollout and config text is escaped.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('&lt;script&gt;alert(&quot;rollout&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    // The trajectory with tokens marks exactly its inserted tokens.
    expect(html).toContain('has-tokens');
    expect(html).toMatch(/\d+ tokens, \d+ out of the loss/);
  });

  it('says "No data" for charts whose fields are missing, and draws the others', async () => {
    const runDirectory = freshDirectory();
    writeSampleRun(runDirectory, { steps: 6, omitFields: ['kl', 'throughput', 'rewardComponents'] });
    const { outputFile } = await writeRunReport({ runDirectory });
    expect(outputFile).toBe(join(runDirectory, 'report.html'));
    const html = readFileSync(outputFile, 'utf8');
    expect(chartNamed(html, 'KL to the reference')).toContain('No data: no step in metrics.jsonl has &quot;kl&quot;');
    expect(chartNamed(html, 'Throughput')).toContain(
      'No data: no step in metrics.jsonl has &quot;throughput/tokensPerSecond&quot;',
    );
    expect(chartDataOf(chartNamed(html, 'Reward')).lines.map((line) => line.label)).toEqual(['reward']);
    expect(chartDataOf(chartNamed(html, 'Entropy')).lines[0]!.count).toBe(6);
    // The `run` line (step 0) is not a training step.
    expect(html).toContain('<b>6</b> steps (1–6)');
  });

  it('shows the held-out results, the warm-up loss and the loss, gradient norm and learning rate, on axes that end at the last step', async () => {
    const runDirectory = freshDirectory();
    writeSampleRun(runDirectory, { steps: 7, warmupSteps: 100, finalEvaluations: true });
    const html = readFileSync((await writeRunReport({ runDirectory })).outputFile, 'utf8');
    expect(chartNamed(html, allTitles[0]!)).toBeDefined();
    expect([...html.matchAll(/<h3>([^<]*) <span/g)].map((match) => match[1])).toEqual(allTitles);
    // 7 steps: the axes end at step 7 (not at a rounded 8 or 10); the warm-up's at its step 100.
    for (const title of ['Reward', 'Loss', 'Gradient norm', 'Learning rate']) {
      const data = chartDataOf(chartNamed(html, title));
      expect([data.xMin, data.xMax, data.xLabel], title).toEqual([1, 7, 'step']);
      expect(data.lines[0]!.count, title).toBe(7);
    }
    const warmup = chartDataOf(chartNamed(html, 'Warm-up loss'));
    expect([warmup.xMin, warmup.xMax, warmup.xLabel, warmup.lines[0]!.count]).toEqual([10, 100, 'warm-up step', 10]);
    expect(html).toContain('<tr><th>held-out EM, retriever returns nothing</th><td class="number">0.015</td></tr>');
    expect(html).toContain(
      '<th>names permuted in the corpus: answers as the corpus says</th><td class="number">0.924</td>',
    );
    expect(html).toMatch(/<th>held-out EM, greedy \(66 questions\)<\/th><td class="number">0\.\d{3}<\/td>/);
    expect(html).toContain('<th>held-out F1</th>');
    // The title and the heading name the run folder.
    expect(html).toContain(`<title>Run report: ${basename(runDirectory)} (${runDirectory})</title>`);
    expect(html).toContain(`<p class="directory"><code>${runDirectory}</code></p>`);
  });

  it('skips malformed lines and lists them in the page', async () => {
    const runDirectory = freshDirectory();
    writeSampleRun(runDirectory, {
      steps: 3,
      extraMetricsLines: ['{"step": 4, "kl": 0.1', '[1, 2]', '', '{"step": 5, "kl": "NaN", "entropy": 1}'],
      extraRolloutLines: ['{"segments": 5}', 'not json <script>'],
    });
    const result = await writeRunReport({ runDirectory });
    expect(result.steps).toBe(4);
    expect(result.rolloutsTotal).toBe(4);
    expect(result.problems).toHaveLength(4);
    // metrics.jsonl: line 1 is the `run` line, lines 2–4 the steps, then the extra lines from line 5.
    expect(result.problems[0]).toMatch(/^metrics\.jsonl line 5: invalid JSON/);
    expect(result.problems[1]).toMatch(/^metrics\.jsonl line 6: /);
    expect(result.problems).toContain('rollouts.jsonl line 5: "segments" is not an array');
    expect(result.problems[3]).toMatch(/^rollouts\.jsonl line 6: invalid JSON/);
    const html = readFileSync(result.outputFile, 'utf8');
    expect(html).toContain('<b>Input problems</b>');
    expect(html).toContain('rollouts.jsonl line 5: &quot;segments&quot; is not an array');
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('lists the training-health alarms of metrics.jsonl with step and message, and says so when there are none', async () => {
    const runDirectory = freshDirectory();
    const alarm = (step: number, name: string, message: string, value: unknown, threshold: number) =>
      JSON.stringify({ kind: 'alarm', time: '2025-01-01T01:00:00.000Z', step, alarm: name, message, value, threshold });
    writeSampleRun(runDirectory, {
      steps: 12,
      extraMetricsLines: [
        alarm(9, 'grad-norm-spike', "gradient norm NaN: the step's update was skipped", 'NaN', 1.5),
        alarm(6, 'entropy-collapse', 'entropy 0.04 nats per token is below 0.05', 0.04, 0.05),
        '{"kind":"alarm","step":"x","alarm":"reward-collapse"}',
      ],
    });
    const result = await writeRunReport({ runDirectory });
    // alarm lines are neither steps nor chart points
    expect(result).toMatchObject({ steps: 12, alarms: 2 });
    // line 1 is the `run` line, then 12 steps and an eval line at step 10: the extra lines start at line 15
    expect(result.problems).toEqual(['metrics.jsonl line 17: alarm without a numeric "step"']);
    const html = readFileSync(result.outputFile, 'utf8');
    const section = /<section id="alarms">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(
      [...section.matchAll(/<tr data-alarm="([^"]+)"><td class="number">(\d+)<\/td>/g)].map((m) => [m[1], m[2]]),
    ).toEqual([
      ['entropy-collapse', '6'],
      ['grad-norm-spike', '9'],
    ]);
    expect(section).toContain(
      '<td>entropy 0.04 nats per token is below 0.05</td><td class="number">0.04</td><td class="number">0.05</td>',
    );
    expect(section).toContain(
      '<td>gradient norm NaN: the step&#39;s update was skipped</td><td class="number">NaN</td>',
    );
    expect(html).toContain('<b>2</b> health alarms (entropy-collapse, grad-norm-spike), the first at step 6');
    // the alarms come after the held-out results and before the charts
    expect(html.indexOf('id="headline"')).toBeLessThan(html.indexOf('id="alarms"'));
    expect(html.indexOf('id="alarms"')).toBeLessThan(html.indexOf('id="charts"'));
    expect(chartDataOf(chartNamed(html, 'Reward')).lines[0]!.count).toBe(12);

    // a metrics file written before alarms existed reads as before
    const older = freshDirectory();
    writeSampleRun(older, { steps: 5 });
    const olderResult = await writeRunReport({ runDirectory: older });
    expect(olderResult).toMatchObject({ steps: 5, alarms: 0, problems: [] });
    const olderHtml = readFileSync(olderResult.outputFile, 'utf8');
    expect(olderHtml).toContain('No alarm in metrics.jsonl (lines of kind "alarm").');
    expect(olderHtml).not.toContain('class="alarm-count"');
  });

  it('reports a run folder with rollouts only, and one with metrics only', async () => {
    const rolloutsOnly = freshDirectory();
    writeSampleRun(rolloutsOnly, { steps: 2 });
    unlinkSync(join(rolloutsOnly, 'metrics.jsonl'));
    let html = readFileSync((await writeRunReport({ runDirectory: rolloutsOnly })).outputFile, 'utf8');
    // every chart and the alarms section say so
    expect(html.match(/No data: the run folder has no metrics\.jsonl/g)).toHaveLength(allTitles.length + 1);
    expect(html.match(/<article class="rollout"/g)).toHaveLength(4);

    const metricsOnly = freshDirectory();
    writeSampleRun(metricsOnly, { steps: 2 });
    unlinkSync(join(metricsOnly, 'rollouts.jsonl'));
    html = readFileSync((await writeRunReport({ runDirectory: metricsOnly })).outputFile, 'utf8');
    expect(html).toContain('No data: the run folder has no rollouts.jsonl');
    expect(html).not.toContain('<article');
  });

  it('keeps at most maxRollouts, evenly over the file, and says how many it left out', async () => {
    const runDirectory = freshDirectory();
    writeSampleRun(runDirectory, { steps: 10 });
    const result = await writeRunReport({ runDirectory, maxRollouts: 2 });
    expect(result).toMatchObject({ rolloutsShown: 2, rolloutsTotal: 4 });
    const html = readFileSync(result.outputFile, 'utf8');
    expect([...html.matchAll(/<article class="rollout" data-step="(\d+)"/g)].map((match) => match[1])).toEqual([
      '1',
      '10',
    ]);
    expect(html).toContain('(2 of 4 left out, kept evenly over the file)');
  });

  it('shows the featured rollout first: the last one in the file that the predicate accepts', async () => {
    const runDirectory = freshDirectory();
    writeSampleRun(runDirectory, { steps: 10 });
    const steps = (html: string) =>
      [...html.matchAll(/<article class="rollout" data-step="(\d+)"/g)].map((match) => match[1]);
    // step 5 is not among the 2 kept evenly (1 and 10): it is brought in first, and the last of the others dropped
    const featured = await writeRunReport({ runDirectory, maxRollouts: 2, featured: (rollout) => rollout.step === 5 });
    expect(steps(readFileSync(featured.outputFile, 'utf8'))).toEqual(['5', '1']);
    const all = steps(readFileSync((await writeRunReport({ runDirectory })).outputFile, 'utf8'));
    const last = await writeRunReport({ runDirectory, featured: (rollout) => (rollout.step ?? 0) <= 5 });
    const lastSteps = steps(readFileSync(last.outputFile, 'utf8'));
    expect(lastSteps[0]).toBe('5');
    expect([...lastSteps].sort()).toEqual([...all].sort());
    // none accepted: the usual order
    const none = await writeRunReport({ runDirectory, featured: () => false });
    expect(steps(readFileSync(none.outputFile, 'utf8'))).toEqual(all);
  });

  it('refuses a missing folder and a folder without run files', async () => {
    const missing = join(root, 'does-not-exist');
    await expect(writeRunReport({ runDirectory: missing })).rejects.toThrow(InvalidInputError);
    await expect(writeRunReport({ runDirectory: missing })).rejects.toThrow(/does-not-exist: run folder not found/);
    const empty = freshDirectory();
    mkdirSync(empty);
    writeFileSync(join(empty, 'notes.txt'), 'x');
    await expect(writeRunReport({ runDirectory: empty })).rejects.toThrow(
      /no metrics\.jsonl or rollouts\.jsonl in the run folder/,
    );
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
  });
});
