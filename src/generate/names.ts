import type { Random } from './random.js';
import {
  ENGLISH_GIVEN_FEMALE, ENGLISH_GIVEN_MALE, ENGLISH_SURNAMES, eraOf, FRENCH_GIVEN_FEMALE, FRENCH_GIVEN_MALE,
  FRENCH_SURNAMES, OTHER_SURNAMES,
} from './tables/names.js';

/** Name choice (pure): given names by birth era and language, surnames by community. */

export type Language = 'fr' | 'en';
export type Sex = 'female' | 'male';

export function givenName(rng: Random, sex: Sex, birthYear: number, language: Language): string {
  const era = eraOf(birthYear);
  const pool = language === 'en'
    ? (sex === 'female' ? ENGLISH_GIVEN_FEMALE : ENGLISH_GIVEN_MALE)[era]
    : (sex === 'female' ? FRENCH_GIVEN_FEMALE : FRENCH_GIVEN_MALE)[era];
  return rng.pick(pool);
}

/** A surname: French-speaking Québécois mostly, English-speaking and immigrant communities too. */
export function surname(rng: Random, language: Language, montreal: boolean): string {
  if (language === 'en') return rng.pick(rng.chance(0.8) ? ENGLISH_SURNAMES : FRENCH_SURNAMES);
  const other = montreal ? 0.18 : 0.04;
  const english = 0.03;
  const r = rng.next();
  if (r < other) return rng.pick(OTHER_SURNAMES);
  if (r < other + english) return rng.pick(ENGLISH_SURNAMES);
  return rng.pick(FRENCH_SURNAMES);
}

/** A practitioner's full name (for the directory). */
export function practitionerName(rng: Random, sex: Sex, birthYear: number): { given: string; family: string } {
  const language: Language = rng.chance(0.12) ? 'en' : 'fr';
  return { given: givenName(rng, sex, birthYear, language), family: surname(rng, language, rng.chance(0.3)) };
}
