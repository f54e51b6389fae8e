import type { TokenBatch } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { toInt64TokenBatch } from './token-batch';

/** Two rows of three: the second right-padded after two tokens. */
const batch = (overrides: Partial<TokenBatch> = {}): TokenBatch => ({
  inputIds: Int32Array.from([1, 2, 3, 4, 5, 0]),
  attentionMask: Uint8Array.from([1, 1, 1, 1, 1, 0]),
  batch: 2,
  length: 3,
  ...overrides,
});

describe('toInt64TokenBatch', () => {
  it('converts a right-padded spec TokenBatch to int64, keeping its shape', () => {
    expect(toInt64TokenBatch(batch(), 8)).toEqual({
      inputIds: BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 0n]),
      attentionMask: BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 0n]),
      batch: 2,
      length: 3,
    });
  });

  it.each([
    { field: 'batch', input: batch({ batch: 0 }), message: /positive integer/ },
    { field: 'length', input: batch({ length: 1, batch: 6 }), message: /integer >= 2/ },
    {
      field: 'inputIds',
      input: batch({ inputIds: Int32Array.from([1, 2, 3]) }),
      message: /batch 2 × length 3 needs 6/,
    },
    {
      field: 'inputIds',
      input: batch({ inputIds: Int32Array.from([1, 2, 3, 4, 8, 0]) }),
      message: /id 8 at 4 is outside the vocabulary/,
    },
    { field: 'attentionMask', input: batch({ attentionMask: new Uint8Array(5) }), message: /holds 5 values/ },
    {
      field: 'attentionMask',
      input: batch({ attentionMask: Uint8Array.from([1, 1, 2, 1, 1, 0]) }),
      message: /holds 2 at 2/,
    },
    {
      field: 'attentionMask',
      input: batch({ attentionMask: Uint8Array.from([1, 0, 1, 1, 1, 0]) }),
      message: /token after padding \(at 2\)/,
    },
    {
      field: 'attentionMask',
      input: batch({ attentionMask: Uint8Array.from([1, 1, 1, 0, 0, 0]) }),
      message: /row 1 has no token/,
    },
  ])('rejects a bad $field ($message)', ({ field, input, message }) => {
    expect(() => toInt64TokenBatch(input, 8)).toThrow(
      expect.objectContaining({ name: 'InvalidInputError', field, message: expect.stringMatching(message) }),
    );
  });
});
