import { frenchPhonetic } from '../../mpi/phonetic.js';

/**
 * String normalisation shared by indexing and querying, so that both sides agree (pure).
 *
 * FHIR string search is case- and accent-insensitive. Carnet also ignores apostrophes and treats hyphens and
 * other punctuation as spaces, because French names are written with and without them: "Éloïse" finds
 * "eloise", "ordo" finds "Ordóñez", "oconnell" and "O'Connell" find each other, "marie eve" finds
 * "Marie-Ève" — and "Conn" does not find "O'Connell" (prefix of the whole value, not of a word inside it).
 */
const LIGATURES: Record<string, string> = { œ: 'oe', Œ: 'oe', æ: 'ae', Æ: 'ae', ß: 'ss', ø: 'o', Ø: 'o', ł: 'l', Ł: 'l', đ: 'd', Đ: 'd' };

export function normalizeText(value: string): string {
  return value
    .replace(/[œŒæÆßøØłŁđĐ]/g, (c) => LIGATURES[c] ?? c)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/['’ʼ`´]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * The phonetic key of a name, word by word, with the master patient index's French phonetic rules
 * (Thibodeau/Thibodeault, Tremblay/Trembley, Philippe/Filipe share a key): what `phonetic` searches.
 */
export function phoneticKey(value: string): string {
  return normalizeText(value).split(' ').map(frenchPhonetic).filter(Boolean).join(' ');
}

/** The smallest string greater than every string that starts with `prefix` (for index range scans). */
export function prefixUpperBound(prefix: string): string {
  const chars = [...prefix];
  for (let i = chars.length - 1; i >= 0; i--) {
    const code = (chars[i] as string).codePointAt(0) as number;
    if (code < 0x10ffff) {
      chars[i] = String.fromCodePoint(code === 0xd7ff ? 0xe000 : code + 1);
      return chars.slice(0, i + 1).join('');
    }
  }
  return `${prefix}\u{10ffff}`;
}

/** Escapes LIKE wildcards so user input matches literally. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
