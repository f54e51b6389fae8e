/**
 * The compact prompt for one question: ReSearch's base template's `User:` / `Assistant:` frame without the
 * instructions (`User: {question} Assistant:`), for a tiny model with a short context that learns the tag
 * format from a warm-up instead of from instructions.
 */
export function renderCompactPrompt(question: string): string {
  return `User: ${question} Assistant:`;
}
