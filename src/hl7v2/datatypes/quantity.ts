import ucum from '@lhncbc/ucum-lhc';
import type { Quantity, Range, Ratio } from '@medplum/fhirtypes';
import type { MappingContext } from '../mapping/context.js';
import type { Rep } from '../message/segments.js';
import { problem, type Hl7Location } from '../message/problems.js';
import { UCUM } from '../../fhir/code-systems.js';

/**
 * Numbers, units (OBX-6 → UCUM where the mapping is clear), structured numerics (SN) and reference ranges.
 * A unit that is not unambiguously UCUM keeps its original text and gets no code: never guess.
 */

export { UCUM };

/**
 * Lab spellings that are not UCUM, or that are valid UCUM with another meaning (K/uL would be kelvin per
 * microlitre): their UCUM code. Checked before any UCUM validation.
 */
const LAB_UNITS: Readonly<Record<string, string>> = {
  'K/uL': '10*3/uL', 'K/mm3': '10*3/mm3', 'M/uL': '10*6/uL', 'M/mm3': '10*6/mm3',
  'x10E3/uL': '10*3/uL', 'x10E6/uL': '10*6/uL', 'x10E9/L': '10*9/L', 'x10E12/L': '10*12/L',
  'X10E3/uL': '10*3/uL', 'X10E6/uL': '10*6/uL', '10^3/uL': '10*3/uL', '10^6/uL': '10*6/uL', '10^9/L': '10*9/L', '10^12/L': '10*12/L',
  'thou/mm3': '10*3/mm3', 'mill/mm3': '10*6/mm3', 'giga.l-1': '10*9/L', 'tera.l-1': '10*12/L', 'G/L': '10*9/L', 'T/L': '10*12/L',
  'mEq/L': 'meq/L', 'meq/l': 'meq/L', 'IU/L': '[IU]/L', 'IU/mL': '[IU]/mL', 'mIU/mL': 'm[IU]/mL', 'uIU/mL': 'u[IU]/mL', 'mIU/L': 'm[IU]/L',
  mmHg: 'mm[Hg]', 'mm Hg': 'mm[Hg]', sec: 's', secs: 's', hr: 'h', hrs: 'h', yr: 'a', yrs: 'a', mos: 'mo', wks: 'wk',
  'beats/min': '/min', bpm: '/min', 'breaths/min': '/min', lbs: '[lb_av]', lb: '[lb_av]', oz: '[oz_av]', in: '[in_i]', inch: '[in_i]', ft: '[ft_i]',
  degF: '[degF]', '°F': '[degF]', degC: 'Cel', '°C': 'Cel', C: 'Cel', F: '[degF]', mcg: 'ug', 'mcg/dL': 'ug/dL', 'mcg/L': 'ug/L', 'mcg/mL': 'ug/mL',
  gm: 'g', 'gm/dL': 'g/dL', cc: 'mL', 'cells/uL': '{cells}/uL', 'cells/mm3': '{cells}/mm3', 'mL/min/1.73m2': 'mL/min/{1.73_m2}',
  'mL/min/1.73 m2': 'mL/min/{1.73_m2}', ratio: '{ratio}', index: '{index}', titer: '{titer}', copies: '{copies}', 'copies/mL': '{copies}/mL',
};

/** Single letters and unit-free words that validate as UCUM but rarely mean that in a lab report. */
const AMBIGUOUS = /^(K|M|B|T|P|E|G)$/;

const utils = ucum.UcumLhcUtils.getInstance();
const ucumCache = new Map<string, string | undefined>();

/** The UCUM code for a unit as sent, or undefined when there is no unambiguous mapping. */
export function ucumCode(ctx: MappingContext, unit: string): string | undefined {
  const override = ctx.profile.units[unit];
  if (override) return override;
  const known = LAB_UNITS[unit];
  if (known) return known;
  // A bare number is valid UCUM (a dimensionless factor) but as a unit it is a code from another system.
  if (AMBIGUOUS.test(unit) || /^[0-9.]+$/.test(unit)) return undefined;
  if (ucumCache.has(unit)) return ucumCache.get(unit);
  let code: string | undefined;
  try {
    const result = utils.validateUnitString(unit, false);
    code = result.status === 'valid' && result.ucumCode === unit ? unit : undefined;
  } catch {
    code = undefined;
  }
  if (ucumCache.size < 10_000) ucumCache.set(unit, code);
  return code;
}

