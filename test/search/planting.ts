import { tryGetDataType } from '@medplum/core';
import { fhirDefinitions } from '../../src/fhir/definitions.js';
import type { ComponentDef, ParamDef, ParamType } from '../../src/fhir/search/registry.js';

/**
 * Builds, for one search parameter, a resource holding a known value where the parameter's FHIRPath
 * looks, and the query that must find it (test support). Handles the expression shapes of the R4
 * definitions: plain paths, `as`/`ofType` casts, `where(resolve() is X)` and `where(system='…')`.
 */
export interface Planted {
  readonly resource: Record<string, unknown>;
  /** Finds the resource. */
  readonly query: string;
  /** The same parameter with another value: must not find it. */
  readonly miss: string;
}

const UCUM = 'http://unitsofmeasure.org';
const CS = 'http://carnet.test/cs';
type Json = Record<string, unknown>;

interface Step { readonly name: string; cast?: string; where?: Record<string, string> }
interface PathSpec { readonly steps: Step[]; readonly target?: string }

/** Splits on `|` outside parentheses and quotes. */
function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const c of expression) {
    if (c === "'") quoted = !quoted;
    if (!quoted && c === '(') depth++;
    if (!quoted && c === ')') depth--;
    if (!quoted && depth === 0 && c === '|') {
      parts.push(current.trim());
      current = '';
    } else current += c;
  }
  parts.push(current.trim());
  return parts;
}

/** Splits a path on dots outside parentheses. */
function splitDots(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === '.' && depth === 0) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

/** FHIRPath type names (`DateTime`, `String`) as FHIR data type codes. */
function typeCode(name: string): string {
  const primitives = ['Boolean', 'String', 'Date', 'DateTime', 'Instant', 'Decimal', 'Integer', 'Uri', 'Code', 'Time'];
  return primitives.includes(name) ? name.charAt(0).toLowerCase() + name.slice(1) : name;
}

