/** Axis ticks: `values` from `start` to `end` (inclusive) every `spacing`. */
export interface Ticks {
  start: number;
  end: number;
  spacing: number;
  values: number[];
}

/**
 * Round tick values covering `[minimum, maximum]` with about `count` intervals: the spacing is 1, 2, 2.5
 * or 5 times a power of ten, and the ends are the multiples of the spacing at or beyond the data. An
 * empty range (`minimum === maximum`) is widened to one unit around the value (±1, or ±10% of it).
 */
export function niceTicks(minimum: number, maximum: number, count = 5): Ticks {
  if (!Number.isFinite(minimum) || !Number.isFinite(maximum) || minimum > maximum) {
    throw new RangeError(`niceTicks needs finite minimum <= maximum, got ${minimum}, ${maximum}`);
  }
  let low = minimum;
  let high = maximum;
  if (low === high) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  const rough = (high - low) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const spacing = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10) * power;
  const start = Math.floor(low / spacing + 1e-9) * spacing;
  const end = Math.ceil(high / spacing - 1e-9) * spacing;
  const values: number[] = [];
  for (let index = 0; start + index * spacing <= end + spacing * 1e-9; index += 1) values.push(roundTo(start + index * spacing, spacing));
  return { start: values[0]!, end: values.at(-1)!, spacing, values };
}

/** Removes float noise (0.30000000000000004 → 0.3) relative to the tick spacing. */
function roundTo(value: number, spacing: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(spacing)) + 2);
  return Number(value.toFixed(Math.min(digits, 20)));
}

/**
 * A short label for a number: up to 3 significant digits, exponent form below 0.001 and from 100 000 on,
 * integers as integers (`12`, `0.0421`, `1.5e-6`, `2.3e+5`, `-0.5`).
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e5) return trimExponent(value.toExponential(1));
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(3)));
}

function trimExponent(text: string): string {
  return text.replace('.0e', 'e');
}
