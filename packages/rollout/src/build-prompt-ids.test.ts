import { renderCompactPrompt } from '@research-ts/tags';
import { MockTokenizer } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { buildPromptIds } from './build-prompt-ids';
import { buildReSearchPrompt } from './build-research-prompt';

describe('buildPromptIds', () => {
  const tokenizer = new MockTokenizer();

  it('encodes the compact prompt without special tokens', () => {
    expect(buildPromptIds(tokenizer, 'Who?', 'compact')).toEqual(
      tokenizer.encode(renderCompactPrompt('Who?'), { addSpecialTokens: false }),
    );
  });

  it.each(['base', 'instruct'] as const)('builds the %s prompt as ReSearch does', (template) => {
    expect(buildPromptIds(tokenizer, 'Who?', template)).toEqual(buildReSearchPrompt(tokenizer, 'Who?', template));
  });
});
