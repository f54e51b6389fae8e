import { describe, expect, it } from 'vitest';
import type { RolloutRecord } from './rollout-record';
import { renderRollout, renderTrajectory } from './render-rollout';

const spansOf = (html: string) =>
  [...html.matchAll(/<span class="([^"]*)">([^<]*)<\/span>/g)].map((match) => [match[1], match[2]]);

const record: RolloutRecord = {
  line: 3,
  step: 2,
  question: 'Who wrote <Hamlet>?',
  goldenAnswers: ['William Shakespeare', 'Shakespeare'],
  reward: 1,
  reason: 'ok',
  prediction: 'Shakespeare',
  components: { f1: 1, format: 1 },
  finishReason: 'eos',
  segments: [
    { kind: 'model', text: '<think> hmm </think> <search> Hamlet author </search>' },
    { kind: 'result', text: ' <result>\n"Hamlet"\nBy Shakespeare.\n</result>' },
    { kind: 'model', text: ' <answer> \\boxed{Shakespeare} </answer>' },
  ],
};

describe('renderTrajectory', () => {
  it('colours tags, marks literals, and masks result segments without tokens', () => {
    const { html, maskedCount, searchCount } = renderTrajectory(record);
    expect(spansOf(html)).toEqual([
      ['k-think lit', '&lt;think&gt;'],
      ['k-think', ' hmm '],
      ['k-think lit', '&lt;/think&gt;'],
      ['k-text', ' '],
      ['k-search lit', '&lt;search&gt;'],
      ['k-search', ' Hamlet author '],
      ['k-search lit', '&lt;/search&gt;'],
      ['k-text m0', ' '],
      ['k-result lit m0', '&lt;result&gt;'],
      ['k-result m0', '\n&quot;Hamlet&quot;\nBy Shakespeare.\n'],
      ['k-result lit m0', '&lt;/result&gt;'],
      ['k-text', ' '],
      ['k-answer lit', '&lt;answer&gt;'],
      ['k-answer', ' \\boxed{Shakespeare} '],
      ['k-answer lit', '&lt;/answer&gt;'],
    ]);
    expect(maskedCount).toBe(' <result>\n"Hamlet"\nBy Shakespeare.\n</result>'.length);
    expect(searchCount).toBe(1);
  });

  it('marks an unclosed tag', () => {
    const { html } = renderTrajectory({ line: 1, segments: [{ kind: 'model', text: 'x <think> never closed' }] });
    expect(spansOf(html)).toEqual([
      ['k-text', 'x '],
      ['k-think lit open', '&lt;think&gt;'],
      ['k-think open', ' never closed'],
    ]);
  });

  it('splits at token boundaries and masks exactly the tokens with loss mask 0', () => {
    const tokens = ['<search>', ' q', '</search>', ' <result>', 'P', '</result>', '', ' ok'];
    const lossMask = Uint8Array.from([1, 1, 1, 0, 0, 0, 1, 1]);
    const { html, maskedCount } = renderTrajectory({
      line: 1,
      segments: [
        { kind: 'model', text: '<search> q</search>' },
        { kind: 'result', text: ' <result>P</result>' },
        { kind: 'model', text: ' ok' },
      ],
      tokens: { texts: tokens, lossMask },
    });
    expect(spansOf(html)).toEqual([
      ['k-search lit t0', '&lt;search&gt;'],
      ['k-search t1', ' q'],
      ['k-search lit t0', '&lt;/search&gt;'],
      // The token " <result>" spans plain text and the tag literal: two spans, one token class.
      ['k-text m0 t1', ' '],
      ['k-result lit m0 t1', '&lt;result&gt;'],
      ['k-result m0 t0', 'P'],
      ['k-result lit m0 t1', '&lt;/result&gt;'],
      // The empty token 6 takes no span; " ok" is token 7.
      ['k-text t1', ' ok'],
    ]);
    expect(maskedCount).toBe(3);
  });

  it('follows the loss mask, not the segment kind, when they disagree', () => {
    const { html } = renderTrajectory({
      line: 1,
      segments: [{ kind: 'model', text: 'ab' }],
      tokens: { texts: ['a', 'b'], lossMask: Uint8Array.from([0, 1]) },
    });
    expect(spansOf(html)).toEqual([
      ['k-text m0 t0', 'a'],
      ['k-text t1', 'b'],
    ]);
  });
});

describe('renderRollout', () => {
  it('shows the reward, reason, question, answers and components, with filter attributes', () => {
    const html = renderRollout(record);
    expect(html).toMatch(/^<article class="rollout" data-step="2" data-reward="1" data-reason="ok">/);
    expect(html).toContain('<span class="badge reward-high">reward 1</span>');
    expect(html).toContain('<span class="badge reason">ok</span>');
    expect(html).toContain('step 2 · finish eos · 1 search · line 3');
    expect(html).toContain('<dd class="question">Who wrote &lt;Hamlet&gt;?</dd>');
    expect(html).toContain('<q>William Shakespeare</q> <q>Shakespeare</q>');
    expect(html).toContain('f1 1, format 1');
  });

  it('escapes a rollout that contains script', () => {
    const html = renderRollout({
      line: 1,
      reason: '"><script>alert(1)</script>',
      question: '<script>alert("q")</script>',
      segments: [{ kind: 'model', text: '<think></think><script>alert(2)</script><img src=x onerror=alert(3)>' }],
    });
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain('data-reason="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;&lt;img src=x onerror=alert(3)&gt;');
  });

  it('says why tokens are not shown, and handles a record with only segments', () => {
    const html = renderRollout({
      line: 5,
      segments: [{ kind: 'model', text: 'x' }],
      tokenProblem: 'lossMask has 1 entries for 2 tokens',
    });
    expect(html).toContain('data-step="" data-reward="" data-reason=""');
    expect(html).toContain('reward ?');
    expect(html).toContain('<p class="warning">Tokens not shown: lossMask has 1 entries for 2 tokens.</p>');
  });
});
