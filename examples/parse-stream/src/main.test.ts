import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const directory = resolve(import.meta.dirname, '..');

describe('parse-stream example', () => {
  it('streams the recorded completion through the parser and scores it', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@research-ts/source', '--import', 'tsx', 'src/main.ts'],
      {
        cwd: directory,
        timeout: 60_000,
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      },
    );
    // Every tag of the rollout arrives as start and end events, in order.
    expect(stdout).toMatch(
      /\[think-start\][\s\S]*\[search-start\]  PlayStation console manufacturer  \[search-end\][\s\S]*\[result-start\][\s\S]*\[answer-start\]/,
    );
    expect(stdout).toContain("'search-start': 2");
    expect(stdout).toContain("'result-end': 2");
    expect(stdout.match(/events reassemble the text exactly: true/g)).toHaveLength(2);
    expect(stdout).toContain(
      '== the recorded completion\nformat: ok\nanswer: "Masaru Ibuka and Akio Morita"\nreward: 1 (reason ok, components {"f1":1,"format":1})',
    );
    // The broken one: the parser reports the nesting, the format check fails, and the reward is 0 whatever the answer.
    expect(stdout).toContain('! tag-error nested-opener <search> at offset 123');
    expect(stdout).toContain('! tag-error unclosed-tag <think> at offset 0');
    expect(stdout).toContain('format: think-unpaired (<think> </think> not paired)');
    expect(stdout).toContain('reward: 0 (reason think-unpaired, components {"f1":0,"format":0})');
  });
});
