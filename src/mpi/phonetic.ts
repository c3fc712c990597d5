/**
 * A phonetic key for French (Québec) names, in the spirit of Soundex2 and Phonex: spellings that sound
 * alike in French share a key (Thibodeau/Thibodeault, Tremblay/Trembley/Tremblé, Arsenault/Arseneau,
 * Philippe/Filipe, Gauthier/Gautier). Written for names already folded by `nameTokens`/`joinedName`.
 *
 * Vowel sounds are reduced to classes and dropped after the first letter (typos in vowels are frequent),
 * nasal vowels are kept as one consonant-like class, silent endings are removed, repeats collapse.
 */

const RULES: readonly [RegExp, string][] = [
  // Silent or merged endings first, while the word still has its spelling.
  [/(e?aux|e?ault|eau|aud|aut)$/, 'o'],
  [/(er|ez|et|ee)$/, 'e'],
  [/es$/, 'e'],
  [/([^e])[stdxz]$/, '$1'],
  [/([bcdfgjklmnpqrstvz])\1+/g, '$1'],
  [/([aeiouy])sn/g, '$1n'],
  // Consonant groups.
  [/sch|sh|ch/g, 'X'],
  [/ph/g, 'f'],
  [/th/g, 't'],
  [/gn/g, 'n'],
  [/qu|q|ck|cc/g, 'k'],
  [/c([eiy])/g, 's$1'],
  [/c/g, 'k'],
  [/gu([eiy])/g, 'g$1'],
  [/g([eiy])/g, 'j$1'],
  [/x/g, 'ks'],
  [/w/g, 'v'],
  [/z/g, 's'],
  [/h/g, ''],
  [/ss/g, 's'],
  // Vowel groups, then nasal vowels (a vowel + n/m not followed by a vowel).
  [/eau|au|o/g, 'O'],
  [/ou|u/g, 'U'],
  [/oi|oy/g, 'UA'],
  [/ai|ei|ay|ey|e|y|i/g, 'E'],
  [/a/g, 'A'],
  [/[AEOU]+[nm](?![AEOU]|$)/g, 'N'],
  [/[AEOU]+[nm]$/g, 'N'],
];

const VOWEL_CLASSES = /[AEOU]/g;

export function frenchPhonetic(name: string): string {
  if (!name) return '';
  let s = name.replace(/[^a-z]/g, '');
  if (!s) return '';
  for (const [pattern, replacement] of RULES) s = s.replace(pattern, replacement);
  if (!s) return name.slice(0, 1);
  const first = s.charAt(0);
  const rest = s.slice(1).replace(VOWEL_CLASSES, '');
  const key = (first.toLowerCase() + rest.toLowerCase()).replace(/(.)\1+/g, '$1');
  return key;
}
