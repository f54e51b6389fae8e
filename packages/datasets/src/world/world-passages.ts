import type { Passage } from '@research-ts/spec';
import { formatPassageContents } from '../passage-contents';
import type { FactDraft } from './world-facts';
import { fillTemplate } from './world-facts';
import type { WorldSettings } from './world-options';
import { pick, stageRandom, worldStages } from './world-random';
import type { WorldEntity, WorldFact } from './world-types';

/**
 * Writes the passages of every entity, in entity order, and places each fact in one of them. An entity
 * with `f` facts gets `n = min(passagesPerEntity, max(1, f))` passages, ids `${entity.id}:0` … `:${n - 1}`,
 * all titled with its name; each starts with an intro sentence (`Tessik Guild is a company.`, one template
 * drawn per passage) and passage `k` states the entity's facts `k, k + n, k + 2n, …` (relation order).
 * So the fact `subject —relation→ object` is always in a passage titled with the subject's name. Sets
 * `entity.passageIds` and returns the facts in draft order.
 */
export function writePassages(
  settings: WorldSettings,
  entities: readonly WorldEntity[],
  drafts: readonly FactDraft[],
): { passages: Passage[]; facts: WorldFact[] } {
  const random = stageRandom(settings.seed, worldStages.passages);
  const draftsBySubject = new Map<WorldEntity, FactDraft[]>();
  for (const draft of drafts) {
    const list = draftsBySubject.get(draft.subject);
    if (list === undefined) draftsBySubject.set(draft.subject, [draft]);
    else list.push(draft);
  }
  const passageOf = new Map<FactDraft, string>();
  const passages: Passage[] = [];
  for (const entity of entities) {
    const own = draftsBySubject.get(entity) ?? [];
    const count = Math.min(settings.passagesPerEntity, Math.max(1, own.length));
    entity.passageIds = [];
    for (let part = 0; part < count; part += 1) {
      const id = `${entity.id}:${part}`;
      const sentences = [fillTemplate(pick(random, settings.introTemplates[entity.type]), { subject: entity.name })];
      for (let index = part; index < own.length; index += count) {
        sentences.push(own[index]!.sentence);
        passageOf.set(own[index]!, id);
      }
      entity.passageIds.push(id);
      passages.push({ id, contents: formatPassageContents(entity.name, sentences.join(' ')) });
    }
  }
  const facts = drafts.map((draft) => ({
    id: `${draft.subject.id}/${draft.relation}`,
    relation: draft.relation,
    subjectId: draft.subject.id,
    objectId: draft.object.id,
    sentence: draft.sentence,
    passageId: passageOf.get(draft)!,
  }));
  return { passages, facts };
}
