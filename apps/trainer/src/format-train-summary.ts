import type { TrainSummary } from './train';

const fixed = (value: number | undefined, digits = 3) => (value === undefined ? '-' : value.toFixed(digits));

/** The mean reward of the first and last `window` points of a curve. */
export function rewardStartEnd(summary: Pick<TrainSummary, 'rewardCurve'>, window = 5): { start: number; end: number } {
  const curve = summary.rewardCurve;
  const mean = (points: typeof curve) =>
    points.length === 0 ? Number.NaN : points.reduce((sum, point) => sum + point.reward, 0) / points.length;
  return { start: mean(curve.slice(0, window)), end: mean(curve.slice(-window)) };
}

/** The table `train` prints at the end: training reward start/end, held-out EM with and without retrieval. */
export function formatTrainSummary(summary: TrainSummary): string {
  const { start, end } = rewardStartEnd(summary);
  const rows: [string, string][] = [
    // step 1's rollouts come from the policy before any GRPO update (absent from a resumed run's curve)
    [
      'training reward, step 1 (before any update)',
      fixed(summary.rewardCurve.find((point) => point.step === 1)?.reward),
    ],
    ['training reward, first 5 steps (mean)', fixed(start)],
    ['training reward, last 5 steps (mean)', fixed(end)],
    [`held-out EM, greedy (${summary.heldOut.count} questions)`, fixed(summary.heldOut.exactMatch)],
    ['held-out F1', fixed(summary.heldOut.f1)],
    ['held-out searches per question', fixed(summary.heldOut.searches, 2)],
    ...(summary.heldOutByHops ?? []).flatMap((type): [string, string][] => [
      [
        `  ${type.hops}-hop: EM / searches per question (${type.count})`,
        `${fixed(type.exactMatch)} / ${fixed(type.searches, 2)}`,
      ],
      [`  ${type.hops}-hop: right answers with ≥ ${type.hops} searches`, fixed(type.rightWithEnoughSearches)],
    ]),
    ['failed searches, training / held-out', `${summary.failedSearches} / ${summary.heldOut.failedSearches}`],
    ['held-out EM, retriever returns nothing', fixed(summary.heldOutWithoutRetrieval?.exactMatch)],
    ['names permuted in the corpus: answers as the corpus says', fixed(summary.heldOutWithDecoyCorpus?.followsCorpus)],
    ['names permuted in the corpus: EM against the real answer', fixed(summary.heldOutWithDecoyCorpus?.exactMatch)],
    ['warm-up / GRPO wall time (s)', `${summary.warmupSeconds.toFixed(0)} / ${summary.trainingSeconds.toFixed(0)}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  return [
    `run ${summary.outputDirectory}: ${summary.steps} steps${summary.resumedFrom > 0 ? ` (resumed at ${summary.resumedFrom})` : ''}`,
    ...lines,
    `model: ${summary.modelDirectory}`,
  ].join('\n');
}
