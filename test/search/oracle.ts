import { createRequire } from 'node:module';
import { evalFhirPathTyped, getSearchParameter, toTypedValue, type TypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { fhirDefinitions } from '../../src/fhir/definitions.js';

/**
 * An independent, deliberately naive model of FHIR R4 search, for tests: it evaluates each parameter's
 * FHIRPath on in-memory resources and applies the spec's matching rules directly, with no index, no SQL
 * and none of the engine's code. Carnet's answers are compared with it.
 */
const require = createRequire(import.meta.url);
const ucum = (require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } }).UcumLhcUtils.getInstance();
interface UcumUtils {
  convertUnitTo(from: string, value: number, to: string, options?: { molecularWeight?: number }): { status: string; toVal?: number };
}
/** Molar masses the oracle knows (glucose, cholesterol), by LOINC code. */
const MOLAR_MASS: Record<string, number> = { '2345-7': 180.156, '14749-6': 180.156, '2093-3': 386.654, '14647-2': 386.654 };

type Range = [number, number]; // [lo, hi) in ms, or numbers

const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/œ/g, 'oe').toLowerCase().replace(/['’]/g, '').replace(/[^a-z0-9]+/g, ' ').trim();

function dateRange(text: string): Range | undefined {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, z] = m;
  if (h === undefined) {
    const start = Date.UTC(+y!, mo ? +mo - 1 : 0, d ? +d : 1);
    const end = d ? Date.UTC(+y!, +mo! - 1, +d + 1) : mo ? Date.UTC(+y!, +mo, 1) : Date.UTC(+y! + 1, 0, 1);
    return [start, end];
  }
  const start = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${frac ? `.${frac}` : ''}${z}`);
  const step = frac ? 10 ** (3 - Math.min(frac.length, 3)) : s ? 1000 : 60_000;
  return [start, start + step];
}

function decimalRange(text: string): Range {
  const [mant = '', exp] = text.split(/e/i);
  const decimals = (mant.split('.')[1] ?? '').length - Number(exp ?? 0);
  const half = 0.5 * 10 ** -decimals;
  const v = Number(text);
  return [v - half, v + half];
}

interface Token { system?: string; code?: string; text: string[]; type?: { system?: string; code?: string }[] }

function tokens(values: TypedValue[]): Token[] {
  const out: Token[] = [];
  for (const { type, value } of values) {
    if (value == null) continue;
    if (type === 'Coding') out.push({ system: value.system, code: value.code, text: [value.display].filter(Boolean) });
    else if (type === 'CodeableConcept') {
      for (const c of value.coding ?? []) out.push({ system: c.system, code: c.code, text: [c.display, value.text].filter(Boolean) });
      if (!value.coding?.length && value.text) out.push({ text: [value.text] });
    } else if (type === 'Identifier') out.push({ system: value.system, code: value.value, text: [value.type?.text].filter(Boolean), type: value.type?.coding });
    else if (type === 'ContactPoint') out.push({ system: value.system, code: value.value, text: [] });
    else if (typeof value === 'boolean') out.push({ code: String(value), text: [] });
    else if (typeof value === 'string' || typeof value === 'number') out.push({ code: String(value), text: [] });
  }
  return out;
}

function strings(values: TypedValue[]): string[] {
  const out: string[] = [];
  for (const { type, value } of values) {
    if (value == null) continue;
    if (typeof value === 'string') out.push(value);
    else if (type === 'HumanName') out.push(...[value.family, ...(value.given ?? []), ...(value.prefix ?? []), ...(value.suffix ?? []), value.text, [...(value.given ?? []), value.family].filter(Boolean).join(' ')].filter(Boolean));
    else if (type === 'Address') out.push(...[...(value.line ?? []), value.city, value.district, value.state, value.postalCode, value.country, value.text].filter(Boolean));
    else if (type === 'CodeableConcept') out.push(...[value.text, ...(value.coding ?? []).map((c: { display?: string }) => c.display)].filter(Boolean));
  }
  return out;
}

function dates(values: TypedValue[]): Range[] {
  const out: Range[] = [];
  for (const { type, value } of values) {
    if (typeof value === 'string') {
      const r = dateRange(value);
      if (r) out.push(r);
    } else if (type === 'Period') {
      const s = value.start ? dateRange(value.start)?.[0] : -Infinity;
      const e = value.end ? dateRange(value.end)?.[1] : Infinity;
      if (s !== undefined && e !== undefined && (value.start || value.end)) out.push([s, e]);
    }
  }
  return out;
}

function references(values: TypedValue[], base: string): { target?: string; identifier?: { system?: string; value?: string } }[] {
  const out: { target?: string; identifier?: { system?: string; value?: string } }[] = [];
  for (const { value } of values) {
    if (typeof value === 'string') {
      out.push({ target: value.split('|')[0] }, { target: value });
    } else if (value?.reference || value?.identifier) {
      const ref = (value.reference as string | undefined)?.replace(`${base}/`, '').replace(/\/_history\/.*$/, '');
      out.push({ ...(ref && !ref.startsWith('#') ? { target: ref } : {}), ...(value.identifier ? { identifier: value.identifier } : {}) });
    }
  }
  return out;
}

interface Quantity { value: number; lo: number; hi: number; system?: string; code?: string; unit?: string; analyte?: string[] }

/** The search comparison of a target range with a search range per the R4 prefix table. */
function compareRange(prefix: string, [lo, hi]: Range, [s, e]: Range): boolean {
  const within = lo >= s && hi <= e;
  switch (prefix) {
    case 'eq': return within;
    case 'ne': return !within;
    case 'gt': return hi > e;
    case 'lt': return lo < s;
    case 'ge': return hi > e || within;
    case 'le': return lo < s || within;
    case 'sa': return lo >= e;
    case 'eb': return hi <= s;
    default: throw new Error(`oracle: prefix ${prefix}`);
  }
}

function compareNumber(prefix: string, [lo, hi]: Range, text: string): boolean {
  const v = Number(text);
  const [s, e] = decimalRange(text);
  switch (prefix) {
    case 'eq': return lo >= s && hi < e;
    case 'ne': return !(lo >= s && hi < e);
    case 'gt': return hi > v;
    case 'lt': return lo < v;
    case 'ge': return hi >= v;
    case 'le': return lo <= v;
    case 'sa': return lo > v;
    case 'eb': return hi < v;
    default: return Math.abs(v - lo) <= Math.abs(v) * 0.1;
  }
}

function splitPrefix(raw: string): [string, string] {
  const m = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)(?=[0-9-])/.exec(raw);
  return m ? [m[1] as string, raw.slice(2)] : ['eq', raw];
}

export class SearchOracle {
  private readonly resources: Resource[];

  constructor(resources: readonly Resource[], private readonly base: string) {
    this.resources = resources.map((r) => JSON.parse(JSON.stringify(r).split(`"${base}/`).join('"')) as Resource);
  }

  private values(resource: Resource, code: string, expression?: string): TypedValue[] {
    const sp = getSearchParameter(resource.resourceType, code);
    const expr = expression ?? sp?.expression;
    if (!expr) throw new Error(`oracle: no parameter ${resource.resourceType}.${code}`);
    return evalFhirPathTyped(expr, [toTypedValue(resource)], { '%resource': toTypedValue(resource) });
  }

  /** Ids of the resources of `type` matching the query (parameters ANDed, commas ORed). */
  search(type: string, query: string): string[] {
    const params = [...new URLSearchParams(query).entries()].filter(([n]) => !n.startsWith('_count') && !n.startsWith('_sort'));
    return this.resources.filter((r) => r.resourceType === type && params.every(([n, v]) => this.matches(r, n, v))).map((r) => r.id as string);
  }

  matches(resource: Resource, name: string, raw: string): boolean {
    if (name.startsWith('_has:')) {
      const [, source, ref, ...rest] = name.split(':');
      const target = `${resource.resourceType}/${resource.id}`;
      return this.resources.some((r) => r.resourceType === source && this.matches(r, rest.join(':'), raw)
        && references(this.values(r, ref as string), this.base).some((x) => x.target === target));
    }
    const dot = name.indexOf('.');
    if (dot > 0) {
      const [code, typeMod] = name.slice(0, dot).split(':') as [string, string | undefined];
      const rest = name.slice(dot + 1);
      const targets = references(this.values(resource, code), this.base).map((x) => x.target).filter(Boolean) as string[];
      return this.resources.some((r) => targets.includes(`${r.resourceType}/${r.id}`) && (!typeMod || r.resourceType === typeMod)
        && getSearchParameter(r.resourceType, rest.split(/[.:]/)[0] as string) !== undefined && this.matches(r, rest, raw));
    }
    const [code, modifier] = name.split(':') as [string, string | undefined];
    const alternatives = raw.split(',');
    if (code === '_id') return alternatives.includes(resource.id as string) !== (modifier === 'not');
    if (code === '_list') {
      return this.resources.some((l) => l.resourceType === 'List' && alternatives.includes(l.id as string)
        && (l as { entry?: { item?: { reference?: string } }[] }).entry?.some((e) => e.item?.reference === `${resource.resourceType}/${resource.id}`));
    }
    if (code === '_content' || code === '_text') {
      const text = fold(code === '_text' ? ((resource as { text?: { div?: string } }).text?.div ?? '').replace(/<[^>]+>/g, ' ') : JSON.stringify(resource));
      return raw.split(' ').every((w) => text.split(' ').some((t) => t.startsWith(fold(w))));
    }
    const sp = getSearchParameter(resource.resourceType, code);
    if (!sp) throw new Error(`oracle: unknown ${resource.resourceType}.${code}`);
    if (modifier === 'missing') {
      const present = this.present(resource, code, sp.type as string);
      return raw === 'true' ? !present : present;
    }
    if (sp.type === 'composite') return alternatives.some((alt) => this.composite(resource, code, alt));
    const values = this.values(resource, code);
    const any = alternatives.some((alt) => this.test(resource, sp.type as string, values, alt, modifier, code));
    return modifier === 'not' ? !alternatives.some((alt) => this.test(resource, sp.type as string, values, alt, undefined, code)) : any;
  }

  private present(resource: Resource, code: string, type: string): boolean {
    const values = this.values(resource, code);
    if (type === 'reference') return references(values, this.base).length > 0;
    if (type === 'date') return dates(values).length > 0;
    if (type === 'string') return strings(values).length > 0;
    if (type === 'token') return tokens(values).some((t) => t.code !== undefined || t.system !== undefined);
    return values.length > 0;
  }

  private composite(resource: Resource, code: string, raw: string): boolean {
    const sp = getSearchParameter(resource.resourceType, code)!;
    const parts = raw.split('$');
    const bases = this.values(resource, code);
    return bases.some((base) => (sp.component ?? []).every((component, i) => {
      const def = allParams(resource.resourceType).find((p) => p.url === component.definition);
      if (!def) return false;
      const values = evalFhirPathTyped(component.expression as string, [base]);
      return this.test(resource, def.type as string, values, parts[i] as string, undefined, def.code as string);
    }));
  }

  private test(resource: Resource, type: string, values: TypedValue[], raw: string, modifier: string | undefined, code: string): boolean {
    switch (type) {
      case 'string': {
        const all = strings(values);
        if (modifier === 'exact') return all.includes(raw);
        if (modifier === 'contains') return all.some((s) => fold(s).includes(fold(raw)));
        return all.some((s) => fold(s).startsWith(fold(raw)));
      }
      case 'token': {
        const all = tokens(values);
        if (modifier === 'text') return all.some((t) => t.text.some((x) => ` ${fold(x)}`.includes(` ${fold(raw)}`)));
        if (modifier === 'of-type') {
          const [system, typeCode, value] = raw.split('|');
          return all.some((t) => t.code === value && t.type?.some((c) => c.code === typeCode && (c.system ?? '') === system));
        }
        const bar = raw.indexOf('|');
        const system = bar < 0 ? undefined : raw.slice(0, bar);
        const value = bar < 0 ? raw : raw.slice(bar + 1);
        return all.some((t) => (value === '' || t.code === value) && (system === undefined || (system === '' ? !t.system : t.system === system)));
      }
      case 'date': {
        const [prefix, text] = splitPrefix(raw);
        const search = dateRange(text)!;
        return dates(values).some((d) => compareRange(prefix, d, search));
      }
      case 'number': {
        const [prefix, text] = splitPrefix(raw);
        return values.some(({ type: t, value }) => {
          if (t === 'Range') return compareNumber(prefix, [value.low?.value ?? -Infinity, value.high?.value ?? Infinity], text);
          return typeof value === 'number' && compareNumber(prefix, [value, value], text);
        });
      }
      case 'quantity': return this.quantity(resource, values, raw);
      case 'reference': {
        const all = references(values, this.base);
        if (modifier === 'identifier') {
          const [system, value] = raw.includes('|') ? raw.split('|') : [undefined, raw];
          return all.some((x) => x.identifier?.value === value && (system === undefined || x.identifier?.system === system));
        }
        const wanted = raw.replace(`${this.base}/`, '');
        if (modifier) return all.some((x) => x.target === `${modifier}/${wanted}`);
        if (!wanted.includes('/')) return all.some((x) => x.target?.endsWith(`/${wanted}`) && /^[A-Z][A-Za-z]+\/[^/]+$/.test(x.target));
        return all.some((x) => x.target === wanted);
      }
      case 'uri': {
        const all = values.map((v) => v.value).filter((v): v is string => typeof v === 'string');
        if (modifier === 'below') return all.some((u) => u.startsWith(raw));
        if (modifier === 'above') return all.some((u) => raw.startsWith(u));
        return all.includes(raw);
      }
      default:
        throw new Error(`oracle: ${type} (${code})`);
    }
  }

  private quantity(resource: Resource, values: TypedValue[], raw: string): boolean {
    const [number, system, unit] = raw.split('|');
    const [prefix, text] = splitPrefix(number as string);
    const analyte = resource.resourceType === 'Observation' ? ((resource as { code?: { coding?: { code?: string }[] } }).code?.coding ?? []).map((c) => c.code) : [];
    return values.some(({ value }) => {
      if (typeof value?.value !== 'number') return false;
      let v = value.value as number;
      if (system === 'http://unitsofmeasure.org' && unit) {
        if (value.system !== 'http://unitsofmeasure.org') return false;
        const mw = analyte.map((c) => MOLAR_MASS[c as string]).find(Boolean);
        const converted = ucum.convertUnitTo(value.code, v, unit, mw ? { molecularWeight: mw } : undefined);
        if (converted.status !== 'succeeded' || converted.toVal === undefined) return false;
        v = converted.toVal;
      } else if (unit && value.code !== unit && value.unit !== unit) return false;
      return compareNumber(prefix, [v, v], text);
    });
  }
}

const paramCache = new Map<string, { url?: string; type?: string; code?: string }[]>();
function allParams(type: string) {
  let list = paramCache.get(type);
  if (!list) paramCache.set(type, (list = [...fhirDefinitions().searchParameters(type)]));
  return list;
}
