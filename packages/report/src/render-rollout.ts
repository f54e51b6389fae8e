import { parseTags, type TagName } from '@research-ts/tags';
import { escapeHtml } from './escape-html';
import { formatNumber } from './format-number';
import type { RolloutRecord } from './rollout-record';

/** A run of characters of the response with one look: its tag, whether it is a tag literal, whether the tag is unclosed. */
interface Piece {
  start: number;
  end: number;
  kind: 'text' | TagName;
  literal: boolean;
  unclosed: boolean;
  fromResult: boolean;
}

/** Splits each segment with `parseTags` into tag literals and contents, as character ranges of the whole response. */
function responsePieces(record: RolloutRecord): Piece[] {
  const pieces: Piece[] = [];
  let offset = 0;
  const add = (length: number, kind: Piece['kind'], literal: boolean, unclosed: boolean, fromResult: boolean) => {
    if (length > 0) pieces.push({ start: offset, end: offset + length, kind, literal, unclosed, fromResult });
    offset += length;
  };
  for (const segment of record.segments) {
    const fromResult = segment.kind === 'result';
    for (const tagSegment of parseTags(segment.text)) {
      if (tagSegment.kind === 'text') {
        add(tagSegment.text.length, 'text', false, false, fromResult);
        continue;
      }
      add(tagSegment.kind.length + 2, tagSegment.kind, true, !tagSegment.closed, fromResult);
      add(tagSegment.text.length, tagSegment.kind, false, !tagSegment.closed, fromResult);
      if (tagSegment.closed) add(tagSegment.kind.length + 3, tagSegment.kind, true, false, fromResult);
    }
  }
  return pieces;
}

/** Token index of every character boundary: `starts[i]` is the first character of token i. */
function tokenStarts(texts: readonly string[]): number[] {
  const starts: number[] = [];
  let offset = 0;
  for (const text of texts) {
    starts.push(offset);
    offset += text.length;
  }
  return starts;
}

export interface RenderedTrajectory {
  html: string;
  /** Tokens (with `tokens`) or characters (without) marked as left out of the loss. */
  maskedCount: number;
  searchCount: number;
}

/**
 * The response as coloured spans: class `k-think`, `k-search`, `k-result`, `k-answer` or `k-text` for
 * the tag it is in, `lit` on the tag literals themselves, `open` on a tag that never closed, `m0` where the
 * token is left out of the loss, and `t0`/`t1` alternating per token when the record has tokens. Without
 * tokens, the characters of `result` segments are the ones marked `m0`.
 */
export function renderTrajectory(record: RolloutRecord): RenderedTrajectory {
  const text = record.segments.map((segment) => segment.text).join('');
  const pieces = responsePieces(record);
  const tokens = record.tokens;
  const starts = tokens === undefined ? [] : tokenStarts(tokens.texts);
  const spans: string[] = [];
  let maskedCount = 0;
  let tokenIndex = 0;
  for (const piece of pieces) {
    let position = piece.start;
    while (position < piece.end) {
      let end = piece.end;
      let tokenClass = '';
      let masked = piece.fromResult;
      if (tokens !== undefined) {
        while (tokenIndex + 1 < starts.length && starts[tokenIndex + 1]! <= position) tokenIndex += 1;
        const nextStart = tokenIndex + 1 < starts.length ? starts[tokenIndex + 1]! : text.length;
        end = Math.min(end, nextStart);
        tokenClass = ` t${tokenIndex % 2}`;
        if (tokens.lossMask !== undefined) masked = tokens.lossMask[tokenIndex] === 0;
      }
      const classes = `k-${piece.kind}${piece.literal ? ' lit' : ''}${piece.unclosed ? ' open' : ''}${masked ? ' m0' : ''}${tokenClass}`;
      spans.push(`<span class="${classes}">${escapeHtml(text.slice(position, end))}</span>`);
      if (masked && tokens === undefined) maskedCount += end - position;
      position = end;
    }
  }
  if (tokens !== undefined) {
    maskedCount =
      tokens.lossMask === undefined ? 0 : tokens.lossMask.reduce((sum, value) => sum + (value === 0 ? 1 : 0), 0);
    if (tokens.lossMask === undefined) {
      for (const [index, start] of starts.entries()) {
        const tokenText = tokens.texts[index]!;
        if (tokenText !== '' && pieces.some((piece) => piece.fromResult && piece.start <= start && start < piece.end))
          maskedCount += 1;
      }
    }
  }
  const searchCount = pieces.filter(
    (piece) =>
      piece.kind === 'search' && piece.literal && !piece.fromResult && text.startsWith('<search>', piece.start),
  ).length;
  return { html: spans.join(''), maskedCount, searchCount };
}

