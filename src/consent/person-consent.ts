import type { ConsentRule } from './rules.js';

/**
 * Consent is per person (pure): a Consent written on any of a person's source records governs every one
 * of them — and the Person resource, their other records' identifiers, `$match` results, and records the
 * MPI links later. The rules of a resource are therefore those of every source record linked to the same
 * Person as the resource's own record (visibility-sql.ts compiles exactly this; consent-store.ts loads it).
 *
 * When two sources' consents conflict, the stricter wins: the decision (decide.ts) applies every deny
 * before it looks at what opens, so a deny from one source (an opt-out, a hidden category, an excluded
 * organisation) beats an opening from another — after a merge of two Persons as well, until the person
 * changes or withdraws one of them. An opening with no contradicting deny applies to the whole person: it
 * is the same person's decision. When the Persons are split again (unlink, unmerge), each record keeps the
 * consents written on it, because a rule stays attached to the record its Consent names.
 */
export interface SourceConsent {
  /** The source Patient the Consent names (`Consent.patient`). */
  readonly patientId: string;
  readonly rules: readonly ConsentRule[];
}

/** The rules governing the resources of a person made of these source records (denies first, as decided). */
export function personRules(sources: readonly SourceConsent[]): ConsentRule[] {
  const seen = new Set<string>();
  const rules: ConsentRule[] = [];
  for (const source of sources) {
    for (const rule of source.rules) {
      // One Consent compiles to several rules; the same Consent is never counted twice.
      const key = JSON.stringify(rule);
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push(rule);
    }
  }
  return [...rules.filter((r) => r.effect === 'deny'), ...rules.filter((r) => r.effect !== 'deny')];
}
