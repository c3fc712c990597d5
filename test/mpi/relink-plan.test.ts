import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MatchDecision, PersonCandidate } from '../../src/mpi/decision.js';
import { relinkAction } from '../../src/mpi/relink-plan.js';

const candidate = (personId: string, weight: number, guard?: PersonCandidate['guard']): PersonCandidate => ({
  personId, weight, recordId: `rec-of-${personId}`, score: { weight, levels: [], transposed: false }, ...(guard ? { guard } : {}),
});
const link = (personId: string, review: PersonCandidate[] = []): MatchDecision => ({ kind: 'link', personId, best: candidate(personId, 30), review });
const auto = (siblings: number) => ({ personId: 'P', assurance: 'auto' as const, matchable: true, siblings, personReviewed: false });

describe('MPI relink plan (pure)', () => {
  test('links a person made or confirmed are kept whatever the model now says', () => {
    const action = relinkAction({ ...auto(1), assurance: 'manual' }, { kind: 'new' });
    assert.deepEqual(action, { kind: 'keep', reason: 'reviewed', review: [] });
  });

  test('no record of a Person a human linked a record into is moved: that human judged the Person as it stood', () => {
    assert.deepEqual(relinkAction({ ...auto(1), personReviewed: true }, { kind: 'new' }), { kind: 'keep', reason: 'reviewed', review: [] });
  });

  test('a record merged away (HL7 A40) is never re-linked', () => {
    assert.equal(relinkAction({ ...auto(1), matchable: false }, link('Q')).kind, 'keep');
  });

  test('an automatic link the model still makes is kept, without a new review item', () => {
    assert.deepEqual(relinkAction(auto(2), link('P', [candidate('R', 9)])), { kind: 'keep', reason: 'still-linked', review: [] });
  });

  test('an automatic link the model now holds back (twins) is undone into review', () => {
    const twin = candidate('P', 31, 'possible-twin');
    assert.deepEqual(relinkAction(auto(1), { kind: 'review', review: [twin] }), { kind: 'split', review: [twin] });
  });

  test('an automatic link now below both thresholds is undone (the service adds the former person to review)', () => {
    assert.deepEqual(relinkAction(auto(1), { kind: 'new' }), { kind: 'split', review: [] });
  });

  test('a shared record the model would now link elsewhere is not moved on its own: it is undone into review of both', () => {
    const action = relinkAction(auto(1), link('Q', [candidate('P', 12)]));
    assert.equal(action.kind, 'split');
    assert.deepEqual(action.kind === 'split' && action.review.map((c) => c.personId), ['Q', 'P']);
  });

  test('a record alone in its person joins the person it now matches automatically', () => {
    const action = relinkAction(auto(0), link('Q', [candidate('R', 10)]));
    assert.equal(action.kind, 'join');
    assert.equal(action.kind === 'join' && action.personId, 'Q');
    assert.deepEqual(action.kind === 'join' && action.review.map((c) => c.personId), ['R']);
  });

  test('a record alone stays alone when the model is unsure, its possible matches go to review', () => {
    const maybe = candidate('Q', 8);
    assert.deepEqual(relinkAction(auto(0), { kind: 'review', review: [maybe] }), { kind: 'keep', reason: 'still-alone', review: [maybe] });
    assert.deepEqual(relinkAction(auto(0), { kind: 'new' }), { kind: 'keep', reason: 'still-alone', review: [] });
  });
});