function rewardClass(reward: number | undefined): string {
  if (reward === undefined) return 'reward-none';
  if (reward <= 0) return 'reward-zero';
  if (reward < 0.5) return 'reward-low';
  return 'reward-high';
}

/**
 * One trajectory as an `<article class="rollout">` with `data-step`, `data-reward` and `data-reason` for
 * the viewer's filters: reward and reason badges, the question, golden answers and prediction, and the
 * coloured response. Every text from the record is escaped.
 */
export function renderRollout(record: RolloutRecord): string {
  const trajectory = renderTrajectory(record);
  const attribute = (value: string | number | undefined) => escapeHtml(value === undefined ? '' : String(value));
  const meta: string[] = [];
  if (record.step !== undefined) meta.push(`step ${formatNumber(record.step)}`);
  if (record.group !== undefined) meta.push(`group ${formatNumber(record.group)}`);
  if (record.sample !== undefined) meta.push(`sample ${formatNumber(record.sample)}`);
  if (record.finishReason !== undefined) meta.push(`finish ${record.finishReason}`);
  if (record.advantage !== undefined) meta.push(`advantage ${formatNumber(record.advantage)}`);
  meta.push(`${trajectory.searchCount} search${trajectory.searchCount === 1 ? '' : 'es'}`);
  if (record.tokens !== undefined) {
    meta.push(`${record.tokens.texts.length} tokens, ${trajectory.maskedCount} out of the loss`);
  }
  meta.push(`line ${record.line}`);
  const components =
    record.components === undefined
      ? ''
      : Object.entries(record.components)
          .map(([name, value]) => `${escapeHtml(name)} ${escapeHtml(formatNumber(value))}`)
          .join(', ');
  const details: string[] = [];
  if (record.question !== undefined)
    details.push(`<dt>Question</dt><dd class="question">${escapeHtml(record.question)}</dd>`);
  if (record.goldenAnswers !== undefined) {
    details.push(
      `<dt>Golden</dt><dd>${record.goldenAnswers.map((answer) => `<q>${escapeHtml(answer)}</q>`).join(' ') || '<i>none</i>'}</dd>`,
    );
  }
  if (record.prediction !== undefined)
    details.push(`<dt>Prediction</dt><dd><q>${escapeHtml(record.prediction)}</q></dd>`);
  if (components !== '') details.push(`<dt>Components</dt><dd>${components}</dd>`);
  const problem =
    record.tokenProblem === undefined
      ? ''
      : `<p class="warning">Tokens not shown: ${escapeHtml(record.tokenProblem)}.</p>`;
  return (
    `<article class="rollout" data-step="${attribute(record.step)}" data-reward="${attribute(record.reward)}" data-reason="${attribute(record.reason)}">` +
    `<header><span class="badge ${rewardClass(record.reward)}">reward ${record.reward === undefined ? '?' : escapeHtml(formatNumber(record.reward))}</span>` +
    (record.reason === undefined ? '' : `<span class="badge reason">${escapeHtml(record.reason)}</span>`) +
    `<span class="meta">${escapeHtml(meta.join(' · '))}</span></header>` +
    (details.length === 0 ? '' : `<dl>${details.join('')}</dl>`) +
    problem +
    `<div class="trajectory${record.tokens === undefined ? '' : ' has-tokens'}">${trajectory.html}</div></article>`
  );
}
