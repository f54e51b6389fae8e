import { RESEARCH_BASE_TEMPLATE, RESEARCH_INSTRUCT_SYSTEM_PROMPT } from '@research-ts/tags';
import { MockTokenizer } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { buildReSearchPrompt } from './build-research-prompt';

describe('buildReSearchPrompt', () => {
  const tokenizer = new MockTokenizer();

  it("renders the base template with the question and '. Assistant:' after it", () => {
    const text = tokenizer.decode(buildReSearchPrompt(tokenizer, 'Who wrote Hamlet?', 'base'));
    expect(text).toBe(RESEARCH_BASE_TEMPLATE.replace('{prompt}', 'Who wrote Hamlet?'));
    expect(text.endsWith('User: Who wrote Hamlet?. Assistant:')).toBe(true);
  });

  it('keeps $ patterns in the question literally', () => {
    expect(tokenizer.decode(buildReSearchPrompt(tokenizer, "cost $& $' $1?", 'base'))).toContain(
      "User: cost $& $' $1?. Assistant:",
    );
  });

  it('renders the instruct chat with the system prompt and the generation prompt', () => {
    const ids = buildReSearchPrompt(tokenizer, 'Who?', 'instruct');
    expect(tokenizer.decode(ids)).toBe(
      `<|im_start|>system\n${RESEARCH_INSTRUCT_SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\nWho?<|im_end|>\n<|im_start|>assistant\n`,
    );
    expect(ids.slice(0, 1)).toEqual([1]);
    expect(ids.filter((id) => id === 2)).toHaveLength(2);
  });
});
