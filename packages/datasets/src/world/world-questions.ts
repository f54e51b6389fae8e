import { InvalidConfigError } from '@research-ts/spec';
import type { PythonRandom } from '../python-random';
import { fillTemplate } from './world-facts';
import { parseRelationChain, type WorldSettings } from './world-options';
import { relationCatalog } from './world-relations';
import { pick, stageRandom, worldStages } from './world-random';
import type { RelationName, WorldEntity, WorldFact, WorldQuestion } from './world-types';

/** One answerable chain: a subject and the facts that lead from it to the answer. */
interface Candidate {
  templates: readonly string[];
  subject: WorldEntity;
  facts: WorldFact[];
}

const hopCounts = [1, 2, 3] as const;

/**
 * Every chain of each template key that can be followed from a subject (each fact exists) through
 * distinct entities (so the answer is never the subject, and no chain goes back on itself), grouped
 * by key, each group in subject order. Keys come in settings order (by hops, then by key).
 */
function candidatePools(
  settings: WorldSettings,
  entities: readonly WorldEntity[],
  facts: readonly WorldFact[],
): Map<number, Candidate[][]> {
  const factById = new Map(facts.map((fact) => [fact.id, fact]));
  const pools = new Map<number, Candidate[][]>(hopCounts.map((hops) => [hops, []]));
  for (const [key, templates] of Object.entries(settings.questionTemplates)) {
    const relations = parseRelationChain(key, `questionTemplates.${key}`);
    const pool: Candidate[] = [];
    for (const subject of entities) {
      if (subject.type !== relationCatalog[relations[0]!].subject) continue;
      const chain = follow(subject.id, relations, factById);
      if (chain !== undefined) pool.push({ templates, subject, facts: chain });
    }
    pools.get(relations.length)!.push(pool);
  }
  return pools;
}

function follow(
  subjectId: string,
  relations: readonly RelationName[],
  factById: ReadonlyMap<string, WorldFact>,
): WorldFact[] | undefined {
  const seen = new Set([subjectId]);
  const chain: WorldFact[] = [];
  let current = subjectId;
  for (const relation of relations) {
    const fact = factById.get(`${current}/${relation}`);
    if (fact === undefined || seen.has(fact.objectId)) return undefined;
    seen.add(fact.objectId);
    chain.push(fact);
    current = fact.objectId;
  }
  return chain;
}

/**
 * Takes up to `wanted` questions from the pools, one pool after another in turn (so every chain is asked
 * about as evenly as its pool allows), each pool in its (shuffled) order. A candidate whose text is
 * already used is passed over.
 */
function takeBalanced(
  pools: readonly Candidate[][],
  wanted: number,
  ask: (candidate: Candidate) => Asked | undefined,
): Asked[] {
  const taken: Asked[] = [];
  const next = pools.map(() => 0);
  let progress = true;
  while (taken.length < wanted && progress) {
    progress = false;
    for (let index = 0; index < pools.length && taken.length < wanted; index += 1) {
      const pool = pools[index]!;
      while (next[index]! < pool.length) {
        const asked = ask(pool[next[index]!]!);
        next[index]! += 1;
        if (asked !== undefined) {
          taken.push(asked);
          progress = true;
          break;
        }
      }
    }
  }
  return taken;
}

interface Asked {
  candidate: Candidate;
  template: string;
  text: string;
}

function toQuestion(asked: Asked, id: string, nameOf: ReadonlyMap<string, string>): WorldQuestion {
  const { candidate, template, text } = asked;
  const facts = candidate.facts;
  const answerId = facts.at(-1)!.objectId;
  return {
    id,
    question: text,
    goldenAnswers: [nameOf.get(answerId)!],
    metadata: {
      hops: facts.length,
      relations: facts.map((fact) => fact.relation),
      entityIds: [candidate.subject.id, ...facts.map((fact) => fact.objectId)],
      factIds: facts.map((fact) => fact.id),
      supportingPassageIds: facts.map((fact) => fact.passageId),
      searchQueries: facts.map((fact) => nameOf.get(fact.subjectId)!),
      template,
    },
  };
}

