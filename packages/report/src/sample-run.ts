import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SampleRunOptions {
  /** Training steps to write. Default 40. */
  steps?: number;
  /** Metric fields to leave out of every line (to test charts without data). */
  omitFields?: readonly string[];
  /** Format warm-up steps before the GRPO steps, a `warmup` line every 10 (as the trainer writes them). Default 0. */
  warmupSteps?: number;
  /** End as a finished run: an `eval` line at the last step, then no retrieval (`eval-ablation`) and a permuted corpus (`eval-decoy`). Default false. */
  finalEvaluations?: boolean;
  /** Extra raw lines appended to metrics.jsonl (to test malformed input). */
  extraMetricsLines?: readonly string[];
  /** Extra raw lines appended to rollouts.jsonl. */
  extraRolloutLines?: readonly string[];
}

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits text into word-ish pieces that join back to it, standing in for a tokenizer's pieces. */
function pieces(text: string): string[] {
  return text.match(/\s*<\/?[a-z]+>|\s*[^\s<]+|\s*<|\s+/g) ?? [];
}

const result = (title: string, text: string) => ` <result>\n"${title}"\n${text}\n</result>`;

/**
 * Writes a plausible run folder for tests and screenshots: `metrics.jsonl` with a reward that rises over
 * the steps, an evaluation every 10 steps, optionally warm-up lines before and the final ablations after (and KL, entropy, lengths, searches, clip fraction, throughput), `rollouts.jsonl` with a
 * trajectory of each kind (right answer with tokens and loss mask, wrong answer, format error, over length,
 * one whose text holds `<script>`), and `config.json`.
 */
