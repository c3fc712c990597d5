import { ENTERPRISE_ID_SYSTEM } from '../fhir/code-systems.js';
/**
 * Enterprise person identifiers: a sequence number with a Luhn check digit, so that a mistyped identifier
 * is caught before it is looked up. Values come from a database sequence and are never reused.
 */
export { ENTERPRISE_ID_SYSTEM };

function luhnDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** 1 → "0000000018": nine digits of sequence and one check digit. */
export function formatEnterpriseId(sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new Error(`Invalid enterprise id sequence ${sequence}`);
  const body = String(sequence).padStart(9, '0');
  return `${body}${luhnDigit(body)}`;
}

export function isValidEnterpriseId(value: string): boolean {
  if (!/^\d{10,}$/.test(value)) return false;
  return luhnDigit(value.slice(0, -1)) === Number(value.slice(-1));
}
