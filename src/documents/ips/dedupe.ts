import type { Resource } from '@medplum/fhirtypes';
import { conceptKeys, type Json } from './facts.js';

/**
 * Two sources of one person often report the same fact: the clinic's problem list and the hospital's
 * discharge diagnoses, the pharmacy's and the clinic's record of a flu shot. A fact's keys say what it
 * is (its codes, and for events its day); the first candidate of a set of duplicates is kept, so callers
 * order candidates by preference (most recent first).
 */
export function dedupe<T>(candidates: readonly T[], keysOf: (candidate: T) => readonly string[]): T[] {
  const seen = new Set<string>();
  const kept: T[] = [];
  for (const candidate of candidates) {
    const keys = keysOf(candidate);
    if (keys.length > 0 && keys.some((k) => seen.has(k))) continue;
    for (const k of keys) seen.add(k);
    kept.push(candidate);
  }
  return kept;
}

/** Keys of a coded fact: any shared code makes two the same (SNOMED CT in one, ICD-10-CA too in the other). */
export const sameConcept = (path: string) => (r: Resource): string[] => conceptKeys((r as unknown as Json)[path]);

/** Keys of a coded event: the same code on the same day. */
export const sameConceptSameDay = (path: string, date: (r: Resource) => string | undefined) => (r: Resource): string[] => {
  const day = date(r)?.slice(0, 10) ?? '';
  return conceptKeys((r as unknown as Json)[path]).map((k) => `${k}@${day}`);
};

/**
 * The latest candidate per analyte (per code): candidates must be ordered most recent first. Two sources
 * reporting the same measurement collapse to one by construction.
 */
export function latestPerAnalyte<T extends Resource>(candidates: readonly T[], path = 'code'): T[] {
  return dedupe(candidates, sameConcept(path));
}
