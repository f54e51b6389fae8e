import { describe, expect, it } from 'vitest';
import { renderCompactPrompt } from './compact-prompt';
import { renderReSearchBasePrompt } from './research-prompts';

describe('renderCompactPrompt', () => {
  it('frames the question as the base template does, without the instructions', () => {
    expect(renderCompactPrompt('Which city is Vorshuk based in?')).toBe(
      'User: Which city is Vorshuk based in? Assistant:',
    );
    expect(renderReSearchBasePrompt('q')).toContain('User: q. Assistant:');
  });
});
