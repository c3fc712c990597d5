import { phonetic } from './comparators.js';
import { familyForms, type MatchRecord } from './record.js';

/**
 * Blocking keys: a record is only ever compared with records sharing at least one key, so matching
 * costs a few index lookups instead of a scan. The keys are chosen so that a duplicate with an error in
 * any one field (and most with two) still shares a key:
 *
 * - `n:` the health-insurance number;
 * - `p:` phonetic family + phonetic given name, as a sorted pair (given/family transpositions block too);
 * - `d:` date of birth, day and month order-free (names misspelt, changed by marriage or missing);
 * - `fy:` phonetic family name + year of birth (day or month mistyped, given name changed);
 * - `t:` the phone number, `e:` the e-mail address;
 * - `zf:` postal code + phonetic family name (a wrong date of birth and a misspelt given name).
 */
export function blockingKeys(record: MatchRecord): string[] {
  const keys = new Set<string>();
  if (record.nam) keys.add(`n:${record.nam}`);
  if (record.phone) keys.add(`t:${record.phone}`);
  if (record.email) keys.add(`e:${record.email}`);
  const givenFirst = record.given[0] ?? '';
  const families = familyForms(record);
  const givenKey = givenFirst ? phonetic(givenFirst) : '';
  for (const family of families) {
    const familyKey = phonetic(family);
    if (givenKey && familyKey) keys.add(`p:${[familyKey, givenKey].sort().join('|')}`);
    if (record.postalCode && familyKey) keys.add(`zf:${record.postalCode}|${familyKey}`);
  }
  if (record.birthDate) {
    const [y, m, d] = record.birthDate.split('-') as [string, string, string];
    const date = `${y}${m < d ? m + d : d + m}`;
    keys.add(`d:${date}`);
    for (const family of families) keys.add(`fy:${y}|${phonetic(family)}`);
  }
  return [...keys];
}
