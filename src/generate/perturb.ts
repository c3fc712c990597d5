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
  | 'nam-typo' | 'saint-abbreviated' | 'phone-missing';

export type SourceKind = 'gmf' | 'pharmacy' | 'hospital' | 'lab' | 'imaging';

/** Probability of each perturbation per source kind (the habits of each kind of system). */
const HABITS: Readonly<Record<SourceKind, Partial<Record<Perturbation, number>>>> = {
  gmf: { 'married-name': 0.3, 'typo-given': 0.02, 'typo-family': 0.02, 'hyphen-dropped': 0.04, 'old-address': 0.1, 'nam-missing': 0.02 },
  pharmacy: { 'uppercase': 0.3, 'accents-dropped': 0.35, 'hyphen-dropped': 0.1, 'typo-family': 0.03, 'old-address': 0.15, 'nam-missing': 0.02, 'apostrophe-dropped': 0.2 },
  hospital: { 'married-name': 0.55, 'accents-dropped': 0.1, 'hyphen-dropped': 0.15, 'first-given-only': 0.2, 'typo-family': 0.05, 'typo-given': 0.04, 'day-month-swapped': 0.02, 'old-address': 0.35, 'nam-missing': 0.05, 'saint-abbreviated': 0.3, 'phone-missing': 0.1 },
  lab: { 'uppercase': 0.5, 'accents-dropped': 0.5, 'hyphen-dropped': 0.2, 'apostrophe-dropped': 0.3, 'typo-family': 0.05, 'day-month-swapped': 0.04, 'old-address': 0.3, 'nam-missing': 0.1, 'nam-typo': 0.015, 'phone-missing': 0.4, 'saint-abbreviated': 0.3 },
  imaging: { 'accents-dropped': 0.3, 'hyphen-dropped': 0.2, 'first-given-only': 0.25, 'typo-given': 0.06, 'typo-family': 0.06, 'day-month-swapped': 0.03, 'old-address': 0.3, 'nam-missing': 0.12, 'nam-typo': 0.01, 'phone-missing': 0.3 },
};

export interface Demographics {
  family: string;
  given: string[];
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

/** The source's copy of the person's demographics and the perturbations it carries. */
export function perturb(rng: Random, person: Person, kind: SourceKind, birthDay: Day): { demographics: Demographics; applied: Perturbation[] } {
  const habits = HABITS[kind];
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
  const address = applies('old-address', person.previousAddress !== undefined) ? person.previousAddress as Address : person.address;
  let nam: string | undefined = person.nam;
  if (applies('nam-missing')) nam = undefined;
  else if (applies('nam-typo')) nam = swapAdjacentDigits(rng, person.nam);
  const phone = applies('phone-missing') ? undefined : person.phone;
  return { demographics: { family, given, birthDate, address, ...(phone ? { phone } : {}), ...(nam ? { nam } : {}) }, applied };
}
