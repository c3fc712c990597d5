import { addYears, formatDate, ymd, yearsBetween, type Day } from './dates.js';
import { makeNam, namLetters } from './nam.js';
import { givenName, surname, type Language, type Sex } from './names.js';
import type { Random } from './random.js';
import type { RelativeKind } from './relatives.js';
import { REGIONS, POSTAL_LETTERS, type Municipality, type Region } from './tables/places.js';
import { FRENCH_SURNAMES, STREET_NAMES } from './tables/names.js';

/**
 * A synthetic person as they really are (the ground truth), before any source system copies them.
 * Pure: everything comes from the injected Random and the reference date.
 */

export interface Address {
  readonly line: string;
  readonly city: string;
  readonly regionCode: string;
  readonly postalCode: string;
}

export interface Person {
  /** Stable key in the ground truth: P0001, P0002… */
  readonly key: string;
  readonly index: number;
  readonly sex: Sex;
  /** Gender identity when it differs from the sex recorded at birth (about 0.5 % of adults). */
  readonly genderIdentity?: 'transgender-female' | 'transgender-male' | 'non-binary';
  readonly birthDay: Day;
  readonly deathDay?: Day;
  readonly language: Language;
  /** Given names: the first is the usual one (may be compound: Marie-Ève). */
  readonly given: readonly string[];
  readonly surnameAtBirth: string;
  /** Spouse's surname, used by some women who married before 1981 (Québec civil code reform). */
  readonly marriedSurname?: string;
  readonly maritalStatus: 'S' | 'M' | 'D' | 'W';
  readonly address: Address;
  /** Where they lived before moving, when they moved in the last years. */
  readonly previousAddress?: Address;
  readonly phone: string;
  readonly email?: string;
  readonly nam: string;
  /** A generation suffix the person is known by (population option `hardCases`): a son named after his father. */
  readonly suffix?: 'Jr' | 'Sr';
  /** The person this one must never be merged with (population option `hardCases`). */
  readonly relative?: { readonly of: string; readonly kind: RelativeKind };
}

/**
 * Québec's age pyramid in five-year bands (share of the population, %), from the ISQ's 2023 estimates,
 * rounded; the last band is 90 and over.
 */
const AGE_BANDS: readonly (readonly [number, number])[] = [
  [0, 4.9], [5, 5.4], [10, 5.6], [15, 5.3], [20, 5.8], [25, 6.2], [30, 6.5], [35, 6.9], [40, 6.7], [45, 6.0],
  [50, 6.2], [55, 6.8], [60, 7.1], [65, 6.4], [70, 5.5], [75, 4.0], [80, 2.6], [85, 1.5], [90, 1.0],
];

function pickRegion(rng: Random): Region {
  return rng.weighted(REGIONS.map((r) => [r, r.population] as const));
}

function postalCode(rng: Random, municipality: Municipality): string {
  const fsa = rng.pick(municipality.fsas);
  return `${fsa} ${rng.int(1, 9)}${rng.pick([...POSTAL_LETTERS])}${rng.int(0, 9)}`;
}

export function makeAddress(rng: Random, region: Region): Address {
  const municipality = rng.weighted(region.municipalities.map((m) => [m, m.weight] as const));
  const civic = rng.int(1, 30) * rng.int(1, 300);
  const unit = region.code === '06' && rng.chance(0.4) ? `, app. ${rng.int(1, 8)}${rng.pick(['', '0'])}${rng.int(1, 9)}` : '';
  return { line: `${civic} ${rng.pick(STREET_NAMES)}${unit}`, city: municipality.name, regionCode: region.code, postalCode: postalCode(rng, municipality) };
}

function phoneFor(rng: Random, region: Region): string {
  const municipality = region.municipalities[0] as Municipality;
  // 555 exchange: a valid North American format that reaches no one.
  return `${rng.pick(municipality.areaCodes)}-555-${String(rng.int(0, 9999)).padStart(4, '0')}`;
}

function languageFor(rng: Random, regionCode: string): Language {
  const english = regionCode === '06' ? 0.22 : regionCode === '07' ? 0.15 : regionCode === '05' || regionCode === '16' ? 0.07 : 0.02;
  return rng.chance(english) ? 'en' : 'fr';
}

/** The usual given name, sometimes followed by a second given name, or a compound made of two. */
function givenNames(rng: Random, sex: Sex, birthYear: number, language: Language): string[] {
  const first = givenName(rng, sex, birthYear, language);
  // Compound given names in Marie- and Jean- (Marie-Josée, Jean-Denis) beyond those already in the lists.
  if (language === 'fr' && !first.includes('-') && birthYear >= 1940 && rng.chance(0.1)) {
    return [`${sex === 'female' ? 'Marie' : 'Jean'}-${first}`];
  }
  if (rng.chance(0.35)) {
    const second = givenName(rng, sex, birthYear - 20, language);
    if (second !== first) return [first, second];
  }
  return [first];
}

