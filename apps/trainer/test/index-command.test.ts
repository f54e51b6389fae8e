import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-helpers';

const root = mkdtempSync(join(tmpdir(), 'research-ts-index-'));
const passage = (id: number) => JSON.stringify({ id: String(id), contents: `"Title ${id}"\nPassage number ${id}.` });
const write = (name: string, text: string) => {
  const path = join(root, name);
  writeFileSync(path, text);
  return path;
};

describe('research-ts index with a corpus that is not clean JSONL', () => {
  const broken = write(
    'broken.jsonl',
    [passage(1), '{"id": "2", "contents": ', passage(3), JSON.stringify({ id: '4' })].join('\n') + '\n',
  );

  it('names each skipped line on stderr (file, line, field, reason) and counts them', async () => {
    const run = await runCli(['index', broken, join(root, 'broken-index'), '--no-progress']);
    expect(run.code, run.stderr).toBe(0);
    const skipped = run.stderr.trim().split('\n');
    expect(skipped).toHaveLength(2);
    expect(skipped[0]).toMatch(
      new RegExp(`^research-ts: skipped ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line 2: invalid JSON \\(`),
    );
    expect(skipped[1]).toBe(`research-ts: skipped ${broken}, line 4, field "contents": expected a string, got nothing`);
    expect(run.stdout).toMatch(
      /^indexed 2 passages from .*broken\.jsonl into .*broken-index \(\d+\.\d s, 2 malformed lines skipped \(--strict fails on them\)\)\n$/,
    );
  });

  it('shows the first 20 skipped lines, then how many more', async () => {
    const many = write('many.jsonl', [passage(1), ...Array.from({ length: 25 }, () => '{not json')].join('\n') + '\n');
    const run = await runCli(['index', many, join(root, 'many-index'), '--no-progress']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[19]).toContain(`${many}, line 21: invalid JSON`);
    expect(lines[20]).toBe('research-ts: skipped … and 5 more malformed lines');
  });

  it('--strict fails at the first malformed line, naming file and line, and writes nothing', async () => {
    const output = join(root, 'strict-index');
    const run = await runCli(['index', broken, output, '--strict', '--no-progress']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^research-ts: ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line 2: invalid JSON`),
    );
    expect(existsSync(output)).toBe(false);
  });

  it('refuses a corpus with no passages (a JSON array file), naming the file, with a non-zero exit', async () => {
    const array = write('array.json', JSON.stringify([JSON.parse(passage(1)), JSON.parse(passage(2))], null, 2));
    const output = join(root, 'array-index');
    const run = await runCli(['index', array, output, '--no-progress']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^research-ts: .*array\.json: holds no passages to index: 10 of its 10 lines are malformed \(the first, line 1: invalid JSON \(.*\)\); the file is a JSON array, but a corpus is JSONL: one \{"id", "contents"\} object per line\n$/,
    );
    expect(run.stderr).toContain(array);
    expect(existsSync(output)).toBe(false);
    // Search-R1's BM25 dumps say "text", not "contents": the reason is in the message
    const renamed = write(
      'renamed.jsonl',
      `${JSON.stringify({ id: '1', title: 'Paris', text: 'Paris is in France.' })}\n\n`,
    );
    const wrongField = await runCli(['index', renamed, output, '--no-progress']);
    expect(wrongField.code).toBe(1);
    expect(wrongField.stderr).toBe(
      `research-ts: ${renamed}: holds no passages to index: 1 of its 2 lines are malformed (the first, line 1, field "contents": expected a string, got nothing)\n`,
    );
    const empty = await runCli(['index', write('empty.jsonl', '\n'), output, '--no-progress']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe(
      `research-ts: ${join(root, 'empty.jsonl')}: holds no passages to index: the file has no lines but blank ones\n`,
    );
    expect(existsSync(output)).toBe(false);
  });

  it('an output path that is a file fails at once with one line naming it, not a stack', async () => {
    const file = write('not-a-folder', 'x');
    const run = await runCli(['index', broken, file, '--no-progress']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`research-ts: cannot write the index to ${file}: it is a file, not a folder\n`);
  });

  it('--compact writes the on-disk layout, which serve-retriever and train open like the other, with the same results', async () => {
    const { openSavedRetriever } = await import('@research-ts/retriever-flexsearch');
    const corpus = write('clean.jsonl', Array.from({ length: 30 }, (_, index) => passage(index)).join('\n') + '\n');
    const compact = join(root, 'compact-index');
    const run = await runCli(['index', corpus, compact, '--compact', '--no-progress']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^indexed 30 passages from .*clean\.jsonl into .*compact-index/);
    const plain = join(root, 'plain-index');
    expect((await runCli(['index', corpus, plain, '--no-progress'])).code).toBe(0);
    const [a, b] = await Promise.all([openSavedRetriever(compact), openSavedRetriever(plain)]);
    const queries = ['Passage number 7', 'Title 12', 'number'];
    expect(await a.search(queries, 5)).toEqual(await b.search(queries, 5));
    // a corpus without passages replaces nothing: the index already there stays
    const again = await runCli(['index', write('none.jsonl', '\n'), compact, '--compact', '--no-progress']);
    expect(again.code).toBe(1);
    expect(await (await openSavedRetriever(compact)).search(['Title 3'], 1)).toEqual(await b.search(['Title 3'], 1));
  });
});
