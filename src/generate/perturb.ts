import { formatDate, ymd, dayFrom, type Day } from './dates.js';
import type { Address, Person } from './person.js';
import type { Random } from './random.js';

/**
 * How a source system's copy of a person differs from the truth (pure). Each source kind has its own
 * habits; every perturbation applied is named, so the ground truth says exactly what the MPI must undo.
 */

export type Perturbation =
  | 'accents-dropped' | 'uppercase' | 'hyphen-dropped' | 'apostrophe-dropped' | 'first-given-only'
  | 'married-name' | 'typo-family' | 'typo-given' | 'day-month-swapped' | 'old-address' | 'nam-missing'
  | 'nam-typo' | 'saint-abbreviated' | 'phone-missing'
  // The hard cases (population option `hardCases`, issue #15): variants an independent set showed the MPI missing.
  | 'suffix-written' | 'compound-family-reduced' | 'nickname' | 'date-typo';

export type SourceKind = 'gmf' | 'pharmacy' | 'hospital' | 'lab' | 'imaging';

/** Probability of each perturbation per source kind (the habits of each kind of system). */
const HABITS: Readonly<Record<SourceKind, Partial<Record<Perturbation, number>>>> = {
  gmf: { 'married-name': 0.3, 'typo-given': 0.02, 'typo-family': 0.02, 'hyphen-dropped': 0.04, 'old-address': 0.1, 'nam-missing': 0.02 },
  pharmacy: { 'uppercase': 0.3, 'accents-dropped': 0.35, 'hyphen-dropped': 0.1, 'typo-family': 0.03, 'old-address': 0.15, 'nam-missing': 0.02, 'apostrophe-dropped': 0.2 },
  hospital: { 'married-name': 0.55, 'accents-dropped': 0.1, 'hyphen-dropped': 0.15, 'first-given-only': 0.2, 'typo-family': 0.05, 'typo-given': 0.04, 'day-month-swapped': 0.02, 'old-address': 0.35, 'nam-missing': 0.05, 'saint-abbreviated': 0.3, 'phone-missing': 0.1 },
  lab: { 'uppercase': 0.5, 'accents-dropped': 0.5, 'hyphen-dropped': 0.2, 'apostrophe-dropped': 0.3, 'typo-family': 0.05, 'day-month-swapped': 0.04, 'old-address': 0.3, 'nam-missing': 0.1, 'nam-typo': 0.015, 'phone-missing': 0.4, 'saint-abbreviated': 0.3 },
  imaging: { 'accents-dropped': 0.3, 'hyphen-dropped': 0.2, 'first-given-only': 0.25, 'typo-given': 0.06, 'typo-family': 0.06, 'day-month-swapped': 0.03, 'old-address': 0.3, 'nam-missing': 0.12, 'nam-typo': 0.01, 'phone-missing': 0.3 },
};

/**
 * Added to the habits when the population is generated with `hardCases`: what real registration systems
 * also do — write a generation suffix (Jr, fils) that others omit, keep one part of a compound surname,
 * register a short form of the given name, mistype the date of birth or any character of the NAM.
 */
const HARD_HABITS: Readonly<Record<SourceKind, Partial<Record<Perturbation, number>>>> = {
  gmf: { 'suffix-written': 0.6, 'nickname': 0.1, 'date-typo': 0.02, 'compound-family-reduced': 0.1, 'nam-typo': 0.01 },
  pharmacy: { 'suffix-written': 0.3, 'nickname': 0.15, 'date-typo': 0.03, 'compound-family-reduced': 0.25, 'nam-typo': 0.03, 'saint-abbreviated': 0.3 },
  hospital: { 'suffix-written': 0.5, 'nickname': 0.05, 'date-typo': 0.04, 'compound-family-reduced': 0.2, 'nam-typo': 0.03 },
  lab: { 'suffix-written': 0.2, 'nickname': 0.1, 'date-typo': 0.05, 'compound-family-reduced': 0.3, 'nam-typo': 0.04 },
  imaging: { 'suffix-written': 0.4, 'nickname': 0.1, 'date-typo': 0.05, 'compound-family-reduced': 0.25, 'nam-typo': 0.03 },
};

/**
 * Short forms people register under (the generator's own list, written independently of the MPI's
 * nicknames.ts: some forms here are not there, as in real data).
 */
