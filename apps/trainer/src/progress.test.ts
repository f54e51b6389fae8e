import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, wantsPlainProgress } from './progress';

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('wantsPlainProgress', () => {
  it.each([
    [{ isTTY: true }, {}, false],
    [{ isTTY: true }, { CI: 'true' }, true],
    [{ isTTY: true }, { CI: '1' }, true],
    [{ isTTY: true }, { CI: 'false' }, false],
    [{ isTTY: true }, { CI: '0' }, false],
    [{ isTTY: false }, {}, true],
    [{}, {}, true],
  ])('stream %j env %j -> plain %s', (stream, environment, plain) =>
    expect(wantsPlainProgress(stream, environment as NodeJS.ProcessEnv)).toBe(plain),
  );
});

describe('createProgress', () => {
  it('plain mode prints the first update, then at most one line per interval, and the final value once', () => {
    const { stream, text } = capture();
    const progress = createProgress({ label: 'train', total: 10, stream, plain: true, plainIntervalMs: 60_000 });
    for (let step = 1; step <= 10; step++) progress.update(step, `reward ${(step / 10).toFixed(1)}`);
    progress.stop();
    progress.stop();
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^train 1\/10 \d+\.\ds reward 0\.1$/);
    expect(lines[1]).toMatch(/^train 10\/10 \d+\.\ds reward 1\.0$/);
  });

  it('a bar on a terminal shows the label and the count', () => {
    const { stream, text } = capture();
    const progress = createProgress({
      label: 'index',
      total: 4,
      stream: Object.assign(stream, { isTTY: true }),
      plain: false,
    });
    progress.update(4, 'done');
    progress.stop();
    expect(text()).toContain('index [');
    expect(text()).toContain('4/4');
  });

  it('silent prints nothing', () => {
    const { stream, text } = capture();
    const progress = createProgress({ label: 'x', total: 2, stream, silent: true });
    progress.update(1);
    progress.stop();
    expect(text()).toBe('');
  });
});
