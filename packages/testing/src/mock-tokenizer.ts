import {
  InvalidConfigError,
  InvalidInputError,
  type ApplyChatTemplateOptions,
  type ChatMessage,
  type Tokenizer,
} from '@research-ts/spec';

/** The special tokens of {@link MockTokenizer}, with their fixed ids (Qwen2.5's names). */
export const MOCK_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

export interface MockTokenizerOptions {
  /**
   * Multi-character tokens (ids 3, 4, … in this order). `encode` takes the longest token that matches
   * at each position, so with merges `encode(decode(ids))` can differ from `ids` (e.g. the characters
   * `<`,`s`,… of `<search>` decode to text that encodes back to the single merge token) while
   * `decode(encode(text)) === text` still holds.
   */
  merges?: readonly string[];
}

/**
 * A tiny deterministic character-level tokenizer implementing the spec `Tokenizer`.
 *
 * Ids: `0 <|endoftext|>` (pad, also an EOS id), `1 <|im_start|>`, `2 <|im_end|>` (the primary EOS),
 * then one id per merge, then one id per Unicode code point: `id = 3 + merges.length + codePoint`.
 * Every string round-trips (`decode(encode(s)) === s`, lone surrogates included). Special-token text
 * inside the input is encoded as the special id (as Hugging Face tokenizers do); `addSpecialTokens`
 * adds nothing (Qwen2.5 adds no BOS). `applyChatTemplate` renders ChatML.
 */
export class MockTokenizer implements Tokenizer {
  readonly specificationVersion = 'v1' as const;
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[] = [2, 0];
  readonly eosToken = '<|im_end|>';
  readonly padTokenId = 0;
  /** The first code-point id: `3 + merges.length`. */
  readonly codePointBase: number;
  private readonly tokens: readonly string[];
  private readonly byText: ReadonlyMap<string, number>;
  /** Special tokens and merges, longest first, for longest-match encoding. */
  private readonly multiCharacter: readonly string[];

  constructor(options: MockTokenizerOptions = {}) {
    const merges = options.merges ?? [];
    this.tokens = [...MOCK_SPECIAL_TOKENS, ...merges];
    const byText = new Map<string, number>();
    this.tokens.forEach((token, id) => {
      if ([...token].length < 2 && id >= MOCK_SPECIAL_TOKENS.length) {
        throw new InvalidConfigError(
          `merges.${id - MOCK_SPECIAL_TOKENS.length}`,
          `a merge must have at least 2 characters, got ${JSON.stringify(token)}`,
        );
      }
      if (byText.has(token)) {
        throw new InvalidConfigError(
          `merges.${id - MOCK_SPECIAL_TOKENS.length}`,
          `duplicate token ${JSON.stringify(token)}`,
        );
      }
      byText.set(token, id);
    });
    this.byText = byText;
    this.multiCharacter = [...this.tokens].sort((a, b) => b.length - a.length);
    this.codePointBase = this.tokens.length;
    this.vocabSize = this.codePointBase + 0x110000;
  }

  encode(text: string, _options?: { addSpecialTokens?: boolean }): number[] {
    const ids: number[] = [];
    let position = 0;
    while (position < text.length) {
      const token = this.multiCharacter.find((candidate) => text.startsWith(candidate, position));
      if (token !== undefined) {
        ids.push(this.byText.get(token)!);
        position += token.length;
        continue;
      }
      const codePoint = text.codePointAt(position)!;
      ids.push(this.codePointBase + codePoint);
      position += codePoint > 0xffff ? 2 : 1;
    }
    return ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    let text = '';
    for (const id of ids) {
      if (options.skipSpecialTokens === true && id < MOCK_SPECIAL_TOKENS.length) continue;
      text += this.tokenText(id);
    }
    return text;
  }

  tokenToId(token: string): number | undefined {
    const known = this.byText.get(token);
    if (known !== undefined) return known;
    const codePoint = token.codePointAt(0);
    if (codePoint === undefined || String.fromCodePoint(codePoint) !== token) return undefined;
    return this.codePointBase + codePoint;
  }

  idToToken(id: number): string | undefined {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) return undefined;
    return id < this.codePointBase ? this.tokens[id] : String.fromCodePoint(id - this.codePointBase);
  }

  applyChatTemplate(messages: readonly ChatMessage[], options: ApplyChatTemplateOptions = {}): string {
    let text = '';
    for (const message of messages) text += `<|im_start|>${message.role}\n${message.content}<|im_end|>\n`;
    if (options.addGenerationPrompt === true) text += '<|im_start|>assistant\n';
    return text;
  }

  private tokenText(id: number): string {
    const token = this.idToToken(id);
    if (token === undefined)
      throw new InvalidInputError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`, {
        source: 'MockTokenizer.decode',
      });
    return token;
  }
}