export interface PersonOptions {
  readonly reference: Day;
}

/** One person (without NAM rank resolution: `assignNams` makes NAMs unique across the population). */
export function makePerson(rng: Random, index: number, options: PersonOptions): Omit<Person, 'nam'> {
  const { reference } = options;
  const band = rng.weighted(AGE_BANDS.map(([start, share]) => [start, share] as const));
  const age = band === 90 ? 90 + Math.floor(rng.next() * rng.next() * 12) : band + rng.int(0, 4);
  const birthDay = addYears(reference, -age) - rng.int(1, 364);
  const birthYear = ymd(birthDay).year;
  const sex: Sex = rng.chance(age >= 75 ? 0.57 : 0.5) ? 'female' : 'male';
  const region = pickRegion(rng);
  const language = languageFor(rng, region.code);
  const given = givenNames(rng, sex, birthYear, language);
  let family = surname(rng, language, region.code === '06');
  // Since 1981 a Québec child may carry both parents' surnames, hyphenated.
  if (birthYear >= 1981 && birthYear <= 2010 && language === 'fr' && rng.chance(0.15)) {
    const other = rng.pick(FRENCH_SURNAMES);
    if (other !== family && !family.includes('-') && !other.includes('-')) family = `${family}-${other}`;
  }
  const ageNow = yearsBetween(birthDay, reference);
  const maritalStatus = ageNow < 20 ? 'S' : rng.weighted([['S', 35], ['M', 45], ['D', 12], ['W', ageNow > 65 ? 15 : 2]] as const);
  const marriedBefore1981 = sex === 'female' && birthYear < 1958 && maritalStatus !== 'S' && rng.chance(0.45);
  const marriedSurname = marriedBefore1981 ? rng.pick(FRENCH_SURNAMES.filter((s) => s !== family)) : undefined;
  const address = makeAddress(rng, region);
  const moved = rng.chance(ageNow >= 18 ? 0.3 : 0.1);
  const previousAddress = moved ? makeAddress(rng, rng.chance(0.7) ? region : pickRegion(rng)) : undefined;
  const deathChance = ageNow >= 85 ? 0.16 : ageNow >= 75 ? 0.07 : ageNow >= 60 ? 0.02 : 0.002;
  const deathDay = rng.chance(deathChance) ? reference - rng.int(20, 4 * 365) : undefined;
  const genderIdentity = ageNow >= 16 && rng.chance(0.005)
    ? rng.pick(['transgender-female', 'transgender-male', 'non-binary'] as const)
    : undefined;
  const email = ageNow >= 16 && ageNow < 80 && rng.chance(0.6)
    ? `${asciiLocal(given[0] as string)}.${asciiLocal(marriedSurname ?? family)}${rng.int(1, 99)}@example.com`
    : undefined;
  return {
    key: `P${String(index + 1).padStart(4, '0')}`,
    index,
    sex,
    ...(genderIdentity ? { genderIdentity } : {}),
    birthDay,
    ...(deathDay !== undefined && deathDay > birthDay + 365 ? { deathDay } : {}),
    language,
    given,
    surnameAtBirth: family,
    ...(marriedSurname ? { marriedSurname } : {}),
    maritalStatus,
    address,
    ...(previousAddress ? { previousAddress } : {}),
    phone: phoneFor(rng, region),
    ...(email ? { email } : {}),
  };
}

function asciiLocal(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '');
}

/**
 * Gives each person a NAM, unique in the population: people whose first ten characters coincide (twins,
 * homonyms born the same day) get the next distinguishing character, as the RAMQ does.
 */
export function assignNams(people: readonly Omit<Person, 'nam'>[]): Person[] {
  const ranks = new Map<string, number>();
  return people.map((p) => {
    const birthDate = formatDate(p.birthDay);
    const sex = p.sex === 'female' ? 'F' : 'M';
    const prefix = `${namLetters(p.surnameAtBirth, p.given[0] as string)}${birthDate}${sex}`;
    const rank = (ranks.get(prefix) ?? 0) + 1;
    ranks.set(prefix, rank);
    return { ...p, nam: makeNam({ surname: p.surnameAtBirth, givenName: p.given[0] as string, birthDate, sex, rank }) };
  });
}

export function ageOn(person: Person, day: Day): number {
  return yearsBetween(person.birthDay, day);
}

/** The last day the person is alive in the record (reference date or death). */
export function lastDay(person: Person, reference: Day): Day {
  return person.deathDay ?? reference;
}

