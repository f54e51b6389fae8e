/**
 * UTF-8 helpers for the byte pipeline: where a chunk may be cut without splitting a character, and the
 * offset of the first byte that breaks UTF-8 (for error messages).
 */

/**
 * The length of the longest prefix of `bytes` that does not end inside a multi-byte character.
 * Bytes after it belong to a character that continues in the next chunk.
 */
export function completeUtf8Length(bytes: Uint8Array): number {
  const length = bytes.length;
  let index = length - 1;
  let continuation = 0;
  while (index >= 0 && continuation < 3 && (bytes[index]! & 0xc0) === 0x80) {
    index -= 1;
    continuation += 1;
  }
  if (index < 0) return length;
  const lead = bytes[index]!;
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return length - index < needed ? index : length;
}

/** The offset of the first byte of `bytes` that is not valid UTF-8 (RFC 3629), or -1 when all are valid. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const length = bytes.length;
  let index = 0;
  while (index < length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    let size: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) size = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      size = 3;
      if (lead === 0xe0) low = 0xa0; // no overlong forms
      if (lead === 0xed) high = 0x9f; // no UTF-16 surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      size = 4;
      if (lead === 0xf0) low = 0x90; // no overlong forms
      if (lead === 0xf4) high = 0x8f; // nothing above U+10FFFF
    } else return index;
    if (index + size > length) return index;
    const second = bytes[index + 1]!;
    if (second < low || second > high) return index;
    for (let next = index + 2; next < index + size; next += 1) {
      if ((bytes[next]! & 0xc0) !== 0x80) return index;
    }
    index += size;
  }
  return -1;
}
