/** A span of a response as the report shows it (`Trajectory.segments` without the token offsets). */
export interface RolloutSegment {
  kind: 'model' | 'result';
  text: string;
}

/** One line of `rollouts.jsonl`, checked (see FORMAT.md). Fields of the wrong type are left out. */
export interface RolloutRecord {
  /** 1-based line number in `rollouts.jsonl`. */
  line: number;
  step?: number;
  question?: string;
  goldenAnswers?: string[];
  reward?: number;
  reason?: string;
  prediction?: string;
  components?: Record<string, number>;
  finishReason?: string;
  group?: number;
  sample?: number;
  advantage?: number;
  segments: RolloutSegment[];
  /** Response tokens' texts and their loss mask, when present and consistent with the segments. */
  tokens?: { texts: string[]; lossMask?: Uint8Array };
  /** Why `tokens`/`lossMask` were present but not used. */
  tokenProblem?: string;
}

export type RolloutRecordResult = { ok: true; record: RolloutRecord } | { ok: false; reason: string };

const finite = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function parseSegments(raw: Record<string, unknown>): RolloutSegment[] | string {
  if (raw.segments === undefined) {
    if (typeof raw.text === 'string') return [{ kind: 'model', text: raw.text }];
    return 'no "segments" or "text"';
  }
  if (!Array.isArray(raw.segments)) return '"segments" is not an array';
  const segments: RolloutSegment[] = [];
  for (const [index, segment] of raw.segments.entries()) {
    const { kind, text: segmentText } = (segment ?? {}) as { kind?: unknown; text?: unknown };
    if (kind !== 'model' && kind !== 'result') return `segments.${index}.kind must be "model" or "result"`;
    if (typeof segmentText !== 'string') return `segments.${index}.text must be a string`;
    segments.push({ kind, text: segmentText });
  }
  return segments;
}

function parseLossMask(value: unknown): Uint8Array | string {
  if (typeof value === 'string') {
    if (!/^[01]*$/.test(value)) return 'lossMask string holds characters other than 0 and 1';
    return Uint8Array.from(value, (character) => (character === '1' ? 1 : 0));
  }
  if (Array.isArray(value)) {
    const bad = value.findIndex((entry) => entry !== 0 && entry !== 1);
    if (bad >= 0) return `lossMask.${bad} is not 0 or 1`;
    return Uint8Array.from(value as number[]);
  }
  return 'lossMask is neither an array nor a string of 0/1';
}

function parseTokens(
  raw: Record<string, unknown>,
  segments: readonly RolloutSegment[],
): Pick<RolloutRecord, 'tokens' | 'tokenProblem'> {
  if (raw.tokens === undefined) return raw.lossMask === undefined ? {} : { tokenProblem: 'lossMask without tokens' };
  if (!Array.isArray(raw.tokens) || raw.tokens.some((token) => typeof token !== 'string'))
    return { tokenProblem: 'tokens is not an array of strings' };
  const texts = raw.tokens as string[];
  const joined = texts.join('');
  const expected = segments.map((segment) => segment.text).join('');
  if (joined !== expected) {
    return {
      tokenProblem: `the tokens joined (${joined.length} characters) differ from the segments joined (${expected.length} characters)`,
    };
  }
  if (raw.lossMask === undefined) return { tokens: { texts } };
  const lossMask = parseLossMask(raw.lossMask);
  if (typeof lossMask === 'string') return { tokenProblem: lossMask };
  if (lossMask.length !== texts.length)
    return { tokenProblem: `lossMask has ${lossMask.length} entries for ${texts.length} tokens` };
  return { tokens: { texts, lossMask } };
}

/**
 * Checks one parsed line of `rollouts.jsonl`. It is refused only when it has nothing to show (no valid
 * `segments` and no `text`); other fields of the wrong type are dropped, and inconsistent `tokens` or
 * `lossMask` are dropped with a `tokenProblem`.
 */
export function normalizeRolloutRecord(raw: Record<string, unknown>, line: number): RolloutRecordResult {
  const segments = parseSegments(raw);
  if (typeof segments === 'string') return { ok: false, reason: segments };
  const record: RolloutRecord = { line, segments, ...parseTokens(raw, segments) };
  const step = finite(raw.step);
  if (step !== undefined) record.step = step;
  const question = text(raw.question);
  if (question !== undefined) record.question = question;
  if (Array.isArray(raw.goldenAnswers))
    record.goldenAnswers = raw.goldenAnswers.filter((answer): answer is string => typeof answer === 'string');
  const reward = finite(raw.reward);
  if (reward !== undefined) record.reward = reward;
  for (const field of ['reason', 'prediction', 'finishReason'] as const) {
    const value = text(raw[field]);
    if (value !== undefined) record[field] = value;
  }
  for (const field of ['group', 'sample', 'advantage'] as const) {
    const value = finite(raw[field]);
    if (value !== undefined) record[field] = value;
  }
  if (typeof raw.components === 'object' && raw.components !== null && !Array.isArray(raw.components)) {
    const components: Record<string, number> = {};
    for (const [name, value] of Object.entries(raw.components))
      if (finite(value) !== undefined) components[name] = value as number;
    record.components = components;
  }
  return { ok: true, record };
}

/** `count` indexes spread evenly over `[0, total)`, first and last included; all of them when `count >= total`. */
export function evenlySpacedIndexes(total: number, count: number): number[] {
  if (count >= total) return Array.from({ length: total }, (_, index) => index);
  if (count <= 0) return [];
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, index) => Math.round((index * (total - 1)) / (count - 1)));
}
