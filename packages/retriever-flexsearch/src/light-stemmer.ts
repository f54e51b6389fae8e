/**
 * A light English plural stemmer (the "S" stemmer of Harman, 1991), applied to terms of four or more
 * characters:
 *
 * | ending | not after | becomes | example |
 * |---|---|---|---|
 * | `ies` | `e`, `a` | `y` | `cities` → `city` |
 * | `es` | `a`, `e`, `o` | `e` | `horses` → `horse` |
 * | `s` | `u`, `s` | (dropped) | `stations` → `station` |
 *
 * Only the first rule that matches applies (`potatoes` skips the `es` rule and becomes `potatoe`).
 * Words that end otherwise are returned unchanged.
 */
export function lightStem(term: string): string {
  const length = term.length;
  if (length < 4 || term.charCodeAt(length - 1) !== 115 /* s */) return term;
  const beforeS = term.charCodeAt(length - 2);
  if (beforeS === 101 /* e */) {
    const beforeEs = term.charCodeAt(length - 3);
    if (beforeEs === 105 /* i */) {
      const beforeIes = term.charCodeAt(length - 4);
      if (beforeIes !== 101 && beforeIes !== 97) return `${term.slice(0, -3)}y`;
      // "eies" / "aies": fall through to the "es" and "s" rules.
    }
    if (beforeEs !== 97 && beforeEs !== 101 && beforeEs !== 111) return term.slice(0, -1);
  }
  if (beforeS === 117 /* u */ || beforeS === 115 /* s */) return term;
  return term.slice(0, -1);
}
