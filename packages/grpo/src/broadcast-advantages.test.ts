import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { broadcastAdvantages } from './broadcast-advantages';

describe('broadcastAdvantages', () => {
  it('spreads each sequence advantage over its masked response tokens', () => {
    const mask = Uint8Array.from([1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect([...broadcastAdvantages([0.5, -2, 1.25], mask, 4)]).toEqual([
      0.5, 0.5, 0, 0.5, 0, 0, 0, 0, 1.25, 1.25, 1.25, 1.25,
    ]);
  });

  it('multiplies by a fractional mask and keeps masked tokens at 0 even for NaN', () => {
    const mask = Float32Array.from([0.5, 0, 1, 1]);
    const out = broadcastAdvantages([2, Number.NaN], mask, 2);
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(0);
    expect(Number.isNaN(out[2])).toBe(true);
  });

  it('checks shapes', () => {
    expect(() => broadcastAdvantages([1, 2], new Uint8Array(6), 3)).not.toThrow();
    expect(() => broadcastAdvantages([1], new Uint8Array(6), 3)).toThrow(InvalidInputError);
    expect(() => broadcastAdvantages([1], new Uint8Array(6), 3)).toThrow(
      'field "advantages": expected 2 values ([batch]), got 1',
    );
    expect(() => broadcastAdvantages([1], new Uint8Array(5), 3)).toThrow(
      'length 5 is not a multiple of responseLength 3',
    );
    expect(() => broadcastAdvantages([1], new Uint8Array(3), 0)).toThrow(
      'config field "responseLength": must be a positive integer, got 0',
    );
  });
});
