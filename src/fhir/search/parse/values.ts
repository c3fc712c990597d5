import { errors } from '../../outcomes.js';
import { dateRange } from '../dates.js';
import { isDecimal, plainDecimal, precisionRange } from '../decimal.js';
import type { DateValue, NumberValue, Prefix, QuantityValue, TokenValue } from '../model.js';
import { toCanonical, UCUM_SYSTEM } from '../ucum.js';

/** Parsing of search values: escaping, tokens, dates, numbers, quantities (pure). */

/** Splits on a separator not escaped with a backslash. */
export function splitUnescaped(raw: string, separator: ',' | '|' | '$'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\' && i + 1 < raw.length) {
      current += c + (raw[i + 1] as string);
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

export function unescape(value: string): string {
  return value.replace(/\\([,|$\\])/g, '$1');
}

/** A parameter's values: commas separate alternatives (OR). */
export function splitValues(raw: string): string[] {
  return splitUnescaped(raw, ',');
}

export function parseToken(raw: string, name: string): TokenValue {
  const parts = splitUnescaped(raw, '|');
  if (parts.length === 1) return { system: undefined, code: unescape(raw) };
  const [system, ...rest] = parts;
  const code = unescape(rest.join('|'));
  const sys = unescape(system as string);
  if (sys === '' && code === '') throw errors.invalid(`${name}: "|" alone is not a token`);
  return { system: sys === '' ? null : sys, code: code === '' ? undefined : code };
}

const PREFIXES = new Set<Prefix>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

export function splitPrefix(raw: string): { prefix: Prefix; rest: string } {
  const head = raw.slice(0, 2) as Prefix;
  if (PREFIXES.has(head) && raw.length > 2 && !/^[a-z]/.test(raw.slice(2, 3))) return { prefix: head, rest: raw.slice(2) };
  return { prefix: 'eq', rest: raw };
}

export function parseDate(raw: string, name: string): DateValue {
  const { prefix, rest } = splitPrefix(raw);
  const range = dateRange(unescape(rest));
  if (!range) throw errors.invalid(`${name}: "${rest}" is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime with a time zone)`);
  return { prefix, start: range.start, end: range.end };
}

export function parseNumber(raw: string, name: string): NumberValue {
  const { prefix, rest } = splitPrefix(raw);
  const value = unescape(rest);
  const plain = plainDecimal(value);
  const range = precisionRange(value);
  if (!isDecimal(value) || plain === undefined || !range) throw errors.invalid(`${name}: "${rest}" is not a number`);
  return { prefix, value: plain, lo: range.lo, hi: range.hi };
}

/** `[prefix]number|system|code`, `[prefix]number||code`, `[prefix]number`. */
export function parseQuantity(raw: string, name: string): QuantityValue {
  const parts = splitUnescaped(raw, '|');
  if (parts.length !== 1 && parts.length !== 3) throw errors.invalid(`${name}: a quantity is number, number|system|code or number||code`);
  const number = parseNumber(parts[0] as string, name);
  const system = parts[1] ? unescape(parts[1]) : undefined;
  const code = parts[2] ? unescape(parts[2]) : undefined;
  let canonical: QuantityValue['canonical'];
  if (code && (system === UCUM_SYSTEM || system === undefined)) {
    const value = toCanonical(Number(number.value), code);
    const lo = toCanonical(Number(number.lo), code);
    const hi = toCanonical(Number(number.hi), code);
    if (value && lo && hi) canonical = { code: value.code, value: value.value, lo: lo.value, hi: hi.value };
    else if (system === UCUM_SYSTEM) throw errors.invalid(`${name}: "${code}" is not a valid UCUM unit`);
  }
  return { ...number, system, code, ...(canonical && system === UCUM_SYSTEM ? { canonical } : {}) };
}
