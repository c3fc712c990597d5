import type { MatchRecord } from './record.js';

/**
 * What a Québec health-insurance number (NAM) says about its holder (pure). A NAM is built from the
 * holder's demographics: three letters of the surname at birth and the first letter of the given name,
 * the birth year (two digits), month (plus 50 for women) and day, then a sequence character that tells
 * apart people whose first ten characters coincide (twins of the same sex and initial, namesakes born
 * the same day) and a check digit. So a NAM can confirm or contradict the other fields of a record.
 * Nothing here depends on how the check digit is computed (the RAMQ does not publish it).
 */
export interface NamParts {
  readonly letters: string;
  /** Two-digit birth year. */
  readonly yy: string;
  readonly month: number;
  readonly day: number;
  readonly sex: 'female' | 'male';
  readonly sequence: string;
  readonly check: number;
}

const QUEBEC_NAM = /^([A-Z]{4})(\d{2})(\d{2})(\d{2})([0-9A-Z])(\d)$/;

export function isQuebecNam(value: string | undefined): value is string {
  return Boolean(value && /^[A-Z]{4}\d{8}$/.test(value));
}

export function namParts(value: string | undefined): NamParts | undefined {
  const m = value ? QUEBEC_NAM.exec(value) : null;
  if (!m) return undefined;
  const monthPart = Number(m[3]);
  const month = monthPart > 50 ? monthPart - 50 : monthPart;
  if (month < 1 || month > 12) return undefined;
  return {
    letters: m[1] as string, yy: m[2] as string, month, day: Number(m[4]), sex: monthPart > 50 ? 'female' : 'male',
    sequence: m[5] as string, check: Number(m[6]),
  };
}

/** The date of birth a NAM encodes, as "YYMMDD" (the century is not encoded). */
export function namDate(p: NamParts): string {
  return `${p.yy}${String(p.month).padStart(2, '0')}${String(p.day).padStart(2, '0')}`;
}

/** A record's date of birth as "YYMMDD", to compare with a NAM. */
export function shortDate(birthDate: string | undefined): string | undefined {
  return birthDate ? `${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}${birthDate.slice(8, 10)}` : undefined;
}

/** Whether the NAM a record carries encodes that record's own date of birth (undefined: cannot tell). */
export function namMatchesOwnDate(record: MatchRecord): boolean | undefined {
  const p = namParts(record.nam);
  const own = shortDate(record.birthDate);
  if (!p || !own) return undefined;
  return namDate(p) === own;
}

/**
 * How two Québec NAMs one character apart differ, by the part of the number the difference falls in:
 * - `check`: only the check digit — a typo (two people's numbers never differ there alone);
 * - `sequence`: the sequence character (and the check digit) — namesakes born the same day;
 * - `date` / `letters`: in the encoded date of birth or name.
 */
export type NamDifference = 'check' | 'sequence' | 'date' | 'letters';

export function namDifference(x: string, y: string): NamDifference | undefined {
  if (!isQuebecNam(x) || !isQuebecNam(y) || x === y) return undefined;
  if (x.slice(0, 11) === y.slice(0, 11)) return 'check';
  if (x.slice(0, 10) === y.slice(0, 10)) return 'sequence';
  if (x.slice(0, 4) !== y.slice(0, 4)) return 'letters';
  return 'date';
}
