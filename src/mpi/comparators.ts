import { compareFamily, compareGiven, phonetic } from './name-comparators.js';
import { isQuebecNam, namDate, namDifference, namMatchesOwnDate, namParts, shortDate } from './nam.js';
import type { MatchRecord } from './record.js';
import { editDistance, jaroWinkler } from './strings.js';

export { phonetic };

/**
 * Field comparators: each maps a pair of records to a comparison level — 0 is the strongest agreement,
 * the last level is disagreement — or null when either side lacks the value (no evidence either way).
 * The levels and their labels are fixed here; their m/u probabilities live in the model.
 */
export type FieldName =
  | 'given' | 'family' | 'suffix' | 'birthDate' | 'sex' | 'postalCode' | 'phone' | 'nam' | 'city' | 'street' | 'email';

export interface Comparator {
  readonly field: FieldName;
  /** Human labels of the levels, strongest first; the last is "disagrees". */
  readonly levels: readonly string[];
  compare(a: MatchRecord, b: MatchRecord): number | null;
}

/**
 * Whether `holder`'s NAM encodes `other`'s date of birth but not the holder's own, the two dates a couple
 * of keystrokes apart: the holder's date is mistyped. (Far-apart dates are left alone: a number copied
 * from a parent's card onto a child's record encodes the parent's date.)
 */
function namExplainsDate(holder: MatchRecord, other: MatchRecord): boolean {
  const p = namParts(holder.nam);
  if (!p || !holder.birthDate || !other.birthDate) return false;
  if (editDistance(holder.birthDate.replace(/-/g, ''), other.birthDate.replace(/-/g, ''), 2) > 2) return false;
  const encoded = namDate(p);
  return encoded === shortDate(other.birthDate) && encoded !== shortDate(holder.birthDate);
}

/**
 * Dates of birth: 0 exact · 1 day and month swapped, one keystroke in the day or month, or a difference
 * that one record's own NAM shows to be a typo · 2 one keystroke in the year (1978/1987, 1978/1979),
 * day and month agreeing · 3 two of year, month, day · 4 different.
 */
function compareBirthDate(a: MatchRecord, b: MatchRecord): number | null {
  const da = a.birthDate;
  const db = b.birthDate;
  if (!da || !db) return null;
  if (da === db) return 0;
  const [ya, ma, dda] = da.split('-') as [string, string, string];
  const [yb, mb, ddb] = db.split('-') as [string, string, string];
  if (ya === yb && ma === ddb && dda === mb) return 1; // day and month swapped (US vs Canadian order)
  if (ya === yb && editDistance(ma + dda, mb + ddb, 1) <= 1) return 1;
  if (namExplainsDate(a, b) || namExplainsDate(b, a)) return 1;
  if (ma === mb && dda === ddb && editDistance(ya, yb, 1) <= 1) return 2;
  const same = Number(ya === yb) + Number(ma === mb) + Number(dda === ddb);
  return same >= 2 ? 3 : 4;
}

/** The sex a record's own NAM encodes contradicts its sex field: that field is the error. */
function namContradictsOwnSex(record: MatchRecord): boolean {
  const p = namParts(record.nam);
  return Boolean(p && record.sex && (record.sex === 'female' || record.sex === 'male') && p.sex !== record.sex);
}

function compareSex(a: MatchRecord, b: MatchRecord): number | null {
  if (!a.sex || !b.sex) return null;
  if (a.sex === b.sex) return 0;
  // A sex field that its own record's NAM contradicts is a data-entry error: no evidence either way.
  if (namContradictsOwnSex(a) || namContradictsOwnSex(b)) return null;
  return 1;
}

/** Two Québec NAMs equal but for their sequence character: namesakes born the same day, by construction. */
export function namesakeNams(x: string | undefined, y: string | undefined): boolean {
  return Boolean(x && y && namDifference(x, y) === 'sequence');
}

