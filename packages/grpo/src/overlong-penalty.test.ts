import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@research-ts/testing';
import { readFixture } from '../test/read-fixture';
import { overlongPenalties, overlongPenalty, type OverlongPenaltyOptions } from './overlong-penalty';

interface PenaltyTable {
  options: Required<OverlongPenaltyOptions>;
  rows: { responseLength: number; penalty: number; verl: number | null }[];
}
const { overlongPenalty: tables } = await readFixture<{ overlongPenalty: PenaltyTable[] }>('dapo.json');

describe('overlongPenalty worked tables (DAPO eq. 13)', () => {
  it.each(tables)('$options', ({ options, rows }) => {
    for (const { responseLength, penalty, verl } of rows) {
      const label = `L = ${responseLength}`;
      expectClose(overlongPenalty(responseLength, options), penalty, { atol: 1e-15, label });
      // verl's formula agrees wherever it is defined (L ≤ L_max)
      if (verl !== null) expectClose(overlongPenalty(responseLength, options), verl, { atol: 1e-15, label });
    }
    expectClose(
      overlongPenalties(
        rows.map((row) => row.responseLength),
        options,
      ),
      rows.map((row) => row.penalty),
      { atol: 1e-15 },
    );
  });

  it('by hand at the boundaries: exactly at L_max − L_cache, inside, at L_max, beyond', () => {
    const options = { maxResponseLength: 20, bufferLength: 4 };
    expect(overlongPenalty(16, options)).toBe(0); // +0, not −0
    expect(overlongPenalty(17, options)).toBe(-0.25);
    expect(overlongPenalty(20, options)).toBe(-1);
    expect(overlongPenalty(1000, options)).toBe(-1);
    expect(overlongPenalty(18, { ...options, penaltyFactor: 0.5 })).toBe(-0.25);
    expect(overlongPenalty(19, { ...options, penaltyFactor: 0 })).toBe(0);
  });

  it('rejects bad options with the field path, and a bad length', () => {
    const bad: [OverlongPenaltyOptions, string][] = [
      [{ maxResponseLength: 0, bufferLength: 4 }, 'overlong.maxResponseLength'],
      [{ maxResponseLength: 20, bufferLength: 0 }, 'overlong.bufferLength'],
      [
        { maxResponseLength: 20, bufferLength: 21 },
        'config field "overlong.bufferLength": must be in (0, maxResponseLength = 20], got 21',
      ],
      [{ maxResponseLength: 20, bufferLength: 4, penaltyFactor: -1 }, 'overlong.penaltyFactor'],
    ];
    for (const [options, message] of bad) {
      expect(() => overlongPenalty(10, options)).toThrow(InvalidConfigError);
      expect(() => overlongPenalties([10], options)).toThrow(message);
    }
    expect(() => overlongPenalty(Number.NaN, { maxResponseLength: 20, bufferLength: 4 })).toThrow(InvalidInputError);
    expect(() => overlongPenalty(-1, { maxResponseLength: 20, bufferLength: 4 })).toThrow('field "responseLength"');
  });
});