const SHORT_FORMS: Readonly<Record<string, readonly string[]>> = {
  Margaret: ['Peggy', 'Maggie'], Dorothy: ['Dot'], Elizabeth: ['Liz', 'Betty'], Élisabeth: ['Élise', 'Babette'],
  Patricia: ['Patty', 'Trish'], Susan: ['Sue'], Deborah: ['Debbie', 'Deb'], Jennifer: ['Jenny', 'Jen'],
  Michael: ['Mike'], Robert: ['Bob', 'Rob'], William: ['Bill', 'Will'], Richard: ['Rick', 'Dick'], Thomas: ['Tom'],
  Christopher: ['Chris'], Matthew: ['Matt'], Andrew: ['Andy'], Daniel: ['Dan', 'Danny'], Timothy: ['Tim'],
  Kenneth: ['Ken'], Donald: ['Don'], Ronald: ['Ron'], Benjamin: ['Ben'], Nicholas: ['Nick'], Joshua: ['Josh'],
  Samuel: ['Sam'], Jonathan: ['Jon'], Frédéric: ['Fred'], Stéphanie: ['Steph'], Valérie: ['Val'],
  Véronique: ['Véro'], Catherine: ['Cathy'], Isabelle: ['Isa'], Raymond: ['Ray'], Dominic: ['Dom'],
  Gabriel: ['Gab'], Emmanuel: ['Manu'], James: ['Jim', 'Jimmy'], Peter: ['Pete'], Jeffrey: ['Jeff'],
  Alexandre: ['Alex'], Maxime: ['Max'], Geneviève: ['Gen'], Jessica: ['Jess'],
};

/** How a source writes a generation suffix: after the family name, after the given name, or in its own field. */
export type SuffixPlace = 'family' | 'given' | 'field';

export interface Demographics {
  family: string;
  given: string[];
  suffix?: { text: string; place: SuffixPlace };
  birthDate: string;
  address: Address;
  phone?: string;
  nam?: string;
}

const KEYBOARD_NEIGHBOURS: Record<string, string> = {
  a: 'qsz', e: 'rzd', i: 'uok', o: 'ipl', u: 'yij', n: 'bm', m: 'n', r: 'et', t: 'ry', s: 'adz', l: 'km', c: 'xv', d: 'sf', g: 'fh', b: 'vn', h: 'gj',
};

