const wordPattern = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

/**
 * The words of a text by the word convention of generated worlds: each run of letters and digits is a
 * word, and each other non-space character (`"`, `.`, `?`, `'`) is a word of its own; spaces and line
 * breaks separate. Case is kept. `'"Molhe Group"\nMolhe Group is a company.'` →
 * `['"', 'Molhe', 'Group', '"', 'Molhe', 'Group', 'is', 'a', 'company', '.']`. One definition for the
 * world's vocabulary (datasets) and the word-level tokenizer built from a world's texts (tokenizer).
 */
export function splitWorldWords(text: string): string[] {
  return text.match(wordPattern) ?? [];
}
