/** Uint32 little-endian values of `bytes` (a copy, so that the array is aligned). */
export function uint32Values(bytes: Uint8Array): Uint32Array {
  const values = new Uint32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}