/** The given-name initial a Québec NAM encodes (fourth letter) is the record's own. */
function namFitsOwnInitial(record: MatchRecord): boolean {
  const p = namParts(record.nam);
  const first = record.given[0];
  return Boolean(p && first && p.letters[3] === first[0]?.toUpperCase());
}

/**
 * Two Québec NAMs that are each their own holder's number: more than one keystroke apart, and each
 * encoding its own record's date of birth and given-name initial (a twin of another initial, a sibling).
 * A mistyped number is one keystroke off; one copied from a relative's card encodes the relative.
 */
export function distinctNams(a: MatchRecord, b: MatchRecord): boolean {
  if (!isQuebecNam(a.nam) || !isQuebecNam(b.nam) || editDistance(a.nam, b.nam, 1) <= 1) return false;
  return namMatchesOwnDate(a) === true && namMatchesOwnDate(b) === true && namFitsOwnInitial(a) && namFitsOwnInitial(b);
}

/**
 * NAMs equal but for the sequence character, read as a typo there rather than as namesakes born the same
 * day: the two records agree exactly on given name, family name, date of birth and sex, and share a home
 * (the same phone, or the same postal code and street). Namesakes born the same day do not share a home,
 * and twins do not share a given name.
 */
export function sequenceTypo(a: MatchRecord, b: MatchRecord): boolean {
  if (!namesakeNams(a.nam, b.nam)) return false;
  if (compareGiven(a, b) !== 0 || compareFamily(a, b) !== 0 || compareBirthDate(a, b) !== 0 || compareSex(a, b) !== 0) return false;
  const home = comparePhone(a.phone, b.phone) === 0 || (comparePostal(a.postalCode, b.postalCode) === 0 && compareStreet(a.street, b.street) === 0);
  return home;
}

/**
 * Whether two numbers one character apart (NAM level 1) are surely one number mistyped, enough to vouch
 * for a differing given name or date of birth: a Québec NAM is read by its structure (see compareNam);
 * any other number when two adjacent characters are swapped, or when one digit differs far from the end
 * (the numbers at least 100 apart): numbers handed out in sequence to people registered together (twins)
 * are close, and never differ by a swap.
 */
export function namKeystroke(a: MatchRecord, b: MatchRecord): boolean {
  const x = a.nam;
  const y = b.nam;
  if (!x || !y || x === y || compareNam(a, b) !== 1) return false;
  if (isQuebecNam(x) && isQuebecNam(y)) return true;
  if (x.length !== y.length) return false;
  const diff: number[] = [];
  for (let i = 0; i < x.length && diff.length <= 2; i++) if (x[i] !== y[i]) diff.push(i);
  if (diff.length === 2) return diff[1] === (diff[0] as number) + 1 && x[diff[0] as number] === y[diff[1] as number];
  return diff.length === 1 && /^\d+$/.test(x) && /^\d+$/.test(y) && Math.abs(Number(x) - Number(y)) >= 100;
}

/**
 * NAM: 0 exact · 1 one character off and explained as a typo · 2 different. A Québec NAM is built from
 * the name and the date of birth, so "one character off" is read by where the difference falls:
 * - only the check digit: a typo — the check digit is a function of the other eleven characters, so
 *   two real numbers never differ there alone;
 * - the sequence character: namesakes or twins born the same day (a typo there cannot be told from
 *   them: it is left to review);
 * - the encoded name or date: a typo, unless the dates of birth differ too, or the given-name initial
 *   differs and each is its own record's (each NAM may then be its own holder's).
 */
