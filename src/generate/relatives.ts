import { addYears, yearsBetween, type Day } from './dates.js';
import type { Person } from './person.js';
import type { Random } from './random.js';

/**
 * The people an MPI must never merge (pure), for populations generated with `hardCases` (issue #15):
 *
 * - twins: same surname, date of birth, address and phone, different given names — often alike
 *   (Mathis/Mathias, Jean/Jeanne, Marc-Antoine/Marc-André) — and in half the pairs different sex;
 * - a father and his son of the same name (Jr/Sr), living at the same address, a generation apart.
 *
 * A relative is made from the person just generated (`base`) and a fresh person of the right age
 * (`fresh`), so that everything not shared is drawn as for anyone else.
 */
export type RelativeKind = 'twin' | 'junior';

/** Feminine forms of masculine names and back, for twins of opposite sex named alike. */
const PAIRED: Readonly<Record<string, string>> = {
  Jean: 'Jeanne', Louis: 'Louise', Daniel: 'Danielle', François: 'Françoise', Michel: 'Michelle', Denis: 'Denise',
  Simon: 'Simone', Martin: 'Martine', Pascal: 'Pascale', Gabriel: 'Gabrielle', Yvon: 'Yvonne', Léo: 'Léa',
  Alexis: 'Alexia', Mathis: 'Mathilde', Frédéric: 'Frédérique', Dominic: 'Dominique', Olivier: 'Olivia', Charles: 'Charlotte',
  Justin: 'Justine', Émile: 'Émilie', Raphaël: 'Raphaëlle', Noah: 'Noémie', William: 'Williane', Thomas: 'Thomasine',
};
/** Same-sex look-alike names for twins. */
const ALIKE: readonly (readonly [string, string])[] = [
  ['Mathis', 'Mathias'], ['Marc-Antoine', 'Marc-André'], ['Jean-François', 'Jean-Philippe'], ['Alexis', 'Alexandre'],
  ['Marie-Ève', 'Marie-Pier'], ['Anne-Sophie', 'Anne-Marie'], ['Laurence', 'Laurie'], ['Léo', 'Léon'], ['Rosalie', 'Rose'],
  ['Sarah', 'Sara-Maude'], ['Noémie', 'Noélie'], ['Émile', 'Émilien'], ['Samuel', 'Samuelle'], ['Liam', 'Lyam'],
];

function alikeName(rng: Random, name: string, sameSex: boolean): string | undefined {
  if (!sameSex) {
    const paired = PAIRED[name] ?? Object.keys(PAIRED).find((k) => PAIRED[k] === name);
    return paired;
  }
  const pair = ALIKE.find(([a, b]) => a === name || b === name);
  if (pair) return pair[0] === name ? pair[1] : pair[0];
  const [a, b] = rng.pick(ALIKE);
  return rng.chance(0.5) ? a : b;
}

export function makeTwin(rng: Random, base: Omit<Person, 'nam'>, fresh: Omit<Person, 'nam'>): Omit<Person, 'nam'> {
  const sameSex = fresh.sex === base.sex;
  const alike = rng.chance(0.5) ? alikeName(rng, base.given[0] as string, sameSex) : undefined;
  let given = alike ? [alike] : [...fresh.given];
  if ((given[0] as string) === base.given[0]) given = [`${given[0]}-${sameSex ? 'Ange' : 'Claude'}`];
  const { marriedSurname: _m, previousAddress: _p, ...rest } = fresh;
  return {
    ...rest,
    given,
    birthDay: base.birthDay,
    language: base.language,
    surnameAtBirth: base.surnameAtBirth,
    address: base.address,
    ...(base.previousAddress ? { previousAddress: base.previousAddress } : {}),
    phone: base.phone,
    relative: { of: base.key, kind: 'twin' },
  };
}

/**
 * A son named after his father (base must be a man old enough), born 20–40 years after him; he lives at
 * his father's address (and phone) in most cases. Returns undefined when base cannot be a father.
 */
export function makeJunior(rng: Random, base: Omit<Person, 'nam'>, fresh: Omit<Person, 'nam'>, reference: Day): Omit<Person, 'nam'> | undefined {
  if (base.sex !== 'male' || yearsBetween(base.birthDay, reference) < 40) return undefined;
  const birthDay = addYears(base.birthDay, rng.int(20, Math.min(40, yearsBetween(base.birthDay, reference) - 18))) + rng.int(0, 300);
  if (birthDay >= reference - 365 * 18) return undefined;
  const home = rng.chance(0.6);
  const { marriedSurname: _m, genderIdentity: _g, ...rest } = fresh;
  return {
    ...rest,
    sex: 'male',
    given: [...base.given],
    birthDay,
    language: base.language,
    surnameAtBirth: base.surnameAtBirth,
    ...(home ? { address: base.address, phone: base.phone } : {}),
    suffix: 'Jr',
    relative: { of: base.key, kind: 'junior' },
  };
}
