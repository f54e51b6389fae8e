import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, sleep } from './retry-delay';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  const table: Array<[Record<string, string>, number | undefined]> = [
    [{}, undefined],
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': ' 0 ' }, 0],
    [{ 'retry-after': '1.5' }, 1500],
    [{ 'retry-after': '120' }, 60_000],
    [{ 'retry-after-ms': '250' }, 250],
    [{ 'retry-after-ms': '250', 'retry-after': '9' }, 250],
    [{ 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }, 5000],
    [{ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, 0],
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after': '-3' }, undefined],
    [{ 'retry-after-ms': 'x', 'retry-after': '1' }, 1000],
  ];
  for (const [headers, expected] of table) {
    it(`${JSON.stringify(headers)} → ${expected}`, () => {
      expect(parseRetryAfter(new Headers(headers), 60_000, now)).toBe(expected);
    });
  }
});

describe('backoffDelay', () => {
  const settings = { initialBackoffMs: 100, maxBackoffMs: 1000 };
  it('doubles per retry up to the cap, with jitter between half and all of it', () => {
    expect([0, 1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, settings, () => 0.999999))).toEqual(
      [100, 200, 400, 800, 1000, 1000].map((ceiling) => ceiling * (0.5 + 0.5 * 0.999999)),
    );
    expect([0, 1, 2, 3, 4].map((retry) => backoffDelay(retry, settings, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect(backoffDelay(2, settings, () => 0.5)).toBe(300);
  });
});

describe('sleep', () => {
  it('resolves, and rejects with the reason when aborted before or during the wait', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    await expect(sleep(1, AbortSignal.abort(new Error('before')))).rejects.toThrow('before');
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('during'));
    await expect(waiting).rejects.toThrow('during');
  });
});