function compareNam(a: MatchRecord, b: MatchRecord): number | null {
  const x = a.nam;
  const y = b.nam;
  if (!x || !y) return null;
  if (x === y) return 0;
  if (editDistance(x, y, 1) > 1) return 2;
  if (!isQuebecNam(x) || !isQuebecNam(y)) return 1;
  switch (namDifference(x, y)) {
    case 'check':
      return 1;
    case 'sequence':
      return 2;
    case 'letters':
      // Another given-name initial, each the initial of its own record's given name: twins or siblings
      // born the same day (the check digit need not change with it).
      if (x[3] !== y[3] && namFitsOwnInitial(a) && namFitsOwnInitial(b)) return 2;
      return a.birthDate && b.birthDate && a.birthDate !== b.birthDate ? 2 : 1;
    default:
      return a.birthDate && b.birthDate && a.birthDate !== b.birthDate ? 2 : 1;
  }
}

/** Suffixes: same · different (Jr against Sr: a son and his father). A suffix in one record only: no evidence. */
function compareSuffix(a: MatchRecord, b: MatchRecord): number | null {
  if (!a.suffix || !b.suffix) return null;
  return a.suffix === b.suffix ? 0 : 1;
}

function exactOr(levels: (a: string, b: string) => number) {
  return (x: string | undefined, y: string | undefined): number | null => (!x || !y ? null : x === y ? 0 : levels(x, y));
}

const comparePostal = exactOr((x, y) => (editDistance(x, y, 1) <= 1 || (x.length >= 6 && x.slice(0, 3) === y.slice(0, 3)) ? 1 : 2));
const comparePhone = exactOr((x, y) => (editDistance(x, y, 1) <= 1 || x.slice(-7) === y.slice(-7) ? 1 : 2));
const compareCity = exactOr((x, y) => (jaroWinkler(x, y) >= 0.88 ? 1 : 2));
const compareStreet = exactOr((x, y) => {
  const jw = jaroWinkler(x, y);
  return jw >= 0.9 ? 1 : jw >= 0.75 ? 2 : 3;
});
const compareEmail = exactOr((x, y) => {
  if (x.split('@')[0] === y.split('@')[0] || editDistance(x, y, 2) <= 2) return 1;
  return jaroWinkler(x, y) >= 0.85 ? 2 : 3;
});

export const COMPARATORS: Readonly<Record<FieldName, Comparator>> = {
  given: {
    field: 'given',
    levels: ['exact', 'same name written differently (part dropped, short form)', 'one typo', 'sounds alike or Jaro-Winkler ≥ 0.85', 'different'],
    compare: compareGiven,
  },
  family: {
    field: 'family',
    levels: ['exact (any birth or married name)', 'one typo', 'compound name reduced to a part', 'shared part, sounds alike or Jaro-Winkler ≥ 0.85', 'different'],
    compare: compareFamily,
  },
  suffix: { field: 'suffix', levels: ['same', 'different (Jr/Sr)'], compare: compareSuffix },
  birthDate: {
    field: 'birthDate',
    levels: ['exact', 'day/month swapped, one keystroke in day or month, or a typo the NAM shows', 'one keystroke in the year', 'two of year, month, day', 'different'],
    compare: compareBirthDate,
  },
  sex: { field: 'sex', levels: ['same', 'different'], compare: compareSex },
  postalCode: { field: 'postalCode', levels: ['exact', 'one character off or same area (FSA)', 'different'], compare: (a, b) => comparePostal(a.postalCode, b.postalCode) },
  phone: { field: 'phone', levels: ['exact', 'one digit off or same local number', 'different'], compare: (a, b) => comparePhone(a.phone, b.phone) },
  nam: { field: 'nam', levels: ['exact', 'one character off, read as a typo', 'different'], compare: compareNam },
  city: { field: 'city', levels: ['exact', 'Jaro-Winkler ≥ 0.88', 'different'], compare: (a, b) => compareCity(a.city, b.city) },
  street: { field: 'street', levels: ['exact', 'Jaro-Winkler ≥ 0.9', 'Jaro-Winkler ≥ 0.75', 'different'], compare: (a, b) => compareStreet(a.street, b.street) },
  email: { field: 'email', levels: ['exact', 'same user name or two characters off', 'Jaro-Winkler ≥ 0.85', 'different'], compare: (a, b) => compareEmail(a.email, b.email) },
};
