import { InvalidConfigError } from '@research-ts/spec';
import { PythonRandom } from './python-random';

export interface SampleQuestionsOptions {
  /** How many to take; more than there are takes them all (like Python's `lines[:n]`). */
  n: number;
  /** The seed; an integer (number or bigint), as Python's `random.seed(int)` takes it. */
  seed: number | bigint;
  /**
   * The shuffle. `'python'` (the only one so far, and the default) reproduces CPython's
   * `random.seed(seed); random.shuffle(items)` exactly.
   */
  method?: 'python';
}

/**
 * A deterministic sample: shuffles a copy of `examples` with the seed, then takes the first `n`. With
 * `{ n: 100, seed: 42 }` over MuSiQue dev (2,417 rows, in file order) it gives ReSearch's validation
 * subset in ReSearch's order (`random.seed(42); random.shuffle(lines); lines[:100]`). The input is not changed.
 */
export function sampleQuestions<Example>(examples: readonly Example[], options: SampleQuestionsOptions): Example[] {
  const { n, seed, method = 'python' } = options;
  if (!Number.isInteger(n) || n < 0) throw new InvalidConfigError('n', `must be a non-negative integer (got ${n})`);
  if (method !== 'python') throw new InvalidConfigError('method', `must be 'python' (got ${JSON.stringify(method)})`);
  return new PythonRandom(seed).shuffle([...examples]).slice(0, n);
}
