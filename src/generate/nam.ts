/**
 * The Québec health-insurance number (NAM, numéro d'assurance maladie), pure.
 *
 * Format (published by the RAMQ on the health-insurance card): the first three letters of the surname at
 * birth, the first letter of the given name, the last two digits of the birth year, the birth month (plus
 * 50 for women), the birth day, then two characters for the RAMQ's administrative use. Of those two, the
 * first tells apart people whose first ten characters are the same (1–9, then letters) and the second is
 * a check digit.
 *
 * The RAMQ does not publish the check-digit algorithm. What is implemented here is the procedure in the
 * open-source "Utilitaire NAM" of the Institut national de santé publique du Québec (INSPQ, published on
 * the Forge gouvernementale du Québec): rebuild a 14-character string (the 4 letters, the 4-digit birth
 * year, M or F, the 2-digit month without the +50, the 2-digit day, the distinguishing character); take
 * each character's EBCDIC code; multiply by the weights 1 3 7 9 1 7 1 3 4 5 7 6 9 1; the check digit is
 * the units digit of the sum. It is not an official RAMQ specification: numbers that pass it are
 * well-formed for this generator and for systems that apply the same rule, nothing more.
 */

export type NamSex = 'M' | 'F';

const WEIGHTS = [1, 3, 7, 9, 1, 7, 1, 3, 4, 5, 7, 6, 9, 1] as const;

/** Distinguishing characters in the order they are assigned (no I, O: they read as 1 and 0). */
export const DISTINGUISHERS = '123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/** EBCDIC (code page 037/1047) code of an uppercase letter or a digit. */
export function ebcdic(char: string): number {
  const c = char.charCodeAt(0);
  if (c >= 48 && c <= 57) return 240 + (c - 48);
  if (c >= 65 && c <= 73) return 193 + (c - 65); // A–I
  if (c >= 74 && c <= 82) return 209 + (c - 74); // J–R
  if (c >= 83 && c <= 90) return 226 + (c - 83); // S–Z
  throw new Error(`no EBCDIC code for "${char}" in a NAM`);
}

/**
 * The letters a name contributes, as the INSPQ utility normalises them: accents removed, everything that
 * is not a letter dropped (hyphens, apostrophes, spaces), "Saint"/"Sainte" shortened to "ST".
 */
export function normaliseNamName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '')
    .replace('SAINTE', 'ST')
    .replace('SAINT', 'ST');
}

/** The four letters: three of the surname at birth (padded with X when shorter) and one of the given name. */
export function namLetters(surname: string, givenName: string): string {
  const last = normaliseNamName(surname);
  const first = normaliseNamName(givenName);
  if (!first) throw new Error('a NAM needs a given name with a letter');
  return (last.slice(0, 3) + 'XXX').slice(0, 3) + first.charAt(0);
}

export function namCheckDigit(letters: string, birthYear: number, sex: NamSex, month: number, day: number, distinguisher: string): number {
  const decomposed = `${letters}${String(birthYear).padStart(4, '0')}${sex}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${distinguisher}`;
  let sum = 0;
  for (let i = 0; i < WEIGHTS.length; i++) sum += ebcdic(decomposed.charAt(i)) * (WEIGHTS[i] as number);
  return sum % 10;
}

export interface NamInput {
  readonly surname: string;
  readonly givenName: string;
  /** YYYY-MM-DD */
  readonly birthDate: string;
  readonly sex: NamSex;
  /** 1-based rank among people sharing the first ten characters (default 1). */
  readonly rank?: number;
}

export function makeNam(input: NamInput): string {
  const [year, month, day] = input.birthDate.split('-').map(Number) as [number, number, number];
  const letters = namLetters(input.surname, input.givenName);
  const distinguisher = DISTINGUISHERS.charAt((input.rank ?? 1) - 1);
  if (!distinguisher) throw new Error('too many people share the same NAM prefix');
  const yy = String(year % 100).padStart(2, '0');
  const mm = String(month + (input.sex === 'F' ? 50 : 0)).padStart(2, '0');
  const dd = String(day).padStart(2, '0');
  return `${letters}${yy}${mm}${dd}${distinguisher}${namCheckDigit(letters, year, input.sex, month, day, distinguisher)}`;
}

export const NAM_PATTERN = /^[A-Z]{4}\d{2}(0[1-9]|1[0-2]|5[1-9]|6[0-2])(0[1-9]|[12]\d|3[01])[1-9A-HJ-NP-Z]\d$/;

export interface NamInfo {
  readonly birthDate: string;
  readonly sex: NamSex;
}

function isRealDate(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/**
 * Checks a NAM's format, date and check digit. The two-digit year leaves the century open: the most
 * recent century not after `referenceYear` is tried first, then the one before (people over 100).
 * Returns the birth date and sex it encodes, or undefined when it is not well-formed.
 */
export function parseNam(nam: string, referenceYear: number): NamInfo | undefined {
  const value = nam.toUpperCase();
  if (!NAM_PATTERN.test(value)) return undefined;
  const yy = Number(value.slice(4, 6));
  const monthPart = Number(value.slice(6, 8));
  const sex: NamSex = monthPart > 50 ? 'F' : 'M';
  const month = monthPart % 50;
  const day = Number(value.slice(8, 10));
  const distinguisher = value.charAt(10);
  const check = Number(value.charAt(11));
  let year = referenceYear - ((referenceYear - yy) % 100 + 100) % 100;
  for (let attempt = 0; attempt < 2; attempt++, year -= 100) {
    if (!isRealDate(year, month, day)) continue;
    if (namCheckDigit(value.slice(0, 4), year, sex, month, day, distinguisher) === check) {
      return { birthDate: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`, sex };
    }
  }
  return undefined;
}

export function isValidNam(nam: string, referenceYear: number): boolean {
  return parseNam(nam, referenceYear) !== undefined;
}