function parsePath(part: string, root: string): PathSpec | undefined {
  let text = part.trim();
  while (text.startsWith('(') && text.endsWith(')')) text = text.slice(1, -1).trim();
  let cast: string | undefined;
  const asSuffix = /^(.*) as ([A-Za-z]+)$/.exec(text);
  if (asSuffix) {
    text = (asSuffix[1] as string).trim();
    cast = typeCode(asSuffix[2] as string);
    while (text.startsWith('(') && text.endsWith(')')) text = text.slice(1, -1).trim();
  }
  if (text.startsWith(`${root}.`)) text = text.slice(root.length + 1);
  else if (/^[A-Z]/.test(text)) return undefined; // another resource type's branch
  const steps: Step[] = [];
  let target: string | undefined;
  for (const token of splitDots(text)) {
    const previous = steps[steps.length - 1];
    let m: RegExpExecArray | null;
    if (/^[a-zA-Z]+$/.test(token)) steps.push({ name: token });
    else if ((m = /^where\(resolve\(\) is ([A-Za-z]+)\)$/.exec(token))) target = m[1];
    else if ((m = /^where\(([a-z]+) ?= ?'([^']+)'\)$/.exec(token)) && previous) previous.where = { ...previous.where, [m[1] as string]: m[2] as string };
    else if ((m = /^(?:as|ofType)\(([A-Za-z]+)\)$/.exec(token)) && previous) previous.cast = typeCode(m[1] as string);
    else return undefined;
  }
  const last = steps[steps.length - 1];
  if (!last) return undefined;
  if (cast) last.cast = cast;
  return { steps, ...(target ? { target } : {}) };
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A value of the same shape as `query` that the planted value does not match. */
export function missOf(paramType: ParamType, query: string): string {
  switch (paramType) {
    case 'token': return query.includes('|') ? `${query.slice(0, query.lastIndexOf('|'))}|nomatch` : query === 'true' ? 'false' : 'nomatch';
    case 'string': return 'zzzz';
    case 'date': return '1901-01-01';
    case 'number': return '987654';
    case 'quantity': return query.includes('|') ? `987654${query.slice(query.indexOf('|'))}` : '987654';
    case 'reference': return query.startsWith('http') ? 'http://carnet.test/nomatch' : `${query.split('/')[0]}/nomatch`;
    default: return 'http://carnet.test/nomatch';
  }
}

/** A value of a data type that the query `queryValue(paramType)` finds. */
function leaf(type: string, paramType: ParamType, target: string | undefined, binding: string | undefined, where: Record<string, string> | undefined): { value: unknown; query: string } | undefined {
  const code = binding ? firstCode(binding) : undefined;
  switch (paramType) {
    case 'token':
      if (type === 'Coding') return { value: { system: CS, code: 'c1' }, query: `${CS}|c1` };
      if (type === 'CodeableConcept') return { value: { coding: [{ system: CS, code: 'c1' }] }, query: `${CS}|c1` };
      if (type === 'Identifier') return { value: { system: CS, value: 'v1' }, query: `${CS}|v1` };
      if (type === 'ContactPoint') return { value: { system: where?.system ?? 'phone', value: '5551234', ...where }, query: '5551234' };
      if (type === 'boolean') return { value: true, query: 'true' };
      if (type === 'code') return code ? { value: code.code, query: code.code } : { value: 'c1', query: 'c1' };
      if (['string', 'id', 'uri', 'url', 'canonical', 'oid', 'uuid'].includes(type)) return { value: type === 'uri' || type === 'url' || type === 'canonical' ? 'http://carnet.test/v1' : 'v1', query: type === 'uri' || type === 'url' || type === 'canonical' ? 'http://carnet.test/v1' : 'v1' };
      return undefined;
    case 'string':
      if (type === 'HumanName') return { value: { family: 'Plantée' }, query: 'plantee' };
      if (type === 'Address') return { value: { city: 'Plantée' }, query: 'plantee' };
      if (['string', 'markdown', 'code', 'id'].includes(type)) return { value: code?.code ?? 'Plantée', query: code?.code ?? 'plantee' };
      return undefined;
    case 'date':
      if (type === 'date') return { value: '2021-05-04', query: '2021-05-04' };
      if (type === 'dateTime') return { value: '2021-05-04T10:00:00Z', query: '2021-05-04' };
      if (type === 'instant') return { value: '2021-05-04T10:00:00.000Z', query: '2021-05-04' };
      if (type === 'Period') return { value: { start: '2021-05-04', end: '2021-05-04' }, query: '2021-05-04' };
      if (type === 'Timing') return { value: { event: ['2021-05-04'] }, query: '2021-05-04' };
      return undefined;
    case 'number':
      if (type === 'decimal') return { value: 0.5, query: '0.5' };
      if (['integer', 'positiveInt', 'unsignedInt'].includes(type)) return { value: 5, query: '5' };
      return undefined;
    case 'quantity':
      if (['Quantity', 'Age', 'Duration', 'Distance', 'Count', 'SimpleQuantity', 'MoneyQuantity'].includes(type)) {
        return { value: { value: 5.5, unit: 'mg', system: UCUM, code: 'mg' }, query: `5.5|${UCUM}|mg` };
      }
      if (type === 'Money') return { value: { value: 5.5, currency: 'CAD' }, query: '5.5|urn:iso:std:iso:4217|CAD' };
      if (type === 'Range') return { value: { low: { value: 5.5, system: UCUM, code: 'mg' }, high: { value: 5.5, system: UCUM, code: 'mg' } }, query: `5.5|${UCUM}|mg` };
      if (type === 'decimal') return { value: 5.5, query: '5.5' };
      return undefined;
    case 'reference':
      if (type === 'Reference') {
        const t = target ?? 'Patient';
        return { value: { reference: `${t}/planted` }, query: `${t}/planted` };
      }
      if (type === 'canonical' || type === 'uri') return { value: 'http://carnet.test/planted', query: 'http://carnet.test/planted' };
      return undefined;
    case 'uri':
      if (['uri', 'url', 'canonical', 'oid', 'uuid', 'string'].includes(type)) return { value: 'http://carnet.test/planted', query: 'http://carnet.test/planted' };
      return undefined;
    default:
      return undefined;
  }
}

function firstCode(valueSet: string): { code: string } | undefined {
  const codes = fhirDefinitions().valueSetCodes(valueSet);
  const first = codes ? [...codes][0] : undefined;
  return first ? { code: first.slice(first.lastIndexOf('|') + 1) } : undefined;
}

/** Places `value` at the path inside `into` (creating arrays and backbone objects as the schema says). */
function place(into: Json, schemaName: string, spec: PathSpec, paramType: ParamType, targets: readonly string[]): string | undefined {
  let schema = tryGetDataType(schemaName);
  let node = into;
  for (const [i, step] of spec.steps.entries()) {
    if (!schema) return undefined;
    const direct = schema.elements[step.name];
    const choice = schema.elements[`${step.name}[x]`];
    const element = direct ?? choice;
    if (!element) return undefined;
    const last = i === spec.steps.length - 1;
    const typeCode = step.cast ?? (choice && last ? pickChoice(choice.type.map((t) => t.code), paramType) : element.type[0]?.code);
    if (!typeCode) return undefined;
    const property = choice ? `${step.name}${capital(typeCode)}` : step.name;
    if (last) {
      const target = spec.target ?? element.type.find((t) => t.code === 'Reference')?.targetProfile?.[0]?.split('/').pop() ?? targets[0];
      const made = leaf(typeCode, paramType, target === 'Resource' ? 'Patient' : target, element.binding?.strength === 'required' ? element.binding.valueSet : undefined, step.where);
      if (!made) return undefined;
      node[property] = element.isArray ? [made.value] : made.value;
      return made.query;
    }
    const child: Json = { ...step.where };
    node[property] = element.isArray ? [child] : child;
    node = child;
    schema = tryGetDataType(typeCode);
  }
  return undefined;
}

function pickChoice(types: string[], paramType: ParamType): string | undefined {
  const preferred: Record<string, string[]> = {
    date: ['dateTime', 'Period', 'date', 'instant', 'Timing'], quantity: ['Quantity', 'Age', 'Duration', 'Range', 'Money'],
    token: ['CodeableConcept', 'Coding', 'boolean', 'code', 'string'], string: ['string', 'markdown'], reference: ['Reference', 'canonical'],
    number: ['decimal', 'integer'], uri: ['uri', 'url', 'canonical'],
  };
  return (preferred[paramType] ?? []).find((t) => types.includes(t)) ?? types[0];
}

/** A resource of the parameter's type with a value it indexes, and the query value that finds it. */
export function plant(param: ParamDef): Planted | undefined {
  if (param.type === 'composite') return plantComposite(param);
  for (const part of splitUnion(param.expression ?? '')) {
    const spec = parsePath(part, param.resourceType);
    if (!spec) continue;
    const resource: Json = { resourceType: param.resourceType };
    const query = place(resource, param.resourceType, spec, param.type, param.targets);
    if (query !== undefined) {
      return { resource, query: `${param.code}=${encodeURIComponent(query)}`, miss: `${param.code}=${encodeURIComponent(missOf(param.type, query))}` };
    }
  }
  return undefined;
}

function plantComposite(param: ParamDef): Planted | undefined {
  const base = splitUnion(param.expression ?? '').map((p) => parsePath(p, param.resourceType)).find(Boolean);
  const onResource = (param.expression ?? '').trim() === param.resourceType || (param.expression ?? '').startsWith(`${param.resourceType} |`);
  const resource: Json = { resourceType: param.resourceType };
  let holder: Json = resource;
  let schemaName = param.resourceType;
  if (!onResource) {
    if (!base) return undefined;
    const schema = tryGetDataType(param.resourceType);
    const element = schema?.elements[base.steps[0]?.name ?? ''];
    if (!element || base.steps.length !== 1) return undefined;
    holder = {};
    resource[base.steps[0]!.name] = element.isArray ? [holder] : holder;
    schemaName = element.type[0]?.code as string;
  }
  const values: string[] = [];
  let lastType: ParamType = 'token';
  for (const component of param.components as ComponentDef[]) {
    const onRoot = component.expression.startsWith('%resource.');
    const expression = component.expression.replace(/^%resource\./, '');
    const query = splitUnion(expression).map((part) => parsePath(part, 'X')).filter((spec): spec is PathSpec => Boolean(spec))
      .map((spec) => place(onRoot ? resource : holder, onRoot ? param.resourceType : schemaName, spec, component.type, []))
      .find((q) => q !== undefined);
    if (query === undefined) return undefined;
    values.push(query.replace(/\$/g, '\\$'));
    lastType = component.type;
  }
  const missed = [...values.slice(0, -1), missOf(lastType, values[values.length - 1] as string)];
  return { resource, query: `${param.code}=${encodeURIComponent(values.join('$'))}`, miss: `${param.code}=${encodeURIComponent(missed.join('$'))}` };
}
