import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '@research-ts/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSampleRun } from './sample-run';
import { writeRunReport } from './write-run-report';

const root = mkdtempSync(join(tmpdir(), 'research-ts-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDirectory = () => join(root, `run-${(counter += 1)}`);

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
    for (const title of ['Reward', 'KL to the reference', 'Entropy', 'Response length', 'Searches per rollout', 'Clip fraction', 'Throughput']) {
      const figure = chartNamed(html, title);
      expect(figure, title).toContain('<svg');
      expect(figure, title).toMatch(/data-points="40"/);
    }
    // Reward: the mean, both components, and the evaluations (steps 10, 20, 30, 40); response length: mean and max.
    expect(chartNamed(html, 'Reward').match(/class="series/g)).toHaveLength(4);
    expect(chartNamed(html, 'Reward')).toMatch(/data-series="eval reward" data-points="4"/);
    expect(chartNamed(html, 'Reward')).toContain('>f1 <span class="last">');
    expect(chartNamed(html, 'Response length').match(/class="series/g)).toHaveLength(2);
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
    expect(chartNamed(html, 'Throughput')).toContain('No data: no step in metrics.jsonl has &quot;throughput/tokensPerSecond&quot;');
    expect(chartNamed(html, 'Reward').match(/class="series/g)).toHaveLength(1);
    expect(chartNamed(html, 'Entropy')).toContain('data-points="6"');
    // The `run` line (step 0) is not a training step.
    expect(html).toContain('<b>6</b> steps (1–6)');
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

  it('reports a run folder with rollouts only, and one with metrics only', async () => {
    const rolloutsOnly = freshDirectory();
    writeSampleRun(rolloutsOnly, { steps: 2 });
    unlinkSync(join(rolloutsOnly, 'metrics.jsonl'));
    let html = readFileSync((await writeRunReport({ runDirectory: rolloutsOnly })).outputFile, 'utf8');
    expect(html.match(/No data: the run folder has no metrics\.jsonl/g)).toHaveLength(7);
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
    expect([...html.matchAll(/<article class="rollout" data-step="(\d+)"/g)].map((match) => match[1])).toEqual(['1', '10']);
    expect(html).toContain('(2 of 4 left out, kept evenly over the file)');
  });

  it('refuses a missing folder and a folder without run files', async () => {
    const missing = join(root, 'does-not-exist');
    await expect(writeRunReport({ runDirectory: missing })).rejects.toThrow(InvalidInputError);
    await expect(writeRunReport({ runDirectory: missing })).rejects.toThrow(/does-not-exist: run folder not found/);
    const empty = freshDirectory();
    mkdirSync(empty);
    writeFileSync(join(empty, 'notes.txt'), 'x');
    await expect(writeRunReport({ runDirectory: empty })).rejects.toThrow(/no metrics\.jsonl or rollouts\.jsonl in the run folder/);
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
  });
});
