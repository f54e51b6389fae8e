/**
 * Python's `str.strip()` with no arguments, for strings that must match a Python reference byte for byte.
 *
 * Python strips every character for which `str.isspace()` is true. That set differs from what
 * JavaScript's `String.prototype.trim` removes: Python also strips U+001C–U+001F and U+0085 (NEL),
 * and does not strip U+FEFF (the byte-order mark), which `trim` removes.
 * (Checked against CPython 3: `[c for c in range(0x110000) if chr(c).isspace()]`.)
 */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPythonWhitespace(text.charCodeAt(start))) start += 1;
  while (end > start && isPythonWhitespace(text.charCodeAt(end - 1))) end -= 1;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Whether a UTF-16 code unit is whitespace under Python's `str.isspace()` (none of them are surrogates). */
export function isPythonWhitespace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code >= 0x1c && code <= 0x1f);
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}
