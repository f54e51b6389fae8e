import { describe, expect, it } from 'vitest';
import { firstStop, maxTurns, tokenBudget } from './stop-predicates';

describe('stop predicates', () => {
  it.each([
    [0, undefined],
    [99, undefined],
    [100, 'budget'],
    [101, 'budget'],
  ] as const)('tokenBudget(100) at %i response tokens gives %s', (responseLength, reason) => {
    expect(tokenBudget(100)({ responseLength, turns: 0 })).toBe(reason);
  });

  it.each([
    [0, undefined],
    [2, undefined],
    [3, 'max-turns'],
    [4, 'max-turns'],
  ] as const)('maxTurns(3) after %i turns gives %s', (turns, reason) => {
    expect(maxTurns(3)({ responseLength: 0, turns })).toBe(reason);
  });

  it('firstStop returns the first predicate that fires', () => {
    const predicates = [tokenBudget(10), maxTurns(2)];
    expect(firstStop(predicates, { responseLength: 10, turns: 5 })).toBe('budget');
    expect(firstStop(predicates, { responseLength: 9, turns: 5 })).toBe('max-turns');
    expect(firstStop(predicates, { responseLength: 9, turns: 1 })).toBeUndefined();
    expect(firstStop([], { responseLength: 1e9, turns: 1e9 })).toBeUndefined();
  });

  it('rejects limits that are not positive integers', () => {
    expect(() => tokenBudget(0)).toThrow('config field "responseBudget": must be a positive integer, got 0');
    expect(() => maxTurns(2.5)).toThrow('config field "maxTurns": must be a positive integer, got 2.5');
    expect(() => maxTurns(Number.NaN)).toThrow('got NaN');
  });
});
