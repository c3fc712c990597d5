import { CARNET_BIRTH_DATE_RANGE } from '../../fhir/code-systems.js';
import { yearOf } from './dates.js';

/**
 * The k-anonymity check of a release (pure). The quasi-identifiers are those a de-identified Patient still
 * carries: birth year, administrative gender and the postal prefix (FSA). Every released person must share
 * them with at least k − 1 others. The check walks a generalisation ladder — birth years in wider bands,
 * then the FSA cut to its region, then dropped — and takes the first level at which the persons in classes
 * smaller than k are at most `maxSuppressed` of the release; those persons are then suppressed (left out
 * with all their resources). Ages above the profile's top age are one class ("born in or before year Y").
 */
export interface Level {
  /** Width of the birth-year bands (1: the year; 0: not released). */
  readonly birthBand: number;
  /** Characters of the postal code released (3: the FSA; 1: its region; 0: none). */
  readonly postal: number;
  readonly description: string;
}

export const LADDER: readonly Level[] = [
  { birthBand: 1, postal: 3, description: 'birth year, gender, FSA' },
  { birthBand: 5, postal: 3, description: 'birth year in 5-year bands, gender, FSA' },
  { birthBand: 10, postal: 3, description: 'birth year in 10-year bands, gender, FSA' },
  { birthBand: 10, postal: 1, description: 'birth year in 10-year bands, gender, postal region (first character)' },
  { birthBand: 10, postal: 0, description: 'birth year in 10-year bands, gender' },
  { birthBand: 0, postal: 0, description: 'gender only' },
];

export interface QuasiIdentifiers {
  readonly birthYear?: number;
  readonly gender?: string;
  readonly postal?: string;
}

type Json = Record<string, unknown>;

/** The quasi-identifiers of a Patient as released by the profile (before generalisation). */
export function quasiIdentifiers(patient: Json): QuasiIdentifiers {
  const address = Array.isArray(patient.address) ? (patient.address[0] as Json | undefined) : undefined;
  const birthYear = yearOf(patient.birthDate);
  return {
    ...(birthYear !== undefined ? { birthYear } : {}),
    ...(typeof patient.gender === 'string' ? { gender: patient.gender } : {}),
    ...(typeof address?.postalCode === 'string' ? { postal: address.postalCode } : {}),
  };
}

/** The birth years a generalised value stands for: [low, high] (low undefined: "in or before high"). */
function band(year: number, level: Level, topYear: number): [number | undefined, number] | undefined {
  if (level.birthBand === 0) return undefined;
  if (year <= topYear) return [undefined, topYear];
  const low = year - (((year % level.birthBand) + level.birthBand) % level.birthBand);
  return [Math.max(low, topYear + 1), low + level.birthBand - 1];
}

/** The equivalence class of a person at one level, as a key. */
export function classKey(qi: QuasiIdentifiers, level: Level, topYear: number): string {
  const years = qi.birthYear === undefined ? undefined : band(qi.birthYear, level, topYear);
  return [years ? `${years[0] ?? ''}-${years[1]}` : '', qi.gender ?? '', (qi.postal ?? '').slice(0, level.postal)].join('|');
}

export interface KPlan {
  readonly k: number;
  /** Index in LADDER of the level released. */
  readonly level: number;
  /** Classes (keys at that level) whose persons are suppressed. */
  readonly suppressedClasses: readonly string[];
  readonly suppressedPersons: number;
  readonly persons: number;
  /** The smallest class released (undefined: nobody released). */
  readonly kReached?: number;
  readonly classes: number;
}

/**
 * Chooses the level and the suppression. `classes0` counts persons by their key at level 0 with the
 * quasi-identifiers kept alongside (classKey of any level is computed from them).
 */
export function planK(persons: ReadonlyMap<string, { qi: QuasiIdentifiers; n: number }>, k: number, maxSuppressed: number, topYear: number): KPlan {
  const total = [...persons.values()].reduce((s, c) => s + c.n, 0);
  let chosen: KPlan | undefined;
  for (let l = 0; l < LADDER.length && !chosen; l++) {
    const level = LADDER[l] as Level;
    const sizes = new Map<string, number>();
    for (const { qi, n } of persons.values()) {
      const key = classKey(qi, level, topYear);
      sizes.set(key, (sizes.get(key) ?? 0) + n);
    }
    const small = [...sizes].filter(([, n]) => n < k);
    const suppressedPersons = small.reduce((s, [, n]) => s + n, 0);
    const released = [...sizes.values()].filter((n) => n >= k);
    if (suppressedPersons <= maxSuppressed * total || l === LADDER.length - 1) {
      chosen = {
        k, level: l, suppressedClasses: small.map(([key]) => key).sort(), suppressedPersons, persons: total,
        ...(released.length > 0 ? { kReached: Math.min(...released) } : {}), classes: released.length,
      };
    }
  }
  return chosen as KPlan;
}

/**
 * A released Patient generalised to the plan's level: the birth date as a year, or a range of years in an
 * extension (a FHIR date cannot say "1970–1974" or "1936 or before"), and the postal code cut.
 */
export function generalise(patient: Json, level: Level, topYear: number): { patient: Json; generalised: boolean } {
  const out: Json = { ...patient };
  let generalised = false;
  const year = yearOf(patient.birthDate);
  if (year !== undefined) {
    const years = band(year, level, topYear);
    if (!years || years[0] !== years[1]) {
      delete out.birthDate;
      generalised = true;
      if (years) {
        const range = { url: CARNET_BIRTH_DATE_RANGE, valuePeriod: { ...(years[0] !== undefined ? { start: String(years[0]) } : {}), end: String(years[1]) } };
        out.extension = [...((patient.extension as unknown[] | undefined) ?? []), range];
      }
    }
  }
  if (Array.isArray(patient.address) && level.postal < 3) {
    out.address = patient.address.map((a: Json) => {
      if (typeof a.postalCode !== 'string') return a;
      generalised = true;
      const { postalCode, ...rest } = a;
      return level.postal > 0 ? { ...rest, postalCode: postalCode.slice(0, level.postal) } : rest;
    }).filter((a: Json) => Object.keys(a).length > 0);
    if ((out.address as unknown[]).length === 0) delete out.address;
  }
  return { patient: out, generalised };
}
