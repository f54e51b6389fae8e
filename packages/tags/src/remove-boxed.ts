/**
 * The content of a `\boxed{…}` or `\boxed …` string, as the `remove_boxed` helper that ReSearch's
 * reward uses. Where that helper fails an assertion (so ReSearch scores the response 0) this returns
 * `undefined`:
 * - if `s` contains `"\boxed "` (with a space) anywhere, `s` must start with it, and the rest of `s`
 *   is returned unchanged (not trimmed);
 * - otherwise `s` must start with `\boxed{` and end with `}`, and what lies between is returned.
 *   So an `\fbox{…}` from {@link lastBoxedOnlyString} fails here, as it does in ReSearch.
 */
export function removeBoxed(s: string): string | undefined {
  const spaceForm = '\\boxed ';
  if (s.includes(spaceForm)) return s.startsWith(spaceForm) ? s.slice(spaceForm.length) : undefined;
  const braceForm = '\\boxed{';
  // Python's `s[-1] == "}"` with `s[:7] == "\\boxed{"`: a 7-character `\boxed{` ends in `{`, not `}`.
  if (!s.startsWith(braceForm) || !s.endsWith('}') || s.length < braceForm.length + 1) return undefined;
  return s.slice(braceForm.length, -1);
}
