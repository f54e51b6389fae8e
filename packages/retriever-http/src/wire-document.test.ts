import { describe, expect, it } from 'vitest';
import { wireDocumentSchema, wireDocumentToPassage } from './wire-document';

describe('wireDocumentToPassage', () => {
  it.each([
    [{ id: '1', contents: '"T"\nbody' }, 0.5, { id: '1', contents: '"T"\nbody', score: 0.5 }],
    [{ id: 7, contents: 'x' }, null, { id: '7', contents: 'x' }],
    [{ id: '1', contents: 'kept', title: 'ignored', text: 'ignored' }, undefined, { id: '1', contents: 'kept' }],
    [
      { id: '2', title: 'Evan Morris', text: 'Evan L. Morris was a lobbyist.' },
      3,
      { id: '2', contents: '"Evan Morris"\nEvan L. Morris was a lobbyist.', score: 3 },
    ],
    [{ id: '3', text: 'only text' }, undefined, { id: '3', contents: 'only text' }],
    [{ id: '4', title: 'Empty', text: '' }, undefined, { id: '4', contents: '"Empty"\n' }],
  ])('%j (score %j) -> %j', (document, score, passage) => {
    expect(wireDocumentToPassage(wireDocumentSchema.parse(document), score)).toEqual(passage);
  });

  it('gives a document without an id a stable id from its contents', () => {
    const a = wireDocumentToPassage(wireDocumentSchema.parse({ contents: 'same' }), undefined);
    const b = wireDocumentToPassage(wireDocumentSchema.parse({ title: 'x', text: 'y' }), undefined);
    // sha256("same") = 0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5 (coreutils sha256sum)
    expect(a.id).toBe('sha256:0967115f2813a354');
    expect(wireDocumentToPassage(wireDocumentSchema.parse({ contents: 'same' }), undefined).id).toBe(a.id);
    expect(b.id).not.toBe(a.id);
  });
});
