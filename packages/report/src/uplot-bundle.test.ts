import { describe, expect, it } from 'vitest';
import { uplotBundle } from './uplot-bundle';

describe('uplotBundle', () => {
  it('reads the browser build that defines the global uPlot, and its stylesheet', () => {
    const { script, style } = uplotBundle();
    expect(script).toMatch(
      /^\/\*! uPlot v\d+\.\d+\.\d+, MIT License, Copyright \(c\) \d+ Leon Sorokin \*\/\nvar uPlot\s*=/,
    );
    expect(script).not.toMatch(/https?:\/\//);
    expect(script.length).toBeGreaterThan(20_000);
    expect(style).toContain('.uplot');
    expect(script).not.toMatch(/<\/script/i);
    expect(style).not.toMatch(/<\/style/i);
  });
});
