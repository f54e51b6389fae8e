/**
 * The byte-level alphabet of GPT-2-style BPE: each of the 256 byte values is shown as one printable
 * character, so that a token's string is a sequence of these characters and any byte sequence has a
 * spelling. Bytes that are printable Latin-1 (`!`..`~`, `¡`..`¬`, `®`..`ÿ`) stand for themselves; the
 * other 68 bytes (controls, space, `\xad`, …) map in increasing order to U+0100, U+0101, …, so the
 * space byte 0x20 is `Ġ` (U+0120) and the newline 0x0A is `Ċ` (U+010A).
 */
function buildByteToCharacter(): readonly string[] {
  const printable = (byte: number) =>
    (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  const characters: string[] = new Array<string>(256);
  let next = 0;
  for (let byte = 0; byte < 256; byte++) {
    if (printable(byte)) characters[byte] = String.fromCharCode(byte);
    else characters[byte] = String.fromCharCode(256 + next++);
  }
  return characters;
}

/** `byteToCharacter[b]` is the one-character spelling of byte `b`. */
export const byteToCharacter: readonly string[] = buildByteToCharacter();

const characterToByteMap = new Map<string, number>(byteToCharacter.map((character, byte) => [character, byte]));

/** The byte a byte-level character stands for, or undefined for a character outside the alphabet. */
export function characterToByte(character: string): number | undefined {
  return characterToByteMap.get(character);
}

const textEncoder = new TextEncoder();

/** Spells the UTF-8 bytes of `text` in the byte-level alphabet (`' hé'` → `'ĠhÃ©'`). */
export function toByteLevel(text: string): string {
  let spelled = '';
  for (const byte of textEncoder.encode(text)) spelled += byteToCharacter[byte]!;
  return spelled;
}
