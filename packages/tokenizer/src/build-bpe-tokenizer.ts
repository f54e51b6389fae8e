import { InvalidConfigError } from '@research-ts/spec';
import { planAddedTokens, splitAroundTokens, type AddedTokenOptions } from './built-added-tokens';
import { byteToCharacter, toByteLevel } from './byte-level-alphabet';
import { addedTokenJson, type TokenizerJson } from './tokenizer-json';

export interface BuildBpeTokenizerOptions extends AddedTokenOptions {
  /** Total ids: the 256 byte tokens, the learned merges and the added tokens. */
  vocabSize: number;
  /** A pair is merged only when it occurs at least this often (weighted by word count). Default 2. */
  minFrequency?: number;
}

/**
 * The GPT-2 pre-tokenization pattern, which the `ByteLevel` pre-tokenizer applies with `use_regex`:
 * contractions, letters with one optional leading space, digits likewise, other symbols likewise,
 * then runs of whitespace (leaving the last space to the following word).
 */
const gpt2Pattern = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Largest id a pair key can hold: ids are packed as `left * pairBase + right`. */
const pairBase = 1 << 21;

interface HeapEntry {
  key: number;
  count: number;
}

/**
 * Learns a byte-level BPE tokenizer from `corpus` with the standard pair-count algorithm and returns
 * its `tokenizer.json`:
 *
 * 1. Split each text around the added tokens, pre-tokenize with the GPT-2 pattern and spell each piece
 *    in the byte-level alphabet; count the distinct words.
 * 2. Start from the 256 byte tokens (id = byte value). Repeatedly merge the adjacent pair with the
 *    highest count over all words (ties: the pair whose left, then right, token string sorts first),
 *    recording the merge and giving the joined string the next id (or its existing id), until the
 *    vocabulary is full or no pair reaches `minFrequency`.
 * 3. Append the added tokens (`<|endoftext|>`, `<|im_start|>`, `<|im_end|>`, extra specials, optional
 *    tags) after the learned tokens, as Qwen does.
 *
 * The result uses the `ByteLevel` pre-tokenizer and decoder, no normalizer, and string merges
 * (`"Ġ t"`), which every version of the Rust crate and `@huggingface/tokenizers` read. Any text
 * round-trips, since every byte has a token.
 */
export function buildBpeTokenizer(corpus: Iterable<string>, options: BuildBpeTokenizerOptions): TokenizerJson {
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isInteger(minFrequency) || minFrequency < 1)
    throw new InvalidConfigError('minFrequency', `must be an integer >= 1, got ${minFrequency}`);
  const added = planAddedTokens(options);
  const smallest = 256 + added.length;
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < smallest) {
    throw new InvalidConfigError(
      'vocabSize',
      `must be an integer >= ${smallest} (256 byte tokens + ${added.length} added tokens), got ${options.vocabSize}`,
    );
  }
  if (options.vocabSize - added.length > pairBase)
    throw new InvalidConfigError('vocabSize', `must be at most ${pairBase + added.length}, got ${options.vocabSize}`);
  const maxLearned = options.vocabSize - added.length;

  // 1. Distinct pre-tokenized words with their counts.
  const wordCounts = new Map<string, number>();
  const addedContents = added.map((token) => token.content);
  for (const text of corpus) {
    if (typeof text !== 'string') throw new InvalidConfigError('corpus', `must hold strings, got ${typeof text}`);
    for (const piece of splitAroundTokens(text, addedContents)) {
      for (const match of piece.matchAll(gpt2Pattern)) {
        const word = toByteLevel(match[0]);
        wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
      }
    }
  }

  // 2. Merges.
  const tokens: string[] = [...byteToCharacter];
  const tokenIds = new Map<string, number>(tokens.map((token, id) => [token, id]));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push(Array.from(word, (character) => tokenIds.get(character)!));
    counts.push(count);
  }

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (wordIndex: number, sign: 1 | -1, touched: Set<number>) => {
    const symbols = words[wordIndex]!;
    const count = counts[wordIndex]! * sign;
    for (let index = 0; index + 1 < symbols.length; index++) {
      const key = symbols[index]! * pairBase + symbols[index + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      touched.add(key);
      if (sign === 1) {
        let holders = pairWords.get(key);
        if (holders === undefined) pairWords.set(key, (holders = new Set()));
        holders.add(wordIndex);
      }
    }
  };
  const initial = new Set<number>();
  for (let wordIndex = 0; wordIndex < words.length; wordIndex++) addPairs(wordIndex, 1, initial);

  // Max-heap of (count, pair) with lazy deletion: an entry is live only while its count is current.
  const heap: HeapEntry[] = [];
  const before = (left: HeapEntry, right: HeapEntry): boolean => {
    if (left.count !== right.count) return left.count > right.count;
    const leftFirst = tokens[Math.floor(left.key / pairBase)]!;
    const rightFirst = tokens[Math.floor(right.key / pairBase)]!;
    if (leftFirst !== rightFirst) return leftFirst < rightFirst;
    return tokens[left.key % pairBase]! < tokens[right.key % pairBase]!;
  };
  const push = (entry: HeapEntry) => {
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  };
  const pop = (): HeapEntry | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let best = index;
        if (left < heap.length && before(heap[left]!, heap[best]!)) best = left;
        if (right < heap.length && before(heap[right]!, heap[best]!)) best = right;
        if (best === index) break;
        [heap[index], heap[best]] = [heap[best]!, heap[index]!];
        index = best;
      }
    }
    return top;
  };
  for (const key of initial) push({ key, count: pairCounts.get(key)! });

  const merges: string[] = [];
  while (tokens.length < maxLearned) {
    const entry = pop();
    if (entry === undefined) break;
    if (pairCounts.get(entry.key) !== entry.count) continue; // stale
    if (entry.count < minFrequency) break;
    const leftId = Math.floor(entry.key / pairBase);
    const rightId = entry.key % pairBase;
    const joined = tokens[leftId]! + tokens[rightId]!;
    let joinedId = tokenIds.get(joined);
    if (joinedId === undefined) {
      joinedId = tokens.length;
      tokens.push(joined);
      tokenIds.set(joined, joinedId);
    }
    merges.push(`${tokens[leftId]} ${tokens[rightId]}`);

    const touched = new Set<number>();
    for (const wordIndex of pairWords.get(entry.key) ?? []) {
      const symbols = words[wordIndex]!;
      let present = false;
      for (let index = 0; index + 1 < symbols.length; index++) {
        if (symbols[index] === leftId && symbols[index + 1] === rightId) {
          present = true;
          break;
        }
      }
      if (!present) continue;
      addPairs(wordIndex, -1, touched);
      const merged: number[] = [];
      for (let index = 0; index < symbols.length; index++) {
        if (index + 1 < symbols.length && symbols[index] === leftId && symbols[index + 1] === rightId) {
          merged.push(joinedId);
          index++;
        } else merged.push(symbols[index]!);
      }
      words[wordIndex] = merged;
      addPairs(wordIndex, 1, touched);
    }
    pairWords.delete(entry.key);
    for (const key of touched) {
      const count = pairCounts.get(key)!;
      if (count <= 0) {
        pairCounts.delete(key);
        pairWords.delete(key);
      } else push({ key, count });
    }
  }

  // 3. The file.
  const vocab: Record<string, number> = {};
  for (const [id, token] of tokens.entries()) vocab[token] = id;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map((token, index) => addedTokenJson(tokens.length + index, token.content, token.special)),
    normalizer: null,
    pre_tokenizer: { ...byteLevel },
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: { ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
