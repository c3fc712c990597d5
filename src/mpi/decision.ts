import { COMPARATORS, distinctNams, namesakeNams, namKeystroke, sequenceTypo } from './comparators.js';
import { isQuebecNam, namMatchesOwnDate } from './nam.js';
import { GIVEN_AGREES } from './name-comparators.js';
import { compileModel, twinSignature, type CompiledModel, type MatchModel, type PairScore } from './model.js';
import type { MatchRecord } from './record.js';

/**
 * The decision for an incoming record, from its scores against the records of candidate persons (pure).
 *
 * - one person at or above the upper threshold, and no guard against it: link automatically;
 * - otherwise, any person at or above the lower threshold: the record starts a new person and each such
 *   person is queued for human review (nothing is linked on a guess);
 * - otherwise: a new person.
 *
 * Guards that turn an automatic link into a review, because a wrong merge is the worst error an MPI makes:
 * two persons above the upper threshold (ambiguous), a given name or a date of birth that plainly differs
 * (twins and other household members agree on everything else) or is missing, unless the same health-insurance number
 * vouches for the record, a different health-insurance number
 * without overwhelming other evidence (never for Québec NAMs differing only in their sequence digits,
 * which is how namesakes born the same day differ), a person that a
 * human already said is not this record's person, and a person that already has another record from the
 * same source system (a duplicate within one source is a merge decision, not a link).
 */
/**
 * A candidate record with its score. For persons that reach the upper threshold, callers pass every
 * record of the person (not only those blocking retrieved), so that guards see all of its NAMs.
 */
export interface ScoredCandidate {
  readonly record: MatchRecord;
  readonly personId: string;
  readonly score: PairScore;
}

export interface PersonCandidate {
  readonly personId: string;
  readonly weight: number;
  /** The candidate person's record that scored best. */
  readonly recordId: string;
  readonly score: PairScore;
  /** Why an automatic link was not made, when the weight alone would have allowed it. */
  readonly guard?: Guard;
}

export type Guard =
  | 'ambiguous' | 'missing-key-field' | 'nam-conflict' | 'given-name-differs' | 'birth-date-differs' | 'possible-twin'
  | 'sex-differs' | 'suffix-differs' | 'rejected-before' | 'same-source';

export type MatchDecision =
  | { readonly kind: 'link'; readonly personId: string; readonly best: PersonCandidate; readonly review: readonly PersonCandidate[] }
  | { readonly kind: 'review'; readonly review: readonly PersonCandidate[] }
  | { readonly kind: 'new' };

export interface DecisionGuards {
  /** Persons a human decided are not this record's person. */
  readonly rejectedPersons?: ReadonlySet<string>;
  /** Whether a second record from the same source blocks an automatic link (default true). */
  readonly sameSourceGuard?: boolean;
  /** Most candidates kept for review. */
  readonly maxReview?: number;
  /**
   * Whether a missing given name, family name or date of birth blocks an automatic link (unless the NAM
   * agrees). Default true: without them namesakes, twins and Jr/Sr are indistinguishable.
   */
  readonly keyFieldGuard?: boolean;
}

export function bestPerPerson(candidates: readonly ScoredCandidate[]): Map<string, ScoredCandidate> {
  const best = new Map<string, ScoredCandidate>();
  for (const c of candidates) {
    const current = best.get(c.personId);
    if (!current || c.score.weight > current.score.weight) best.set(c.personId, c);
  }
  return best;
}

const compiledModels = new WeakMap<MatchModel, CompiledModel>();
function compiledOf(model: MatchModel): CompiledModel {
  let c = compiledModels.get(model);
  if (!c) compiledModels.set(model, (c = compileModel(model)));
  return c;
}

/** Birth years this far apart, names agreeing: a parent and a child of the same name (Jr/Sr). */
const GENERATION_YEARS = 10;

/**
 * Years between two dates of birth, except a year whose last two digits are swapped (1958/1985, day and
 * month agreeing): that is a keystroke, not a generation.
 */
function yearsApart(a: MatchRecord, b: MatchRecord): number {
  if (!a.birthDate || !b.birthDate) return 0;
  const [ya, yb] = [a.birthDate.slice(0, 4), b.birthDate.slice(0, 4)];
  const swapped = ya.slice(0, 2) === yb.slice(0, 2) && ya[2] === yb[3] && ya[3] === yb[2] && a.birthDate.slice(4) === b.birthDate.slice(4);
  return swapped ? 0 : Math.abs(Number(ya) - Number(yb));
}

/**
 * Whether one shared NAM may vouch for a differing key field: a Québec NAM encodes the date of birth, so
 * one that encodes the date of only one of the two records is one person's number copied onto another's
 * record (a newborn under the mother's number, a son under his father's), not evidence of one person.
 */
function sharedNamFits(record: MatchRecord, other: MatchRecord): boolean {
  if (!isQuebecNam(record.nam)) return true;
  return namMatchesOwnDate(record) !== false && namMatchesOwnDate(other) !== false;
}

/** Guards that say the candidate person is someone else (a relative, a namesake), not that it is unsure. */
const SOMEONE_ELSE: ReadonlySet<Guard | undefined> = new Set<Guard | undefined>([
  'rejected-before', 'suffix-differs', 'given-name-differs', 'birth-date-differs', 'possible-twin', 'sex-differs', 'nam-conflict',
]);