/** The subjects held out under the entity split: round(count × fraction) of each entity type, drawn uniformly. */
function heldOutSubjects(settings: WorldSettings, entities: readonly WorldEntity[]): Set<string> {
  const random = stageRandom(settings.seed, worldStages.split);
  const held = new Set<string>();
  for (const type of ['person', 'place', 'organisation', 'country'] as const) {
    const ids = random.shuffle(entities.filter((entity) => entity.type === type).map((entity) => entity.id));
    for (const id of ids.slice(0, Math.round(ids.length * settings.heldOutFraction))) held.add(id);
  }
  return held;
}

function shortage(
  hops: number,
  split: string,
  wanted: number,
  got: number,
  settings: WorldSettings,
): InvalidConfigError {
  return new InvalidConfigError(
    `questionsPerHop.${hops}`,
    `asked for ${wanted} ${split} ${hops}-hop questions, but this world has only ${got} ` +
      `(${settings.people} people, ${settings.places} places, ${settings.organisations} organisations, ${settings.countries} countries, ` +
      `split '${settings.split}', heldOutFraction ${settings.heldOutFraction}); ask for fewer questions or more entities`,
  );
}

/**
 * The questions of a world, train and held out. For each hop count `h`, `questionsPerHop[h]` questions are
 * drawn, `round(questionsPerHop[h] × heldOutFraction)` of them held out; each question's template is drawn
 * among its chain's. Then each split is shuffled and numbered (`train-0`, …, `heldout-0`, …).
 *
 * - `split: 'entity'`: a share `heldOutFraction` of each entity type is set aside first; held-out questions
 *   are about (name in their text) only those entities, train questions only the others. An entity asked
 *   about in held-out may still sit in the middle or at the end of a train chain.
 * - `split: 'question'`: the questions of a hop count are drawn together, shuffled, and the first ones held out.
 *
 * No question text is in both splits, nor twice in one. Too few possible questions is an `InvalidConfigError`.
 */
export function askQuestions(
  settings: WorldSettings,
  entities: readonly WorldEntity[],
  facts: readonly WorldFact[],
): { train: WorldQuestion[]; heldOut: WorldQuestion[] } {
  const random: PythonRandom = stageRandom(settings.seed, worldStages.questions);
  const pools = candidatePools(settings, entities, facts);
  for (const hops of hopCounts) for (const pool of pools.get(hops)!) random.shuffle(pool);

  const used = new Set<string>();
  const ask = (candidate: Candidate): Asked | undefined => {
    const template = pick(random, candidate.templates);
    const text = fillTemplate(template, { subject: candidate.subject.name });
    if (used.has(text)) return undefined;
    used.add(text);
    return { candidate, template, text };
  };

  const train: Asked[] = [];
  const heldOut: Asked[] = [];
  const held = settings.split === 'entity' ? heldOutSubjects(settings, entities) : undefined;
  for (const hops of hopCounts) {
    const wanted = settings.questionsPerHop[hops];
    const wantedHeldOut = Math.round(wanted * settings.heldOutFraction);
    const hopPools = pools.get(hops)!;
    if (held === undefined) {
      const taken = takeBalanced(hopPools, wanted, ask);
      if (taken.length < wanted) throw shortage(hops, 'train and held-out', wanted, taken.length, settings);
      random.shuffle(taken);
      heldOut.push(...taken.slice(0, wantedHeldOut));
      train.push(...taken.slice(wantedHeldOut));
    } else {
      const heldPools = hopPools.map((pool) => pool.filter((candidate) => held.has(candidate.subject.id)));
      const trainPools = hopPools.map((pool) => pool.filter((candidate) => !held.has(candidate.subject.id)));
      const takenHeldOut = takeBalanced(heldPools, wantedHeldOut, ask);
      if (takenHeldOut.length < wantedHeldOut)
        throw shortage(hops, 'held-out', wantedHeldOut, takenHeldOut.length, settings);
      const takenTrain = takeBalanced(trainPools, wanted - wantedHeldOut, ask);
      if (takenTrain.length < wanted - wantedHeldOut)
        throw shortage(hops, 'train', wanted - wantedHeldOut, takenTrain.length, settings);
      heldOut.push(...takenHeldOut);
      train.push(...takenTrain);
    }
  }

  const nameOf = new Map(entities.map((entity) => [entity.id, entity.name]));
  return {
    train: random.shuffle(train).map((asked, index) => toQuestion(asked, `train-${index}`, nameOf)),
    heldOut: random.shuffle(heldOut).map((asked, index) => toQuestion(asked, `heldout-${index}`, nameOf)),
  };
}
