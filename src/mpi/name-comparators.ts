import { canonicalGiven, sameNickname } from './nicknames.js';
import { frenchPhonetic } from './phonetic.js';
import { familyForms, familyParts, givenJoined, type MatchRecord } from './record.js';
import { editDistance, jaroWinkler } from './strings.js';

/**
 * Name comparators (pure). Compound names are compared part by part: a part dropped (Marie-Ève →
 * Marie, Côté-Roy → Côté) is the same name written shorter, while two compounds sharing only their
 * first part (Marie-Josée, Marie-Claude) are two names. Levels, strongest first:
 *
 * given:  0 exact · 1 same name written differently (a part or a second given name dropped, a listed
 *         short form: Bob/Robert, a slip of the fingers: Sylvie/Sylvei, Karine/Karinne, Suzanne/Suzanme)
 *         · 2 another one-keystroke difference · 3 sounds alike or Jaro–Winkler ≥ 0.85 · 4 different
 * family: 0 exact (any birth or married name) · 1 one typo · 2 a compound reduced to its parts ·
 *         3 shares a part, sounds alike or Jaro–Winkler ≥ 0.85 · 4 different
 *
 * Level 1 of a given name is an agreement; from level 2 on the names disagree (a typo and the name of
 * a twin look the same: Mathis/Mathias), which the twins rule (model.ts, decision.ts) relies on.
 */

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

/** Endings that make a name feminine: Jean/Jeanne, Louis/Louise, Daniel/Danielle, Paul/Pauline. */
const FEMININE_ENDINGS = new Set(['e', 'le', 'ne', 'te', 'tte', 'ette', 'ine']);

/**
 * Two spellings that are two names, not a typo: a masculine and its feminine form, or names that differ
 * only in their last letter (Alexis/Alexia, Léo/Léa, Mario/Maria). Typists slip inside a word; the end
 * of a given name is what distinguishes siblings.
 */
export function distinctForms(x: string, y: string): boolean {
  if (x === y) return false;
  const [short, long] = x.length <= y.length ? [x, y] : [y, x];
  if (short.length < 3) return false;
  if (long.startsWith(short) && FEMININE_ENDINGS.has(long.slice(short.length))) return true;
  return short.length === long.length && short.slice(0, -1) === long.slice(0, -1);
}

/** Every token of `small` is in `large` (nicknames resolved), and `large` has more. */
function isPartOf(small: readonly string[], large: readonly string[]): boolean {
  if (small.length >= large.length) return false;
  const canonical = large.map(canonicalGiven);
  return small.every((t) => canonical.includes(canonicalGiven(t)));
}

function sameCanonical(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i] || sameNickname(t, b[i] as string));
}

/** Letter rows of a QWERTY keyboard (Canadian French and English layouts place the letters alike). */
const KEY_ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
const KEY_AT = new Map<string, [number, number]>(KEY_ROWS.flatMap((row, r) => [...row].map((ch, c) => [ch, [r, c]] as [string, [number, number]])));

/** Keys that touch on a staggered QWERTY keyboard: beside, or above-right / below-left of each other. */
export function neighbourKeys(x: string, y: string): boolean {
  const a = KEY_AT.get(x);
  const b = KEY_AT.get(y);
  if (!a || !b || x === y) return false;
  const [ra, ca] = a;
  const [rb, cb] = b;
  if (ra === rb) return Math.abs(ca - cb) === 1;
  if (rb === ra + 1) return cb === ca || cb === ca - 1;
  if (rb === ra - 1) return cb === ca || cb === ca + 1;
  return false;
}

/**
 * A slip of the fingers rather than another name: two letters swapped, a letter doubled or undoubled,
 * or a letter replaced by its neighbour on the keyboard inside the word (names of five letters or more;
 * never the first letter). Look-alike names of twins differ otherwise: a letter added or dropped
 * (Mathis/Mathias), a different vowel (Liam/Lyam), another ending (Léo/Léon, Alexis/Alexia).
 */
export function keyboardSlip(x: string, y: string): boolean {
  if (x === y || x.length < 4 || y.length < 4 || x[0] !== y[0]) return false;
  if (x.length === y.length) {
    const diff: number[] = [];
    for (let i = 0; i < x.length && diff.length <= 2; i++) if (x[i] !== y[i]) diff.push(i);
    if (diff.length === 2) {
      const [i, j] = diff as [number, number];
      return j === i + 1 && x[i] === y[j] && x[j] === y[i];
    }
    if (diff.length !== 1) return false;
    const i = diff[0] as number;
    return x.length >= 5 && i < x.length - 1 && neighbourKeys(x[i] as string, y[i] as string);
  }
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  if (long.length !== short.length + 1) return false;
  for (let i = 1; i < long.length; i++) {
    if (long[i] === long[i - 1] && long.slice(0, i) + long.slice(i + 1) === short) return true;
  }
  return false;
}

/** One keystroke apart, and not two distinct forms of a name. */
function typo(x: string, y: string): boolean {
  if (distinctForms(x, y)) return false;
  return (x.length >= 4 && editDistance(x, y, 1) <= 1) || jaroWinkler(x, y) >= 0.94;
}

export function compareGiven(a: MatchRecord, b: MatchRecord): number | null {
  const ga = givenJoined(a);
  const gb = givenJoined(b);
  if (!ga || !gb) return null;
  if (ga === gb) return 0;
  if (sameCanonical(a.given, b.given) || isPartOf(a.given, b.given) || isPartOf(b.given, a.given)) return 1;
  // Compound given names that share only their first part name different people: Marie-Josée ≠ Marie-Claude.
  if (a.given.length > 1 && b.given.length > 1 && a.given[0] === b.given[0] &&
      jaroWinkler(a.given.slice(1).join(''), b.given.slice(1).join('')) < 0.85) return 4;
  const fa = a.given[0] as string;
  const fb = b.given[0] as string;
  if (distinctForms(fa, fb) || distinctForms(ga, gb)) return 4;
  // A slip of the fingers is the same name written differently, not the look-alike name of a twin.
  if (keyboardSlip(ga, gb)) return 1;
  if (typo(ga, gb)) return 2;
  if (phonetic(ga) === phonetic(gb) || jaroWinkler(ga, gb) >= 0.85) return 3;
  return 4;
}

export function compareFamily(a: MatchRecord, b: MatchRecord): number | null {
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
  if (best >= 0.94 || fa.some((x) => fb.some((y) => x.length >= 5 && editDistance(x, y, 1) <= 1))) return 1;
  // A compound reduced to some of its parts (Côté-Roy → Côté, Roy); a part of at least two letters.
  const partsA = familyParts(a);
  const partsB = familyParts(b);
  const reduced = (small: string[], large: string[]) => small.length > 0 && small.length < large.length && small.every((p) => large.includes(p));
  if (reduced(partsA, partsB) || reduced(partsB, partsA)) return 2;
  const setB = new Set(partsB);
  if (partsA.some((p) => setB.has(p))) return 3;
  if (fa.some((x) => fb.some((y) => phonetic(x) === phonetic(y)))) return 3;
  if (best >= 0.85) return 3;
  return 4;
}

/** Given-name levels at which the names agree (the same name, possibly written differently). */
export const GIVEN_AGREES = 1;