export function decide(record: MatchRecord, candidates: readonly ScoredCandidate[], model: MatchModel, guards: DecisionGuards = {}): MatchDecision {
  const index = (field: string) => model.fields.findIndex((f) => f.field === field);
  const compiled = compiledOf(model);
  const namIndex = index('nam');
  const givenIndex = index('given');
  const birthIndex = index('birthDate');
  const sexIndex = index('sex');
  const suffixIndex = index('suffix');
  const isLast = (c: ScoredCandidate, i: number, levels: number) => i >= 0 && c.score.levels[i] === levels - 1;
  const level = (c: ScoredCandidate, i: number) => (i >= 0 ? c.score.levels[i] ?? null : null);
  const sameSourceGuard = guards.sameSourceGuard ?? true;
  const maxReview = guards.maxReview ?? 5;
  const persons = [...bestPerPerson(candidates).values()]
    .filter((c) => c.score.weight >= model.lower)
    .sort((a, b) => b.score.weight - a.score.weight || a.personId.localeCompare(b.personId));
  if (persons.length === 0) return { kind: 'new' };

  const sourceConflict = (personId: string) =>
    sameSourceGuard && record.source !== undefined &&
    candidates.some((c) => c.personId === personId && c.record.source === record.source && c.record.id !== record.id);
  const certain = persons.filter((c) => c.score.weight >= model.upper);
  const toCandidate = (c: ScoredCandidate, guard?: Guard): PersonCandidate => ({
    personId: c.personId, weight: c.score.weight, recordId: c.record.id, score: c.score, ...(guard ? { guard } : {}),
  });
  // The guards of one person on its own (ambiguity aside).
  const ownGuardOf = (c: ScoredCandidate): Guard | undefined => {
    if (guards.rejectedPersons?.has(c.personId)) return 'rejected-before';
    // The same health-insurance number vouches for one differing key field (a clerical error), never two:
    // a newborn registered under the mother's number differs in both.
    const givenDiffers = isLast(c, givenIndex, 5);
    const parentChild = (level(c, givenIndex) ?? 0) <= GIVEN_AGREES && yearsApart(record, c.record) >= GENERATION_YEARS;
    const birthDiffers = isLast(c, birthIndex, 5) || parentChild;
    const namExact = level(c, namIndex) === 0;
    // The same number, or one mistyped where only a typo explains it (a Québec NAM read by its structure,
    // other numbers only with two characters swapped: see namKeystroke), vouches for one differing key field.
    const sameNumber = namExact || (level(c, namIndex) === 1 && namKeystroke(record, c.record));
    const namVouches = sameNumber && !(givenDiffers && birthDiffers) && sharedNamFits(record, c.record);
    // Jr against Sr is a son and his father, whatever else agrees (they may share a NAM by mistake too).
    if (level(c, suffixIndex) === 1) return 'suffix-differs';
    // Family name and date of birth alone are shared by namesakes born the same day (3 Tremblays a day in
    // Québec): an automatic link needs given name, family name and date of birth on both sides, unless
    // the NAM agrees (exactly, or one character off where only a typo explains it).
    const missingKey = [givenIndex, index('family'), birthIndex].some((i) => i >= 0 && c.score.levels[i] === null);
    const namAgrees = (level(c, namIndex) ?? 2) <= 1;
    if (missingKey && (guards.keyFieldGuard ?? true) && !namAgrees) return 'missing-key-field';
    if (givenDiffers && !namVouches) return 'given-name-differs';
    if (birthDiffers && !namVouches) return 'birth-date-differs';
    // Twins: family name and date of birth agree, given names do not (a typo looks the same) — no
    // automatic link on demographics alone, whatever the household fields say.
    if (twinSignature(compiled, c.score.levels)) return 'possible-twin';
    // Twins of opposite sex: sex disagreement is never outweighed by demographics alone.
    if (level(c, sexIndex) === 1 && !namExact) return 'sex-differs';
    // Any record of the person (not only the best-scoring one) whose NAM differs speaks against it.
    const conflicting = namIndex >= 0 ? candidates.filter((o) => o.personId === c.personId && COMPARATORS.nam.compare(record, o.record) === 2) : [];
    // Namesakes born the same day (their NAMs differ only in the sequence character, unless everything
    // else including the home agrees: then it is that character mistyped), or two numbers each its own
    // holder's: never linked automatically, whatever the weight.
    if (conflicting.some((o) => (namesakeNams(record.nam, o.record.nam) && !sequenceTypo(record, o.record)) || distinctNams(record, o.record))) return 'nam-conflict';
    if (conflicting.length > 0 && c.score.weight < model.upper + model.namConflictMargin) return 'nam-conflict';
    if (sourceConflict(c.personId)) return 'same-source';
    return undefined;
  };
  // A person above the upper threshold that a guard shows to be someone else (a father against his son
  // of the same name, a twin, a different NAM) does not make the record ambiguous: only persons that
  // could be this record's person compete. Missing key fields and a second record of the same source
  // leave a person in the running.
  const ownGuards = new Map(certain.map((c) => [c, ownGuardOf(c)]));
  const contenders = certain.filter((c) => !SOMEONE_ELSE.has(ownGuards.get(c) as Guard));
  const guardOf = (c: ScoredCandidate): Guard | undefined => (contenders.length > 1 && contenders.includes(c) ? 'ambiguous' : ownGuards.get(c) ?? ownGuardOf(c));
  const reviewable = persons.filter((c) => !guards.rejectedPersons?.has(c.personId));
  const top = contenders[0];
  if (top && !guardOf(top)) {
    const review = reviewable.filter((c) => c !== top).slice(0, maxReview).map((c) => toCandidate(c));
    return { kind: 'link', personId: top.personId, best: toCandidate(top), review };
  }
  const review = reviewable.slice(0, maxReview).map((c) => toCandidate(c, c.score.weight >= model.upper ? guardOf(c) : undefined));
  return review.length > 0 ? { kind: 'review', review } : { kind: 'new' };
}
