/**
 * A short label for a number: up to 3 significant digits, exponent form below 0.001 and from 100 000 on,
 * integers as integers (`12`, `0.0421`, `1.5e-6`, `2.3e+5`, `-0.5`).
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e5) return value.toExponential(1).replace('.0e', 'e');
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(3)));
}