function stripAccents(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

/** One keyboard slip: a neighbouring key, a dropped letter, two letters swapped or a doubled one. */
export function typo(rng: Random, word: string): string {
  if (word.length < 4) return word;
  const i = rng.int(1, word.length - 2);
  const ch = word.charAt(i);
  switch (rng.int(0, 3)) {
    case 0: {
      const near = KEYBOARD_NEIGHBOURS[ch.toLowerCase()];
      if (!near) return word.slice(0, i) + word.slice(i + 1);
      const sub = near.charAt(rng.int(0, near.length - 1));
      return word.slice(0, i) + (ch === ch.toUpperCase() ? sub.toUpperCase() : sub) + word.slice(i + 1);
    }
    case 1:
      return word.slice(0, i) + word.slice(i + 1);
    case 2:
      return word.slice(0, i) + word.charAt(i + 1) + ch + word.slice(i + 2);
    default:
      return word.slice(0, i) + ch + word.slice(i);
  }
}

function swapAdjacentDigits(rng: Random, nam: string): string {
  const i = rng.int(4, 9);
  if (nam.charAt(i) === nam.charAt(i + 1)) return nam.slice(0, 4) + nam.charAt(5) + nam.charAt(4) + nam.slice(6);
  return nam.slice(0, i) + nam.charAt(i + 1) + nam.charAt(i) + nam.slice(i + 2);
}

/** Saint-Onge ↔ St-Onge, Sainte-Marie ↔ Ste-Marie: both spellings are in use. */
export function toggleSaint(family: string): string {
  if (family.startsWith('Sainte-')) return `Ste-${family.slice(7)}`;
  if (family.startsWith('Saint-')) return `St-${family.slice(6)}`;
  if (family.startsWith('Ste-')) return `Sainte-${family.slice(4)}`;
  if (family.startsWith('St-')) return `Saint-${family.slice(3)}`;
  return family;
}

/** One character of a NAM mistyped anywhere: a neighbouring letter or digit, or two characters swapped. */
function namTypo(rng: Random, nam: string): string {
  const i = rng.int(0, nam.length - 1);
  if (rng.chance(0.4) && i < nam.length - 1 && nam.charAt(i) !== nam.charAt(i + 1)) return nam.slice(0, i) + nam.charAt(i + 1) + nam.charAt(i) + nam.slice(i + 2);
  const c = nam.charAt(i);
  const next = /\d/.test(c) ? String((Number(c) + rng.int(1, 9)) % 10) : String.fromCharCode(65 + ((c.charCodeAt(0) - 65 + rng.int(1, 25)) % 26));
  return nam.slice(0, i) + next + nam.slice(i + 1);
}

/** One keystroke in the date of birth: the day's or the year's last digit, or the year's last two swapped. */
function dateTypo(rng: Random, birthDay: Day): string {
  const { year, month, day } = ymd(birthDay);
  const text = formatDate(birthDay);
  for (let attempt = 0; attempt < 5; attempt++) {
    const choice = rng.int(0, 2);
    let y = year;
    let d = day;
    if (choice === 0) d = Math.min(28, Math.max(1, day + (rng.chance(0.5) ? 1 : -1)));
    else if (choice === 1) y = year - (year % 10) + ((year % 10) + rng.int(1, 9)) % 10;
    else y = year - (year % 100) + (year % 10) * 10 + Math.floor((year % 100) / 10);
    const typed = formatDate(dayFrom(y, month, d));
    if (typed !== text && y <= 2026) return typed;
  }
  return text;
}

/** The source's copy of the person's demographics and the perturbations it carries. */
export function perturb(rng: Random, person: Person, kind: SourceKind, birthDay: Day, hardCases = false): { demographics: Demographics; applied: Perturbation[] } {
  const habits = hardCases ? { ...HABITS[kind], ...HARD_HABITS[kind] } : HABITS[kind];
  const applied: Perturbation[] = [];
  const applies = (p: Perturbation, possible = true): boolean => {
    const probability = habits[p] ?? 0;
    if (!possible || probability === 0 || !rng.chance(probability)) return false;
    applied.push(p);
    return true;
  };
  let family = person.surnameAtBirth;
  let given = [...person.given];
  if (applies('married-name', person.marriedSurname !== undefined)) family = person.marriedSurname as string;
  if (applies('first-given-only', given.length > 1 || (given[0] ?? '').includes('-'))) given = [(given[0] as string).split('-')[0] as string];
  const shortForms = SHORT_FORMS[given[0] as string];
  if (hardCases && applies('nickname', shortForms !== undefined)) given = [rng.pick(shortForms as readonly string[]), ...given.slice(1)];
  const compound = family.includes('-') && !/^(Saint|Sainte|St|Ste)-/.test(family) && !family.includes("'");
  if (hardCases && applies('compound-family-reduced', compound && family !== person.marriedSurname)) {
    const parts = family.split('-');
    family = rng.chance(0.6) ? parts[0] as string : parts[parts.length - 1] as string;
  }
  const hasHyphen = family.includes('-') || given.some((g) => g.includes('-'));
  if (applies('saint-abbreviated', /^(Saint|Sainte|St|Ste)-/.test(family))) family = toggleSaint(family);
  if (applies('hyphen-dropped', hasHyphen)) {
    family = family.replace(/-/g, ' ');
    given = given.map((g) => g.replace(/-/g, ' '));
  }
  if (applies('apostrophe-dropped', family.includes("'"))) family = family.replace(/'/g, rng.chance(0.5) ? '' : ' ');
  if (applies('typo-family')) family = typo(rng, family);
  if (applies('typo-given')) given = [typo(rng, given[0] as string), ...given.slice(1)];
  const accented = /[^\u0000-\u007f]/.test(family + given.join(''));
  if (applies('accents-dropped', accented)) {
    family = stripAccents(family);
    given = given.map(stripAccents);
  }
  if (applies('uppercase')) {
    family = family.toUpperCase();
    given = given.map((g) => g.toUpperCase());
  }
  let birthDate = formatDate(birthDay);
  const { year, month, day } = ymd(birthDay);
  if (applies('day-month-swapped', day <= 12 && day !== month)) birthDate = formatDate(dayFrom(year, day, month));
  else if (hardCases && applies('date-typo')) birthDate = dateTypo(rng, birthDay);
  const address = applies('old-address', person.previousAddress !== undefined) ? person.previousAddress as Address : person.address;
  let nam: string | undefined = person.nam;
  if (applies('nam-missing')) nam = undefined;
  else if (applies('nam-typo')) nam = hardCases ? namTypo(rng, person.nam) : swapAdjacentDigits(rng, person.nam);
  const phone = applies('phone-missing') ? undefined : person.phone;
  let suffix: Demographics['suffix'];
  if (hardCases && person.suffix && applies('suffix-written')) {
    const text = person.suffix === 'Jr' ? rng.pick(['Jr', 'Jr.', 'fils', 'II']) : rng.pick(['Sr', 'Sr.', 'père']);
    suffix = { text, place: rng.pick(['family', 'given', 'field'] as const) };
  }
  return { demographics: { family, given, ...(suffix ? { suffix } : {}), birthDate, address, ...(phone ? { phone } : {}), ...(nam ? { nam } : {}) }, applied };
}
