/**
 * Python's `str(list_of_strings)`, e.g. `['James Madison']`: ReSearch fills the judge prompt's
 * `gt_answer` with it (research-paper.md §1.8). `'[' + ', '.join(repr(s) for s in strings) + ']'`.
 */
export function pythonListRepr(strings: readonly string[]): string {
  return `[${strings.map(pythonStringRepr).join(', ')}]`;
}

/**
 * Python's `repr(str)`:
 * - quotes: `'…'`, unless the string contains `'` and no `"`, then `"…"`;
 * - `\\`, the chosen quote, `\t`, `\n`, `\r` are backslash-escaped;
 * - other non-printable characters (categories Cc, Cf, Cs, Co, Cn, Zl, Zp, and Zs other than the
 *   space) become `\xhh` (below U+0100), `\uhhhh` (below U+10000) or `\Uhhhhhhhh`, in lowercase hex;
 * - everything else (letters, marks, symbols, emoji) is kept as is.
 * Lone surrogates are escaped as `\udxxx`, as Python does. "Unassigned" (Cn) follows Node's Unicode
 * database, so a code point assigned after Python's Unicode version prints as is here.
 */
export function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const character of text) {
    if (character === quote || character === '\\') body += `\\${character}`;
    else if (character === '\t') body += '\\t';
    else if (character === '\n') body += '\\n';
    else if (character === '\r') body += '\\r';
    else if (character !== ' ' && nonPrintable.test(character)) body += hexEscape(character.codePointAt(0)!);
    else body += character;
  }
  return quote + body + quote;
}

const nonPrintable = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function hexEscape(codePoint: number): string {
  const hex = codePoint.toString(16);
  if (codePoint < 0x100) return `\\x${hex.padStart(2, '0')}`;
  if (codePoint < 0x10000) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}
