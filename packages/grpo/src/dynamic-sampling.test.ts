import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { readFixture } from '../test/read-fixture';
import { groupsWithVariance } from './dynamic-sampling';

interface DynamicSamplingTable {
  scores: number[];
  groupIds: string[];
  keptGroups: string[];
  keptGroupsWithoutSingletons: string[];
  verlKeptGroups: string[];
}
const { dynamicSampling: table } = await readFixture<{ dynamicSampling: DynamicSamplingTable }>('dapo.json');

describe('groupsWithVariance (DAPO dynamic sampling)', () => {
  it('keeps the groups whose scores differ, and groups of one', () => {
    const result = groupsWithVariance(table.scores, table.groupIds);
    expect(result.keptGroups).toEqual(table.keptGroups);
    expect(result.droppedGroups).toEqual(['q2', 'q3', 'q5']);
    expect([...result.keep]).toEqual(table.groupIds.map((id) => (table.keptGroups.includes(id) ? 1 : 0)));
    expect(groupsWithVariance(table.scores, table.groupIds, { singletons: 'drop' }).keptGroups).toEqual(
      table.keptGroupsWithoutSingletons,
    );
  });

  it("differs from verl's np.std > 0 exactly in its two float corners", () => {
    // verl keeps q3 (three 0.1s: numpy's mean is not 0.1) and drops q6 (1e-200, 2e-200: the squares underflow)
    const ours = new Set(table.keptGroups);
    const verl = new Set(table.verlKeptGroups);
    expect([...verl].filter((id) => !ours.has(id))).toEqual(['q3']);
    expect([...ours].filter((id) => !verl.has(id))).toEqual(['q6']);
  });

  it('drops a group with a non-finite score, keeps 0 and −0 equal', () => {
    expect(groupsWithVariance([1, Number.NaN, 0, -0, 5], ['a', 'a', 'b', 'b', 'c']).keptGroups).toEqual(['c']);
    expect(groupsWithVariance([1, Number.POSITIVE_INFINITY], [7, 7]).droppedGroups).toEqual([7]);
  });

  it('rejects mismatched ids and bad options', () => {
    expect(() => groupsWithVariance([1, 2], ['a'])).toThrow(InvalidInputError);
    expect(() => groupsWithVariance([1], ['a'], { singletons: 'no' as 'drop' })).toThrow('field "singletons"');
  });
});
