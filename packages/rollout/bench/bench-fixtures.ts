/**
 * Deterministic stand-ins for the bench: a word-level tokenizer, an in-memory term-overlap retriever
 * over a generated corpus, and a policy that returns precomputed ids (optionally waiting as long as a
 * device of a given throughput would take). No package outside spec is needed.
 */
import type { GenerateRequest, GenerateResult, Passage, Policy, Retriever, Tokenizer } from '@research-ts/spec';

/** xorshift32: a tiny seeded generator so every run builds the same corpus and rollouts. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

/**
 * Word-level tokenizer: pieces are runs of non-space characters with their leading whitespace
 * (`/\s*\S+|\s+/g`), each piece one id from a growing vocabulary; `<|im_end|>` is id 0.
 * `decode(encode(s)) === s`.
 */
export class WordTokenizer implements Tokenizer {
  readonly specificationVersion = 'v1' as const;
  readonly vocabSize = 1 << 24;
  readonly eosTokenIds = [0];
  readonly eosToken = '<|im_end|>';
  readonly padTokenId = 0;
  private readonly ids = new Map<string, number>([['<|im_end|>', 0]]);
  private readonly pieces: string[] = ['<|im_end|>'];

  encode(text: string): number[] {
    const result: number[] = [];
    for (const piece of text.match(/<\|im_end\|>|\s*[^\s<]+|\s*<|\s+/g) ?? []) {
      let id = this.ids.get(piece);
      if (id === undefined) {
        id = this.pieces.length;
        this.pieces.push(piece);
        this.ids.set(piece, id);
      }
      result.push(id);
    }
    return result;
  }

  decode(ids: readonly number[]): string {
    let text = '';
    for (const id of ids) text += this.pieces[id] ?? '';
    return text;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id];
  }

  applyChatTemplate(): string {
    throw new Error('WordTokenizer has no chat template');
  }
}

/** Term-overlap retriever over an inverted index; ties by id ascending, like the conformance rule. */
export class InMemoryRetriever implements Retriever {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'in-memory';
  private readonly postings = new Map<string, number[]>();

  constructor(private readonly passages: readonly Passage[]) {
    passages.forEach((passage, index) => {
      for (const term of new Set(passage.contents.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])) {
        let list = this.postings.get(term);
        if (list === undefined) this.postings.set(term, (list = []));
        list.push(index);
      }
    });
  }

  async search(queries: readonly string[], k: number): Promise<Passage[][]> {
    return queries.map((query) => {
      const scores = new Map<number, number>();
      for (const term of new Set(query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])) {
        for (const index of this.postings.get(term) ?? []) scores.set(index, (scores.get(index) ?? 0) + 1);
      }
      return [...scores]
        .sort((a, b) => b[1] - a[1] || (this.passages[a[0]]!.id < this.passages[b[0]]!.id ? -1 : 1))
        .slice(0, k)
        .map(([index, score]) => ({ ...this.passages[index]!, score }));
    });
  }
}

export function makeWords(count: number, random: () => number): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: count }, () =>
    Array.from({ length: 3 + Math.floor(random() * 7) }, () => letters[Math.floor(random() * 26)]).join(''),
  );
}

/** Zipf-like pick: low indices are common. */
export function pickWord(words: readonly string[], random: () => number): string {
  return words[Math.floor(words.length * random() ** 3)]!;
}

export function makeCorpus(
  passageCount: number,
  wordsPerPassage: number,
  words: readonly string[],
  random: () => number,
): Passage[] {
  return Array.from({ length: passageCount }, (_, index) => {
    const title = `${pickWord(words, random)} ${pickWord(words, random)}`;
    const body = Array.from({ length: wordsPerPassage }, () => pickWord(words, random)).join(' ');
    return { id: String(index), contents: `"${title}"\n${body}.` };
  });
}

/**
 * The scripted turns of one sample: `searches` turns of a thought and a `<search>` query, then a thought
 * and an answer ending with EOS.
 */
export function makeTurns(
  searches: number,
  wordsPerThought: number,
  words: readonly string[],
  random: () => number,
): string[] {
  const thought = () => Array.from({ length: wordsPerThought }, () => pickWord(words, random)).join(' ');
  const query = () => Array.from({ length: 3 }, () => words[Math.floor(random() * words.length)]!).join(' ');
  return [
    ...Array.from({ length: searches }, () => `<think> ${thought()} </think> <search> ${query()} </search>`),
    `<think> ${thought()} </think> <answer> The final answer is \\[ \\boxed{${pickWord(words, random)}} \\] </answer><|im_end|>`,
  ];
}

/**
 * A policy answering request `index` of call `c` with turn `c` of sample `index` (all samples follow the
 * same number of turns, so every sample stays active and its batch index is its sample index). Ids
 * and texts are precomputed; the policy does no tokenizer work while timed. With `tokensPerSecond`,
 * each call waits as long as a device of that batch throughput would take for the call's tokens.
 */
export function precomputedPolicy(
  turnsBySample: readonly (readonly string[])[],
  tokenizer: Tokenizer,
  tokensPerSecond?: number,
): Policy {
  const results: GenerateResult[][] = turnsBySample.map((turns) =>
    turns.map((text) => {
      const outputIds = tokenizer.encode(text);
      return {
        outputIds,
        text,
        finishReason: text.endsWith('<|im_end|>') ? ('eos' as const) : ('stop-string' as const),
        ...(text.endsWith('</search>') ? { stopString: '</search>' } : {}),
      };
    }),
  );
  let call = 0;
  return {
    specificationVersion: 'v1',
    name: 'precomputed',
    async generate(requests: readonly GenerateRequest[]) {
      const turn = call;
      call += 1;
      const answers = requests.map((_request, index) => {
        const result = results[index]![turn]!;
        return { ...result, outputIds: [...result.outputIds] };
      });
      if (tokensPerSecond !== undefined) {
        const tokens = answers.reduce((sum, answer) => sum + answer.outputIds.length, 0);
        await new Promise((resolve) => setTimeout(resolve, (tokens / tokensPerSecond) * 1000));
      }
      return answers;
    },
  };
}