export interface Unit {
  readonly unit: string;
  readonly code?: string;
}

/** OBX-6 (CE/CWE): the unit text and, when clear, its UCUM code. */
export function unitOf(ctx: MappingContext, rep: Rep | undefined): Unit | undefined {
  if (!rep) return undefined;
  const id = rep.c(1).trim();
  const text = rep.c(2).trim();
  const system = rep.c(3).trim().toUpperCase();
  const shown = id || text;
  if (!shown) return undefined;
  if ((system === 'UCUM' || system === 'ISO+' || system === 'ANSI+') && id) {
    const code = ucumCode(ctx, id);
    return code ? { unit: text || id, code } : { unit: text || id };
  }
  // A unit coded in another system (SNOMED CT "tablet"…) is not UCUM: keep its text.
  if (system && system !== 'L') return { unit: text || id };
  const code = ucumCode(ctx, id || text);
  return code ? { unit: shown, code } : { unit: shown };
}

export function quantity(value: number, unit: Unit | undefined, comparator?: Quantity['comparator']): Quantity {
  return {
    value,
    ...(comparator ? { comparator } : {}),
    ...(unit ? { unit: unit.unit } : {}),
    ...(unit?.code ? { system: UCUM, code: unit.code } : {}),
  };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** An NM value; throws a data-type problem when it is not a number. */
export function parseNumber(text: string, at: Hl7Location): number {
  const trimmed = text.trim();
  if (!NUMBER.test(trimmed)) throw problem.dataType(at, `"${text}" is not a number`);
  return Number(trimmed);
}

const COMPARATORS = new Set(['<', '<=', '>=', '>']);

/** SN (comparator^num1^separator^num2) → Quantity (with comparator), Range (1-5), or Ratio (1:2, 1/2). */
export function structuredNumeric(rep: Rep, unit: Unit | undefined):
  | { readonly kind: 'quantity'; readonly value: Quantity }
  | { readonly kind: 'range'; readonly value: Range }
  | { readonly kind: 'ratio'; readonly value: Ratio } {
  const comparatorText = rep.c(1).trim();
  const num1 = rep.c(2).trim();
  const separator = rep.c(3).trim();
  const num2 = rep.c(4).trim();
  if (comparatorText && !COMPARATORS.has(comparatorText) && comparatorText !== '=' && comparatorText !== '<>') {
    throw problem.dataType(rep.loc(1), `"${comparatorText}" is not an SN comparator (<, <=, =, >=, >, <>)`);
  }
  if (!num1) throw problem.dataType(rep.loc(2), 'a structured numeric (SN) needs its first number');
  const first = parseNumber(num1, rep.loc(2));
  if (!separator) {
    const comparator = COMPARATORS.has(comparatorText) ? (comparatorText as Quantity['comparator']) : undefined;
    return { kind: 'quantity', value: quantity(first, unit, comparator) };
  }
  const second = parseNumber(num2, rep.loc(4));
  if (separator === '-') return { kind: 'range', value: { low: quantity(first, unit), high: quantity(second, unit) } };
  if (separator === ':' || separator === '/') return { kind: 'ratio', value: { numerator: { value: first }, denominator: { value: second } } };
  if (separator === '+' || separator === '.') return { kind: 'quantity', value: quantity(Number(`${first}.${num2}`), unit) };
  throw problem.dataType(rep.loc(3), `"${separator}" is not an SN separator (-, :, /, +, .)`);
}

/** OBX-7 reference range ("3.5-5.0", "<5", ">=10", "4.50&5.90") → low/high, or text when it is not numeric. */
export function referenceRange(text: string, unit: Unit | undefined): { low?: Quantity; high?: Quantity; text?: string } | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const num = '([+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+))';
  const between = new RegExp(`^${num}\\s*(?:-|&|_|to|\\.\\.)\\s*${num}$`).exec(t);
  if (between) return { low: quantity(Number(between[1]), unit), high: quantity(Number(between[2]), unit) };
  const upper = new RegExp(`^(<=?)\\s*${num}$`).exec(t);
  if (upper) return { high: quantity(Number(upper[2]), unit) };
  const lower = new RegExp(`^(>=?)\\s*${num}$`).exec(t);
  if (lower) return { low: quantity(Number(lower[2]), unit) };
  return { text: t };
}
