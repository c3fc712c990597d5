import type { MatchDecision, PersonCandidate } from './decision.js';

/**
 * What re-linking does with one record of the match index once the model or the normalisation has
 * changed (pure; `carnet mpi relink` applies it, docs/mpi.md).
 *
 * The asymmetry is deliberate: a false merge mixes two people's records, a missed link only leaves a
 * record apart. So a link the current model would no longer make on its own is undone (the record gets a
 * Person of its own and its former Person is queued for review), while a new link is made only for a
 * record that is alone in its Person — never by moving a record out of a Person it shares. Links a
 * human made or confirmed, and records merged away (HL7 A40), are never touched; nor is any record of a
 * Person a human has linked a record into, since that human judged the Person as it stood.
 */
export interface RelinkSubject {
  readonly personId: string;
  readonly assurance: 'auto' | 'manual';
  readonly matchable: boolean;
  /** How many other records share its Person. */
  readonly siblings: number;
  /** Whether a human linked or confirmed one of those records into this Person. */
  readonly personReviewed: boolean;
}

export type RelinkAction =
  /** Nothing changes; `review` are possible matches to queue (none for a record left as it was). */
  | { readonly kind: 'keep'; readonly reason: 'reviewed' | 'merged' | 'still-linked' | 'still-alone'; readonly review: readonly PersonCandidate[] }
  /** A record alone in its Person now links automatically to another Person. */
  | { readonly kind: 'join'; readonly personId: string; readonly best: PersonCandidate; readonly review: readonly PersonCandidate[] }
  /** The model no longer links the record to its Person: it leaves for a Person of its own. */
  | { readonly kind: 'split'; readonly review: readonly PersonCandidate[] };

export function relinkAction(subject: RelinkSubject, decision: MatchDecision): RelinkAction {
  if (subject.assurance === 'manual') return { kind: 'keep', reason: 'reviewed', review: [] };
  if (!subject.matchable) return { kind: 'keep', reason: 'merged', review: [] };
  if (subject.personReviewed && subject.siblings > 0) return { kind: 'keep', reason: 'reviewed', review: [] };
  if (subject.siblings === 0) {
    if (decision.kind === 'link' && decision.personId !== subject.personId) {
      return { kind: 'join', personId: decision.personId, best: decision.best, review: decision.review };
    }
    return { kind: 'keep', reason: 'still-alone', review: decision.kind === 'review' ? decision.review : [] };
  }
  if (decision.kind === 'link' && decision.personId === subject.personId) return { kind: 'keep', reason: 'still-linked', review: [] };
  // Linked elsewhere with certainty, held back by a guard, or below the thresholds: the record leaves, and
  // every Person it might belong to (its former one first) waits for a human.
  const review = decision.kind === 'new' ? [] : decision.kind === 'link' ? [decision.best, ...decision.review] : decision.review;
  return { kind: 'split', review };
}
