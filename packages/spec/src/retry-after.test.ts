import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  const table: Array<[Record<string, string>, number | undefined]> = [
    [{}, undefined],
    [{ 'retry-after': '' }, undefined],
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
    [{ 'retry-after': '1e3' }, undefined],
    [{ 'retry-after-ms': 'x', 'retry-after': '1' }, 1000],
  ];
  for (const [headers, expected] of table) {
    it(`${JSON.stringify(headers)} → ${expected}`, () => {
      expect(parseRetryAfter(new Headers(headers), 60_000, now)).toBe(expected);
    });
  }

  it('has no cap by default and reads any object with a `get`', () => {
    expect(parseRetryAfter({ get: (name) => (name === 'retry-after' ? '600' : null) })).toBe(600_000);
  });
});