export function writeSampleRun(directory: string, options: SampleRunOptions = {}): void {
  const steps = options.steps ?? 40;
  const next = random(7);
  const omit = new Set(options.omitFields ?? []);
  mkdirSync(directory, { recursive: true });
  // As the trainer writes it: a `run` line first, `train` lines, and an `eval` line every 10 steps.
  const metrics: string[] = [JSON.stringify({ kind: 'run', step: 0, time: '2025-01-01T00:00:00.000Z', model: 'tiny' })];
  const warmupSteps = options.warmupSteps ?? 0;
  for (let step = 10; step <= warmupSteps; step += 10) {
    metrics.push(
      JSON.stringify({
        kind: 'warmup',
        step,
        loss: 0.4 + 8 * Math.exp(-step / 25) + 0.05 * next(),
        gradNorm: 1 + next(),
        tokens: 800,
      }),
    );
  }
  for (let step = 1; step <= steps; step += 1) {
    const progress = step / steps;
    const mean = Math.min(1, 0.08 + 0.55 * progress + 0.08 * (next() - 0.5));
    const record: Record<string, unknown> = {
      kind: 'train',
      time: new Date(Date.UTC(2025, 0, 1, 0, step)).toISOString(),
      step,
      reward: { mean, std: 0.3 + 0.1 * next(), min: 0, max: 1 },
      rewardComponents: { f1: Math.max(0, mean - 0.06), format: Math.min(1, 0.55 + 0.45 * progress) },
      kl: 0.0004 * step * (0.8 + 0.4 * next()),
      entropy: 2.1 - 0.9 * progress + 0.1 * next(),
      clipFraction: 0.002 + 0.01 * next(),
      responseLength: { mean: 90 + 120 * progress + 20 * next(), max: 300 + 200 * progress },
      searchesPerRollout: 0.3 + 1.5 * progress + 0.2 * next(),
      throughput: { tokensPerSecond: 480 + 60 * next() },
      loss: 0.02 * (next() - 0.5),
      gradNorm: 0.5 + next(),
      learningRate: 1e-6,
    };
    for (const field of omit) {
      const [head, tail] = field.split('/');
      if (tail === undefined) delete record[head!];
      else delete (record[head!] as Record<string, unknown> | undefined)?.[tail];
    }
    metrics.push(JSON.stringify(record));
    if (step % 10 === 0)
      metrics.push(
        JSON.stringify({
          kind: 'eval',
          step,
          reward: { mean: Math.max(0, mean - 0.05) },
          count: 66,
          exactMatch: mean * 0.8,
          f1: mean * 0.85,
          searches: 1.5,
        }),
      );
  }
  if (options.finalEvaluations === true) {
    if (steps % 10 !== 0)
      metrics.push(
        JSON.stringify({
          kind: 'eval',
          step: steps,
          reward: { mean: 0.6 },
          count: 66,
          exactMatch: 0.909,
          f1: 0.92,
          searches: 2.23,
        }),
      );
    metrics.push(
      JSON.stringify({
        kind: 'eval-ablation',
        step: steps,
        retriever: 'empty',
        count: 66,
        exactMatch: 0.015,
        f1: 0.02,
        reward: { mean: 0.01 },
      }),
    );
    metrics.push(
      JSON.stringify({
        kind: 'eval-decoy',
        step: steps,
        retriever: 'decoy',
        count: 66,
        followsCorpus: 0.924,
        exactMatch: 0.03,
        searches: 2,
      }),
    );
  }
  metrics.push(...(options.extraMetricsLines ?? []));
  writeFileSync(join(directory, 'metrics.jsonl'), `${metrics.join('\n')}\n`);

  const good = [
    {
      kind: 'model',
      text: '<think> I need the director of Alien, then where he was born. </think> <search> Alien 1979 film director </search>',
    },
    {
      kind: 'result',
      text: result('Alien (film)', 'Alien is a 1979 science fiction horror film directed by Ridley Scott.'),
    },
    {
      kind: 'model',
      text: ' <think> Ridley Scott directed it. Now his birthplace. </think> <search> Ridley Scott birthplace </search>',
    },
    {
      kind: 'result',
      text: result(
        'Ridley Scott',
        'Sir Ridley Scott (born 30 November 1937 in South Shields) is an English film director.',
      ),
    },
    {
      kind: 'model',
      text: ' <think> He was born in South Shields. </think> <answer> The final answer is \\[ \\boxed{South Shields} \\] </answer><|im_end|>',
    },
  ];
  const goodTokens = good.flatMap((segment) =>
    pieces(segment.text).map((text) => ({ text, mask: segment.kind === 'model' ? 1 : 0 })),
  );
  const question = 'Where was the director of Alien (1979) born?';
  const rollouts = [
    {
      step: 1,
      group: 0,
      sample: 0,
      question,
      goldenAnswers: ['South Shields'],
      reward: 0,
      reason: 'think-missing',
      components: { f1: 0, format: 0 },
      finishReason: 'eos',
      segments: [
        { kind: 'model', text: 'The director was Ridley Scott. <answer> \\boxed{London} </answer><|im_end|>' },
      ],
    },
    {
      step: 1,
      group: 0,
      sample: 1,
      question,
      goldenAnswers: ['South Shields'],
      reward: 0.1,
      reason: 'wrong-answer',
      prediction: 'London',
      components: { f1: 0, format: 1 },
      finishReason: 'eos',
      segments: [
        {
          kind: 'model',
          text: '<think> Alien was directed by someone British. </think> <search> Alien director </search>',
        },
        { kind: 'result', text: result('Alien (film)', 'Alien is a 1979 film directed by Ridley Scott.') },
        {
          kind: 'model',
          text: ' <think> Probably London. </think> <answer> The final answer is \\[ \\boxed{London} \\] </answer><|im_end|>',
        },
      ],
    },
    {
      step: Math.max(1, Math.round(steps / 2)),
      group: 1,
      sample: 0,
      question: 'Which <script>alert("x")</script> tag breaks a page?',
      goldenAnswers: ['none'],
      reward: 0,
      reason: 'over-length',
      components: { f1: 0, format: 1 },
      finishReason: 'budget',
      segments: [
        {
          kind: 'model',
          text: '<think> A page shows <script>alert("rollout")</script> as text, & stays calm. </think> <search> html escaping </search>',
        },
        { kind: 'result', text: result('HTML', 'Escape <, >, & and quotes: </result> inside a result is text too.') },
        { kind: 'model', text: ' <think> And it goes on and on' },
      ],
    },
    {
      step: steps,
      group: 2,
      sample: 3,
      question,
      goldenAnswers: ['South Shields', 'South Shields, England'],
      reward: 1,
      reason: 'ok',
      prediction: 'South Shields',
      components: { f1: 1, format: 1 },
      finishReason: 'eos',
      advantage: 1.2,
      segments: good,
      tokens: goodTokens.map((token) => token.text),
      lossMask: goodTokens.map((token) => token.mask).join(''),
    },
  ];
  writeFileSync(
    join(directory, 'rollouts.jsonl'),
    `${[...rollouts.map((record) => JSON.stringify(record)), ...(options.extraRolloutLines ?? [])].join('\n')}\n`,
  );
  writeFileSync(
    join(directory, 'config.json'),
    JSON.stringify({ model: 'tiny', learningRate: 1e-6, samplesPerPrompt: 5, note: '</pre><script>alert(1)</script>' }),
  );
}
