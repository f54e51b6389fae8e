import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const directory = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

describe('agentic-rag example (offline, --fake)', () => {
  it('runs the rollout loop against the local fake server and the BM25 retriever, streaming events', async () => {
    const environment: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: '1' };
    delete environment.OPENAI_BASE_URL;
    const { stdout } = await run(
      process.execPath,
      ['--conditions=@research-ts/source', '--import', 'tsx', 'src/main.ts', '--fake'],
      {
        cwd: directory,
        timeout: 90_000,
        env: environment,
      },
    );
    expect(stdout).toContain('corpus: 12 passages (built-in), retriever: flexsearch-bm25');
    expect(stdout).toMatch(/policy: a local fake vLLM at http:\/\/127\.0\.0\.1:\d+\/v1/);
    // Three model turns, streamed, with two real searches between them.
    expect(stdout.match(/--- turn \d \(model\)/g)).toEqual([
      '--- turn 0 (model)',
      '--- turn 1 (model)',
      '--- turn 2 (model)',
    ]);
    expect(stdout).toContain('--- search 0: "PlayStation console company"');
    expect(stdout).toContain('--- search 1: "Sony founded by"');
    // The retriever finds the Sony passage for the second query.
    expect(stdout).toMatch(/--- search 1: "Sony founded by"\n\s+3 {2}Sony\n/);
    expect(stdout.match(/inserted <result> block: \d+ tokens, loss mask 0/g)).toHaveLength(2);
    expect(stdout).toMatch(/finish: eos, searches: 2, response tokens: (\d+) \((\d+) generated, (\d+) inserted\)/);
    const [, total, generated, inserted] = /response tokens: (\d+) \((\d+) generated, (\d+) inserted\)/
      .exec(stdout)!
      .map(Number);
    expect(generated! + inserted!).toBe(total);
    expect(inserted).toBeGreaterThan(0);
    expect(stdout).toContain('reward: 1 (ok), prediction: "Masaru Ibuka and Akio Morita"');
  });

  it('refuses a custom question in fake mode with a message that says what to set', async () => {
    const environment: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: '1' };
    delete environment.OPENAI_BASE_URL;
    await expect(
      run(
        process.execPath,
        [
          '--conditions=@research-ts/source',
          '--import',
          'tsx',
          'src/main.ts',
          '--fake',
          '--question',
          'Who wrote Hamlet?',
        ],
        {
          cwd: directory,
          timeout: 90_000,
          env: environment,
        },
      ),
    ).rejects.toThrow(
      /the fake server only replays the built-in question; set OPENAI_BASE_URL, MODEL and TOKENIZER_DIR/,
    );
  });
});
