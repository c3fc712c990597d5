import type { TypedValue } from '@medplum/core';
import type {
  Address, CodeableConcept, Coding, ContactPoint, HumanName, Identifier, Money, Period, Quantity, Range, Reference, Timing,
} from '@medplum/fhirtypes';
import { parseLocalReference } from '../../references.js';
import { dateRange, periodRange } from '../dates.js';
import { plainDecimal } from '../decimal.js';
import { normalizeText } from '../normalize.js';
import { alternateConcentration, toCanonical, UCUM_SYSTEM } from '../ucum.js';
import type { IndexRows } from '../../../storage/sql/index-rows.js';
import { ISO4217 } from '../../../fhir/code-systems.js';

/**
 * Converts the values a search parameter's FHIRPath selects into index rows, per parameter type (pure).
 * This is where FHIR's rules of what each data type means to each kind of search live.
 */
export interface Keys {
  readonly param: number;
  readonly grp: number | null;
  /** Where the display text of codes goes (`:text`), when the parameter is a token. */
  readonly text?: number;
  /** Where identifier type + value go (`:of-type`). */
  readonly ofType?: number;
  /** The system of plain codes, when the element's binding implies one. */
  readonly system?: string;
  /** How string values are normalised (default: case, accents and punctuation folded). */
  readonly normalize?: (value: string) => string;
}

export interface ValueContext {
  readonly baseUrl: string | undefined;
  /** Codes of the observation or component a quantity belongs to (mass ↔ substance conversion). */
  readonly analyteOf: (value: object) => readonly Coding[] | undefined;
}

const MAX_NORM = 512;
const MAX_EXACT = 2048;

// ---------- tokens ----------

