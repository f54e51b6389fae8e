/** Non-overlapping occurrences of `needle` in `text`, as Python's `str.count` counts them. `needle` must not be empty. */
export function countOccurrences(text: string, needle: string): number {
  let count = 0;
  let position = text.indexOf(needle);
  while (position >= 0) {
    count += 1;
    position = text.indexOf(needle, position + needle.length);
  }
  return count;
}
