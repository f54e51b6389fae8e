import { describe, expect, it } from 'vitest';
import { formatNumber } from './format-number';

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [12, '12'],
    [0.4213, '0.421'],
    [-0.5, '-0.5'],
    [0.0421, '0.0421'],
    [1.5e-6, '1.5e-6'],
    [0.00021, '2.1e-4'],
    [1e-6, '1e-6'],
    [234567, '2.3e+5'],
    [512.34, '512'],
    [99999, '99999'],
    [Number.NaN, 'NaN'],
  ])('%d → %s', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });
});
