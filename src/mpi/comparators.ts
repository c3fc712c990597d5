import { frenchPhonetic } from './phonetic.js';
import { familyForms, familyParts, givenJoined, type MatchRecord } from './record.js';
import { editDistance, jaroWinkler } from './strings.js';

/**
 * Field comparators: each maps a pair of records to a comparison level — 0 is the strongest agreement,
 * the last level is disagreement — or null when either side lacks the value (no evidence either way).
 * The levels and their labels are fixed here; their m/u probabilities live in the model.
 */
export type FieldName = 'given' | 'family' | 'birthDate' | 'sex' | 'postalCode' | 'phone' | 'nam' | 'city' | 'street' | 'email';

export interface Comparator {
  readonly field: FieldName;
  /** Human labels of the levels, strongest first; the last is "disagrees". */
  readonly levels: readonly string[];
  compare(a: MatchRecord, b: MatchRecord): number | null;
}

const phoneticCache = new Map<string, string>();
/** Phonetic keys are recomputed for the same few thousand names over and over: memoise (bounded). */
export function phonetic(name: string): string {
  let key = phoneticCache.get(name);
  if (key === undefined) {
    key = frenchPhonetic(name);
    if (phoneticCache.size > 200_000) phoneticCache.clear();
    phoneticCache.set(name, key);
  }
  return key;
}

function compareGiven(a: MatchRecord, b: MatchRecord): number | null {
  const ga = givenJoined(a);
  const gb = givenJoined(b);
  if (!ga || !gb) return null;
  if (ga === gb) return 0;
  // Compound given names that share only their first part name different people: Marie-Josée ≠ Marie-Claude.
  if (a.given.length > 1 && b.given.length > 1 && a.given[0] === b.given[0] &&
      jaroWinkler(a.given.slice(1).join(''), b.given.slice(1).join('')) < 0.85) return 4;
  const jw = jaroWinkler(ga, gb);
  if (jw >= 0.94) return 1;
  const setA = new Set(a.given);
  const subset = a.given.length !== b.given.length && (b.given.every((t) => setA.has(t)) || a.given.every((t) => b.given.includes(t)));
  if (subset || phonetic(ga) === phonetic(gb)) return 2;
  if (jw >= 0.85) return 3;
  return 4;
}

function compareFamily(a: MatchRecord, b: MatchRecord): number | null {
  const fa = familyForms(a);
  const fb = familyForms(b);
  if (fa.length === 0 || fb.length === 0) return null;
  let best = 0;
  for (const x of fa) {
    for (const y of fb) {
      if (x === y) return 0;
      const jw = jaroWinkler(x, y);
      if (jw > best) best = jw;
    }
  }
  if (best >= 0.94) return 1;
  const partsA = familyParts(a);
  const partsB = new Set(familyParts(b));
  if (partsA.some((p) => partsB.has(p))) return 2;
  if (fa.some((x) => fb.some((y) => phonetic(x) === phonetic(y)))) return 2;
  if (best >= 0.85) return 3;
  return 4;
}

function compareBirthDate(a: MatchRecord, b: MatchRecord): number | null {
  const da = a.birthDate;
  const db = b.birthDate;
  if (!da || !db) return null;
  if (da === db) return 0;
  const [ya, ma, dda] = da.split('-');
  const [yb, mb, ddb] = db.split('-');
  if (ya === yb && ma === ddb && dda === mb) return 1; // day and month swapped (US vs Canadian order)
  // One keystroke within the same year (a mistyped year digit can move a date by decades: weaker level).
  if (ya === yb && editDistance(da.replace(/-/g, ''), db.replace(/-/g, ''), 1) <= 1) return 1;
  const same = Number(ya === yb) + Number(ma === mb) + Number(dda === ddb);
  if (same >= 2) return 2;
  return 3;
}

function exactOr(levels: (a: string, b: string) => number) {
  return (x: string | undefined, y: string | undefined): number | null => (!x || !y ? null : x === y ? 0 : levels(x, y));
}

const comparePostal = exactOr((x, y) => (editDistance(x, y, 1) <= 1 || (x.length >= 6 && x.slice(0, 3) === y.slice(0, 3)) ? 1 : 2));
const comparePhone = exactOr((x, y) => (editDistance(x, y, 1) <= 1 || x.slice(-7) === y.slice(-7) ? 1 : 2));
/**
 * A Québec NAM (4 letters, 8 digits) is built from the name and the date of birth; its last two digits
 * are what tells apart namesakes born the same day. A difference confined to them is therefore a
 * different person, not a typo.
 */
const QUEBEC_NAM = /^[A-Z]{4}\d{8}$/;

/** Two Québec NAMs equal but for their sequence digits: namesakes born the same day, by construction. */
export function namesakeNams(x: string | undefined, y: string | undefined): boolean {
  return Boolean(x && y && x !== y && QUEBEC_NAM.test(x) && QUEBEC_NAM.test(y) && x.slice(0, 10) === y.slice(0, 10));
}

/**
 * One character off is a typo only when it is not explained by the other fields: a Québec NAM embeds the
 * date of birth, so two NAMs one digit apart with dates of birth that differ are two people's NAMs (the
 * date difference is already counted by the birthDate comparison).
 */
function compareNam(a: MatchRecord, b: MatchRecord): number | null {
  const x = a.nam;
  const y = b.nam;
  if (!x || !y) return null;
  if (x === y) return 0;
  if (editDistance(x, y, 1) > 1 || namesakeNams(x, y)) return 2;
  if (QUEBEC_NAM.test(x) && QUEBEC_NAM.test(y) && a.birthDate && b.birthDate && a.birthDate !== b.birthDate) return 2;
  return 1;
}
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
    levels: ['exact', 'Jaro-Winkler ≥ 0.94', 'one is part of the other (compound) or phonetic key', 'Jaro-Winkler ≥ 0.85', 'different'],
    compare: compareGiven,
  },
  family: {
    field: 'family',
    levels: ['exact (any birth or married name)', 'Jaro-Winkler ≥ 0.94', 'shared part of a compound name or phonetic key', 'Jaro-Winkler ≥ 0.85', 'different'],
    compare: compareFamily,
  },
  birthDate: {
    field: 'birthDate',
    levels: ['exact', 'day/month swapped or one digit off in the same year', 'two of year, month, day', 'different'],
    compare: compareBirthDate,
  },
  sex: { field: 'sex', levels: ['same', 'different'], compare: (a, b) => (!a.sex || !b.sex ? null : a.sex === b.sex ? 0 : 1) },
  postalCode: { field: 'postalCode', levels: ['exact', 'one character off or same area (FSA)', 'different'], compare: (a, b) => comparePostal(a.postalCode, b.postalCode) },
  phone: { field: 'phone', levels: ['exact', 'one digit off or same local number', 'different'], compare: (a, b) => comparePhone(a.phone, b.phone) },
  nam: { field: 'nam', levels: ['exact', 'one character off (a typo: not in the sequence digits, dates of birth agreeing)', 'different'], compare: compareNam },
  city: { field: 'city', levels: ['exact', 'Jaro-Winkler ≥ 0.88', 'different'], compare: (a, b) => compareCity(a.city, b.city) },
  street: { field: 'street', levels: ['exact', 'Jaro-Winkler ≥ 0.9', 'Jaro-Winkler ≥ 0.75', 'different'], compare: (a, b) => compareStreet(a.street, b.street) },
  email: { field: 'email', levels: ['exact', 'same user name or two characters off', 'Jaro-Winkler ≥ 0.85', 'different'], compare: (a, b) => compareEmail(a.email, b.email) },
};