export function addTokens(rows: IndexRows, keys: Keys, values: readonly TypedValue[]): void {
  const seen = new Set<string>();
  const token = (system: string | undefined | null, code: string | undefined | null) => {
    if (!system && (code === undefined || code === null || code === '')) return;
    const key = `${system ?? ''}\u0000${code ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    rows.tokens.push({ param: keys.param, grp: keys.grp, system: system || null, code: code ?? null });
  };
  const texts = new Set<string>();
  const text = (value: string | undefined) => {
    if (!value || keys.text === undefined || texts.has(value)) return;
    texts.add(value);
    addString(rows, keys.text, keys.grp, value);
  };
  const coding = (c: Coding | undefined) => {
    if (!c) return;
    token(c.system, c.code);
    text(c.display);
  };
  for (const { type, value } of values) {
    if (value === undefined || value === null) continue;
    switch (type) {
      case 'Coding':
        coding(value as Coding);
        break;
      case 'CodeableConcept': {
        const cc = value as CodeableConcept;
        cc.coding?.forEach(coding);
        text(cc.text);
        break;
      }
      case 'Identifier': {
        const id = value as Identifier;
        token(id.system, id.value);
        text(id.type?.text);
        if (keys.ofType !== undefined && id.value) {
          for (const t of id.type?.coding ?? []) {
            if (t.code) rows.tokens.push({ param: keys.ofType, grp: keys.grp, system: t.system ?? null, code: `${t.code}|${id.value}` });
          }
        }
        break;
      }
      case 'ContactPoint': {
        const cp = value as ContactPoint;
        token(cp.system, cp.value);
        break;
      }
      case 'boolean':
        token(undefined, value ? 'true' : 'false');
        break;
      default:
        if (typeof value === 'string') token(type === 'code' ? keys.system : undefined, value);
        else if (typeof value === 'number') token(undefined, String(value));
    }
  }
}

// ---------- strings ----------

function addString(rows: IndexRows, param: number, grp: number | null, value: string, normalize: (value: string) => string = normalizeText): void {
  const norm = normalize(value).slice(0, MAX_NORM);
  if (norm === '') return;
  rows.strings.push({ param, grp, norm, exact: value.slice(0, MAX_EXACT) });
}

function nameParts(name: HumanName): string[] {
  const parts = [...(name.prefix ?? []), ...(name.given ?? []), ...(name.family ? [name.family] : []), ...(name.suffix ?? [])];
  const full = [...(name.given ?? []), ...(name.family ? [name.family] : [])].join(' ');
  return [...parts, ...(name.text ? [name.text] : []), ...(full && !parts.includes(full) ? [full] : [])];
}

function addressParts(address: Address): string[] {
  const parts = [...(address.line ?? []), address.city, address.district, address.state, address.postalCode, address.country, address.text];
  return parts.filter((p): p is string => typeof p === 'string' && p.length > 0);
}

export function addStrings(rows: IndexRows, keys: Keys, values: readonly TypedValue[]): void {
  const seen = new Set<string>();
  const add = (value: string | undefined) => {
    if (!value || seen.has(value)) return;
    seen.add(value);
    addString(rows, keys.param, keys.grp, value, keys.normalize);
  };
  for (const { type, value } of values) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') add(value);
    else if (type === 'HumanName') nameParts(value as HumanName).forEach(add);
    else if (type === 'Address') addressParts(value as Address).forEach(add);
    else if (type === 'CodeableConcept') {
      const cc = value as CodeableConcept;
      add(cc.text);
      cc.coding?.forEach((c) => add(c.display));
    } else if (type === 'Coding') add((value as Coding).display);
    else if (type === 'Annotation') add((value as { text?: string }).text);
    else if (type === 'Attachment') add((value as { title?: string }).title);
  }
}

// ---------- dates ----------

export function addDates(rows: IndexRows, keys: Keys, values: readonly TypedValue[]): void {
  const add = (range: { start: string; end: string } | undefined) => {
    if (range) rows.dates.push({ param: keys.param, grp: keys.grp, lo: range.start, hi: range.end });
  };
  for (const { type, value } of values) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') add(dateRange(value));
    else if (type === 'Period') add(periodRange((value as Period).start, (value as Period).end));
    else if (type === 'Timing') {
      const timing = value as Timing;
      timing.event?.forEach((e) => add(dateRange(e)));
      const bounds = timing.repeat?.boundsPeriod;
      if (bounds) add(periodRange(bounds.start, bounds.end));
    }
  }
}

// ---------- numbers ----------

function decimalOf(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? plainDecimal(String(value)) : undefined;
}

export function addNumbers(rows: IndexRows, keys: Keys, values: readonly TypedValue[]): void {
  for (const { type, value } of values) {
    if (type === 'Range') {
      const range = value as Range;
      const lo = decimalOf(range.low?.value) ?? '-Infinity';
      const hi = decimalOf(range.high?.value) ?? 'Infinity';
      if (lo !== '-Infinity' || hi !== 'Infinity') rows.numbers.push({ param: keys.param, grp: keys.grp, lo, hi });
      continue;
    }
    const n = decimalOf(typeof value === 'object' && value !== null ? (value as Quantity).value : value);
    if (n !== undefined) rows.numbers.push({ param: keys.param, grp: keys.grp, lo: n, hi: n });
  }
}

// ---------- quantities ----------

function pushQuantity(rows: IndexRows, keys: Keys, q: Quantity, lo: string, hi: string, analyte: readonly Coding[] | undefined): void {
  const base = { param: keys.param, grp: keys.grp, system: q.system ?? null, code: q.code ?? null, unit: q.unit ?? null, lo, hi };
  const ucumCode = q.system === UCUM_SYSTEM ? q.code : undefined;
  const loCanon = ucumCode && lo !== '-Infinity' ? toCanonical(Number(lo), ucumCode) : undefined;
  const hiCanon = ucumCode && hi !== 'Infinity' ? toCanonical(Number(hi), ucumCode) : undefined;
  const code = loCanon?.code ?? hiCanon?.code;
  if (!code) {
    rows.quantities.push({ ...base, canonCode: null, canonLo: null, canonHi: null });
    return;
  }
  rows.quantities.push({ ...base, canonCode: code, canonLo: loCanon?.value ?? null, canonHi: hiCanon?.value ?? null });
  // The same concentration in the other dimension, when the analyte's molar mass is known.
  if (analyte && loCanon && lo === hi) {
    const alternate = alternateConcentration(loCanon, analyte);
    if (alternate) rows.quantities.push({ ...base, canonCode: alternate.code, canonLo: alternate.value, canonHi: alternate.value });
  }
}

export function addQuantities(rows: IndexRows, keys: Keys, values: readonly TypedValue[], ctx: ValueContext): void {
  for (const { type, value } of values) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'number') {
      const n = decimalOf(value);
      if (n) rows.quantities.push({ param: keys.param, grp: keys.grp, system: null, code: null, unit: null, lo: n, hi: n, canonCode: null, canonLo: null, canonHi: null });
    } else if (type === 'Range') {
      const range = value as Range;
      const unitOf = range.low ?? range.high;
      if (!unitOf) continue;
      pushQuantity(rows, keys, unitOf, decimalOf(range.low?.value) ?? '-Infinity', decimalOf(range.high?.value) ?? 'Infinity', undefined);
    } else if (type === 'Money') {
      const money = value as Money;
      const n = decimalOf(money.value);
      if (n) pushQuantity(rows, keys, { value: money.value, system: ISO4217, code: money.currency }, n, n, undefined);
    } else if (typeof value === 'object') {
      const q = value as Quantity;
      const n = decimalOf(q.value);
      if (n) pushQuantity(rows, keys, q, n, n, ctx.analyteOf(q));
    }
  }
}

// ---------- references ----------

export function addReferences(rows: IndexRows, keys: Keys, values: readonly TypedValue[], ctx: ValueContext): void {
  const seen = new Set<string>();
  const push = (target: string | null, identSystem: string | null = null, identValue: string | null = null) => {
    const key = `${target}\u0000${identSystem}\u0000${identValue}`;
    if (seen.has(key)) return;
    seen.add(key);
    rows.references.push({ param: keys.param, grp: keys.grp, target, identSystem, identValue });
  };
  const literal = (reference: string): string | null => {
    if (reference.startsWith('#') || reference.startsWith('urn:')) return null;
    const local = parseLocalReference(reference, ctx.baseUrl);
    return local ? `${local.resourceType}/${local.id}` : reference;
  };
  for (const { value } of values) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') {
      // canonical or uri: matched with and without its version
      const bar = value.indexOf('|');
      push(bar > 0 ? value.slice(0, bar) : value);
      if (bar > 0) push(value);
      continue;
    }
    const ref = value as Reference & { resourceType?: string; id?: string };
    if (ref.resourceType && ref.id) {
      push(`${ref.resourceType}/${ref.id}`);
      continue;
    }
    const target = typeof ref.reference === 'string' ? literal(ref.reference) : null;
    const ident = ref.identifier;
    if (target || ident?.value) push(target, ident?.system ?? null, ident?.value ?? null);
  }
}

// ---------- uris ----------

export function addUris(rows: IndexRows, keys: Keys, values: readonly TypedValue[]): void {
  const seen = new Set<string>();
  for (const { value } of values) {
    if (typeof value !== 'string' || value === '' || seen.has(value)) continue;
    seen.add(value);
    rows.uris.push({ param: keys.param, grp: keys.grp, uri: value });
  }
}
