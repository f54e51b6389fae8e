import { describe, expect, it } from 'vitest';
import { thinkingModes } from './thinking-modes';

describe('thinkingModes', () => {
  it('maps each mode to the chat template variable Qwen3 reads', () => {
    expect(thinkingModes).toEqual({ native: { enable_thinking: true }, closed: { enable_thinking: false } });
  });
});
