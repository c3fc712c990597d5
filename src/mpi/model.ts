import { COMPARATORS, type FieldName } from './comparators.js';
import { GIVEN_AGREES } from './name-comparators.js';
import type { MatchRecord } from './record.js';

/**
 * A Fellegi–Sunter model: for each compared field, the probability of each comparison level among true
 * matches (m) and among non-matches (u). The evidence of a level is log2(m/u) bits; a pair's match weight
 * is the sum over fields (missing values add nothing). Decisions compare that weight to two thresholds.
 */
export interface FieldModel {
  readonly field: FieldName;
  readonly m: readonly number[];
  readonly u: readonly number[];
}

export interface MatchModel {
  readonly fields: readonly FieldModel[];
  /** Weight (bits) at or above which a record is linked automatically. */
  readonly upper: number;
  /** Weight (bits) at or above which a pair goes to human review (below: a different person). */
  readonly lower: number;
  /** Bits subtracted when the names only agree once given and family names are swapped. */
  readonly transpositionPenalty: number;
  /** A differing health-insurance number allows an automatic link only at upper + this many bits. */
  readonly namConflictMargin: number;
  /**
   * Contact fields (postal code, phone, street, city, e-mail) are shared by a whole household, so their
   * agreements are not independent evidence: together they add at most this many bits.
   */
  readonly householdCap: number;
  /**
   * Bits subtracted from a pair whose family names and date of birth agree while the given names do not
   * and no NAM agrees exactly: the signature of twins (and of siblings registered on one date), whatever
   * the household fields say. A typo in one given name looks the same, so such pairs go to review.
   */
  readonly twinPenalty: number;
  /** Prior probability that a blocked candidate pair is a match; only used to express weights as 0–1 scores. */
  readonly prior: number;
}

export interface PairScore {
  readonly weight: number;
  /** Comparison level per field of the model (null: a value was missing). */
  readonly levels: readonly (number | null)[];
  readonly transposed: boolean;
}

export interface CompiledModel {
  readonly model: MatchModel;
  /** weights[f][level] = log2(m/u). */
  readonly weights: readonly (readonly number[])[];
  readonly givenIndex: number;
  readonly familyIndex: number;
  readonly birthIndex: number;
  readonly namIndex: number;
  /** Whether field i is a household (contact) field. */
  readonly household: readonly boolean[];
}

const FLOOR = 1e-9;

export function compileModel(model: MatchModel): CompiledModel {
  for (const f of model.fields) {
    const n = COMPARATORS[f.field].levels.length;
    if (f.m.length !== n || f.u.length !== n) throw new Error(`Model field ${f.field} needs ${n} m and u values`);
  }
  if (model.lower > model.upper) throw new Error('The lower threshold must not exceed the upper threshold');
  return {
    model,
    weights: model.fields.map((f) => f.m.map((m, i) => Math.log2(Math.max(m, FLOOR) / Math.max(f.u[i] as number, FLOOR)))),
    givenIndex: model.fields.findIndex((f) => f.field === 'given'),
    familyIndex: model.fields.findIndex((f) => f.field === 'family'),
    birthIndex: model.fields.findIndex((f) => f.field === 'birthDate'),
    namIndex: model.fields.findIndex((f) => f.field === 'nam'),
    household: model.fields.map((f) => HOUSEHOLD_FIELDS.has(f.field)),
  };
}

/** The levels of every field of the model for one pair. */
export function comparisonVector(model: MatchModel, a: MatchRecord, b: MatchRecord): (number | null)[] {
  return model.fields.map((f) => COMPARATORS[f.field].compare(a, b));
}

const HOUSEHOLD_FIELDS = new Set(['postalCode', 'phone', 'street', 'city', 'email']);

/** NAM exact, or one character off where only a typo explains it (twins' NAMs never are: see comparators.ts). */
const namAgrees = (level: number | null) => level !== null && level <= 1;

/**
 * The twins signature in a comparison vector: family name agreeing (exact, a typo or a compound reduced),
 * date of birth exact or one keystroke off, given names disagreeing (a typo included: Mathis/Mathias), and
 * no NAM agreement.
 */
export function twinSignature(compiled: CompiledModel, levels: readonly (number | null)[]): boolean {
  const at = (i: number) => (i < 0 ? null : levels[i] ?? null);
  const given = at(compiled.givenIndex);
  const family = at(compiled.familyIndex);
  const birth = at(compiled.birthIndex);
  return given !== null && given > GIVEN_AGREES && family !== null && family <= 2 && birth !== null && birth <= 1 && !namAgrees(at(compiled.namIndex));
}

function weightOf(compiled: CompiledModel, levels: readonly (number | null)[]): number {
  let w = twinSignature(compiled, levels) ? -compiled.model.twinPenalty : 0;
  let household = 0;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === null || level === undefined) continue;
    const bits = (compiled.weights[i] as number[])[level] as number;
    if (bits > 0 && compiled.household[i]) household += bits;
    else w += bits;
  }
  return w + Math.min(household, compiled.model.householdCap);
}

function swapped(record: MatchRecord): MatchRecord {
  return { ...record, given: record.family[0] ?? [], family: record.given.length ? [record.given] : [] };
}

/** Scores a pair; names are also tried with given and family swapped (a frequent clerical error). */
export function scorePair(compiled: CompiledModel, a: MatchRecord, b: MatchRecord): PairScore {
  const levels = comparisonVector(compiled.model, a, b);
  const weight = weightOf(compiled, levels);
  const { givenIndex: gi, familyIndex: fi } = compiled;
  if (gi < 0 || fi < 0) return { weight, levels, transposed: false };
  const given = levels[gi];
  const family = levels[fi];
  // Only a record with both names on both sides can have them swapped.
  const complete = (r: MatchRecord) => r.given.length > 0 && r.family.length > 0;
  if (given === null || family === null || (given <= GIVEN_AGREES && family <= 1) || !complete(a) || !complete(b)) {
    return { weight, levels, transposed: false };
  }
  const swap = swapped(a);
  const swappedLevels = [...levels];
  swappedLevels[gi] = COMPARATORS.given.compare(swap, b);
  swappedLevels[fi] = COMPARATORS.family.compare(swap, b);
  const swappedWeight = weightOf(compiled, swappedLevels) - compiled.model.transpositionPenalty;
  if (swappedWeight > weight) return { weight: swappedWeight, levels: swappedLevels, transposed: true };
  return { weight, levels, transposed: false };
}

/** A weight as a 0–1 match probability, given the model's prior (for `search.score`). */
export function probabilityOf(model: MatchModel, weight: number): number {
  const priorBits = Math.log2(model.prior / (1 - model.prior));
  return 1 / (1 + 2 ** -(weight + priorBits));
}
