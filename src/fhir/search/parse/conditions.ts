import { errors } from '../../outcomes.js';
import { fhirDefinitions } from '../../definitions.js';
import { parseLocalReference } from '../../references.js';
import type { Condition, IndexTable, ValueTest } from '../model.js';
import { normalizeText, phoneticKey } from '../normalize.js';
import { ofTypeKey, searchRegistry, textKey, type ComponentDef, type ParamDef, type ParamType } from '../registry.js';
import { parseDate, parseNumber, parseQuantity, parseToken, splitUnescaped, splitValues, unescape } from './values.js';

/**
 * One search parameter (name with modifiers, chains or `_has`, and its raw value) → a Condition (pure).
 * Unknown parameters are an error, or — under `Prefer: handling=lenient` — ignored and reported.
 */
export interface ParseContext {
  readonly baseUrl: string;
  readonly lenient: boolean;
  /** Collects what lenient parsing ignored. */
  readonly ignored: string[];
}

const MAX_CHAIN_DEPTH = 4;

export const TABLE_OF: Readonly<Record<Exclude<ParamType, 'composite' | 'special'>, IndexTable>> = {
  token: 'search_token', string: 'search_string', date: 'search_date', number: 'search_number',
  quantity: 'search_quantity', reference: 'search_reference', uri: 'search_uri',
};

export function tableOf(type: ParamType): IndexTable | undefined {
  return type === 'composite' || type === 'special' ? undefined : TABLE_OF[type];
}

function unknown(ctx: ParseContext, name: string, message: string): undefined {
  if (!ctx.lenient) throw errors.invalid(message);
  ctx.ignored.push(name);
  return undefined;
}

export function parseCondition(resourceType: string, name: string, raw: string, ctx: ParseContext, depth = 0): Condition | undefined {
  if (depth > MAX_CHAIN_DEPTH) throw errors.invalid(`${name}: chains and _has nest at most ${MAX_CHAIN_DEPTH} deep`);
  if (raw === '') throw errors.invalid(`Search parameter ${name} has an empty value`);
  if (name.startsWith('_has:')) return parseHas(resourceType, name, raw, ctx, depth);
  const dot = name.indexOf('.');
  if (dot > 0) return parseChain(resourceType, name, dot, raw, ctx, depth);

  const colon = name.indexOf(':');
  const code = colon < 0 ? name : name.slice(0, colon);
  const modifier = colon < 0 ? undefined : name.slice(colon + 1);
  if (code === '_list') return listCondition(raw, name);
  const param = searchRegistry().param(resourceType, code);
  if (!param) return unknown(ctx, name, `Unknown search parameter "${code}" for ${resourceType}`);
  return paramCondition(param, name, modifier, raw, ctx);
}

function paramCondition(param: ParamDef, name: string, modifier: string | undefined, raw: string, ctx: ParseContext): Condition {
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') throw errors.invalid(`${name} takes true or false`);
    const table = tableOf(param.type);
    if (!table || param.storage !== 'index') throw errors.invalid(`${name}: :missing is not supported on ${param.code}`);
    return { kind: 'missing', table, key: param.key, missing: raw === 'true' };
  }
  const values = splitValues(raw);
  switch (param.storage) {
    case 'id':
      if (modifier && modifier !== 'not') throw badModifier(name, modifier);
      return { kind: 'id', ids: values.map(unescape), ...(modifier === 'not' ? { negate: true } : {}) };
    case 'last-updated':
      if (modifier) throw badModifier(name, modifier);
      return { kind: 'last-updated', values: values.map((v) => parseDate(v, name)) };
    case 'fulltext':
      if (modifier) throw badModifier(name, modifier);
      return { kind: 'fulltext', field: param.code === '_text' ? 'narrative' : 'content', query: unescape(raw) };
    case 'near':
      if (modifier) throw badModifier(name, modifier);
      return nearCondition(values[0] as string, name);
    default:
  }
  switch (param.type) {
    case 'token': return tokenCondition(param, name, modifier, values);
    case 'string': return stringCondition(param, name, modifier, values);
    case 'reference': return referenceCondition(param, name, modifier, values, ctx);
    case 'uri': return uriCondition(param, name, modifier, values);
    case 'composite': return compositeCondition(param, name, modifier, values, ctx);
    case 'date':
    case 'number':
    case 'quantity': {
      if (modifier) throw badModifier(name, modifier);
      return { kind: 'index', table: TABLE_OF[param.type], key: param.key, tests: values.map((v) => valueTest(param.type, v, name, ctx)) };
    }
    default:
      throw errors.invalid(`${name}: parameters of type ${param.type} are not searchable`);
  }
}

function badModifier(name: string, modifier: string) {
  return errors.invalid(`${name}: the modifier ":${modifier}" is not supported here`);
}

/** One raw value of a parameter type as a test on one index row. */
function valueTest(type: ParamType, raw: string, name: string, ctx: ParseContext, targets: readonly string[] = []): ValueTest {
  switch (type) {
    case 'token': return { type: 'token', value: parseToken(raw, name) };
    case 'string': return { type: 'string', mode: 'prefix', value: normalized(raw, name) };
    case 'date': return { type: 'date', value: parseDate(raw, name) };
    case 'number': return { type: 'number', value: parseNumber(raw, name) };
    case 'quantity': return { type: 'quantity', value: parseQuantity(raw, name) };
    case 'reference': return { type: 'reference', targets: referenceTargets(unescape(raw), targets, ctx) };
    case 'uri': return { type: 'uri', mode: 'exact', value: unescape(raw) };
    default: throw errors.invalid(`${name}: ${type} values cannot be compared`);
  }
}

function normalized(raw: string, name: string): string {
  const value = normalizeText(unescape(raw));
  if (value === '') throw errors.invalid(`${name}: "${raw}" has no letters or digits to search for`);
  return value;
}

function tokenCondition(param: ParamDef, name: string, modifier: string | undefined, values: string[]): Condition {
  const table = 'search_token';
  switch (modifier) {
    case undefined:
    case 'not':
      return { kind: 'index', table, key: param.key, tests: values.map((v) => ({ type: 'token', value: parseToken(v, name) })), ...(modifier ? { negate: true } : {}) };
    case 'text':
      return { kind: 'index', table: 'search_string', key: textKey(param), tests: values.map((v) => ({ type: 'string', mode: 'word', value: normalized(v, name) })) };
    case 'of-type':
      return {
        kind: 'index', table, key: ofTypeKey(param),
        tests: values.map((v) => {
          const parts = splitUnescaped(v, '|').map(unescape);
          if (parts.length !== 3 || !parts[1] || !parts[2]) throw errors.invalid(`${name}: :of-type takes system|code|value`);
          return { type: 'token', value: { system: parts[0] === '' ? null : parts[0], code: `${parts[1]}|${parts[2]}` } };
        }),
      };
    case 'in':
    case 'not-in':
      if (values.length !== 1) throw errors.invalid(`${name}: :${modifier} takes one value set`);
      return { kind: 'terminology', key: param.key, mode: modifier, value: unescape(values[0] as string) };
    case 'above':
    case 'below':
      return anyOf(values.map((v) => ({ kind: 'terminology', key: param.key, mode: modifier, value: parseToken(v, name) })));
    default:
      throw badModifier(name, modifier);
  }
}

function stringCondition(param: ParamDef, name: string, modifier: string | undefined, values: string[]): Condition {
  if (param.phonetic && modifier === undefined) {
    return {
      kind: 'index', table: 'search_string', key: param.key,
      tests: values.map((v) => {
        const key = phoneticKey(unescape(v));
        if (!key) throw errors.invalid(`${name}: "${v}" has no letters to sound out`);
        return { type: 'string', mode: 'key', value: key };
      }),
    };
  }
  const mode = modifier === undefined ? 'prefix' : modifier === 'exact' || modifier === 'contains' ? modifier : undefined;
  if (!mode) throw badModifier(name, modifier as string);
  return {
    kind: 'index', table: 'search_string', key: param.key,
    tests: values.map((v) => ({ type: 'string', mode, value: mode === 'exact' ? unescape(v) : normalized(v, name) })),
  };
}

function uriCondition(param: ParamDef, name: string, modifier: string | undefined, values: string[]): Condition {
  const mode = modifier === undefined ? 'exact' : modifier === 'below' || modifier === 'above' ? modifier : undefined;
  if (!mode) throw badModifier(name, modifier as string);
  return { kind: 'index', table: 'search_uri', key: param.key, tests: values.map((v) => ({ type: 'uri', mode, value: unescape(v) })) };
}

/** Targets a reference value can match, as stored: `Type/id` for local references, the URL otherwise. */
export function referenceTargets(value: string, types: readonly string[], ctx: ParseContext): string[] {
  const local = parseLocalReference(value, ctx.baseUrl);
  if (local) return [`${local.resourceType}/${local.id}`];
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(value)) {
    const candidates = types.length > 0 ? types : [...fhirDefinitions().resourceTypes];
    return candidates.map((type) => `${type}/${value}`);
  }
  return [value];
}

function referenceCondition(param: ParamDef, name: string, modifier: string | undefined, values: string[], ctx: ParseContext): Condition {
  const table = 'search_reference';
  if (modifier === 'identifier') {
    return { kind: 'index', table, key: param.key, tests: values.map((v) => ({ type: 'reference-identifier', value: parseToken(v, name) })) };
  }
  if (modifier === 'mdm') {
    if (param.targets.length > 0 && !param.targets.includes('Patient')) throw errors.invalid(`${name}: :mdm expands references to Patients; ${param.code} never refers to one`);
    const patientIds = values.map((v) => {
      const targets = referenceTargets(unescape(v), ['Patient'], ctx);
      if (targets.length !== 1 || !targets[0]?.startsWith('Patient/')) throw errors.invalid(`${name}: "${v}" is not a Patient`);
      return (targets[0] as string).slice('Patient/'.length);
    });
    return { kind: 'patient-links', key: param.key, patientIds };
  }
  let types = param.targets;
  if (modifier !== undefined) {
    if (!fhirDefinitions().resourceTypes.has(modifier)) throw badModifier(name, modifier);
    if (types.length > 0 && !types.includes(modifier)) throw errors.invalid(`${name}: ${param.code} cannot refer to a ${modifier}`);
    types = [modifier];
  }
  return {
    kind: 'index', table, key: param.key,
    tests: values.map((v) => {
      const targets = referenceTargets(unescape(v), types, ctx);
      if (modifier && targets.some((t) => !t.startsWith(`${modifier}/`))) throw errors.invalid(`${name}: "${v}" is not a ${modifier}`);
      return { type: 'reference', targets };
    }),
  };
}

function compositeCondition(param: ParamDef, name: string, modifier: string | undefined, values: string[], ctx: ParseContext): Condition {
  if (modifier) throw badModifier(name, modifier);
  if (param.components.length < 2) throw errors.invalid(`${name}: this composite parameter is not searchable`);
  return {
    kind: 'composite',
    alternatives: values.map((v) => {
      const parts = splitUnescaped(v, '$');
      if (parts.length !== param.components.length) {
        throw errors.invalid(`${name}: "${v}" needs ${param.components.length} parts separated by $`);
      }
      return param.components.map((component: ComponentDef, i) => {
        const table = tableOf(component.type);
        if (!table) throw errors.invalid(`${name}: component ${component.definition} is not searchable`);
        return { table, key: component.key, test: valueTest(component.type, parts[i] as string, name, ctx) };
      });
    }),
  };
}

function nearCondition(raw: string, name: string): Condition {
  const [lat, long, distance, units] = splitUnescaped(raw, '|').map(unescape);
  const latitude = Number(lat);
  const longitude = Number(long);
  if (!lat || !long || !Number.isFinite(latitude) || !Number.isFinite(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
    throw errors.invalid(`${name} takes latitude|longitude|distance|units`);
  }
  const amount = distance ? Number(distance) : 5;
  if (!Number.isFinite(amount) || amount < 0) throw errors.invalid(`${name}: "${distance}" is not a distance`);
  const factor: Record<string, number> = { km: 1, m: 0.001, '[mi_i]': 1.609344, mi: 1.609344 };
  const unit = units || 'km';
  if (factor[unit] === undefined) throw errors.invalid(`${name}: distance units must be km, m or [mi_i]`);
  return { kind: 'near', latitude, longitude, km: amount * (factor[unit] as number) };
}

function listCondition(raw: string, name: string): Condition {
  const ids = splitValues(raw).map(unescape).map((v) => v.replace(/^List\//, ''));
  if (ids.some((id) => !/^[A-Za-z0-9\-.]{1,64}$/.test(id))) throw errors.invalid(`${name}: "${raw}" is not a List id`);
  const item = searchRegistry().param('List', 'item');
  return { kind: 'list', listIds: ids, itemKey: item?.key ?? 0 };
}

function anyOf(conditions: Condition[]): Condition {
  return conditions.length === 1 ? (conditions[0] as Condition) : { kind: 'any', conditions };
}

/** `subject:Patient.name=x`, `patient.organization.name=x` */
function parseChain(resourceType: string, name: string, dot: number, raw: string, ctx: ParseContext, depth: number): Condition | undefined {
  const head = name.slice(0, dot);
  const rest = name.slice(dot + 1);
  const [code, typeModifier] = head.split(':') as [string, string | undefined];
  const param = searchRegistry().param(resourceType, code);
  if (!param) return unknown(ctx, name, `Unknown search parameter "${code}" for ${resourceType}`);
  if (param.type !== 'reference') throw errors.invalid(`${name}: only reference parameters can be chained (${code} is a ${param.type})`);
  let types = param.targets.length > 0 ? param.targets : [...fhirDefinitions().resourceTypes];
  if (typeModifier) {
    if (!types.includes(typeModifier)) throw errors.invalid(`${name}: ${code} cannot refer to a ${typeModifier}`);
    types = [typeModifier];
  }
  const innerCode = rest.split(/[.:]/)[0] as string;
  const candidates = types.filter((t) => innerCode === '_id' || innerCode === '_lastUpdated' || rest.startsWith('_has:') || searchRegistry().param(t, innerCode));
  if (candidates.length === 0) return unknown(ctx, name, `${name}: no type ${code} refers to has a parameter "${innerCode}"`);
  const targets = candidates.flatMap((type) => {
    const inner = parseCondition(type, rest, raw, ctx, depth + 1);
    return inner ? [{ type, inner: [inner] }] : [];
  });
  return targets.length > 0 ? { kind: 'chain', key: param.key, targets } : undefined;
}

/** `_has:Observation:patient:code=1234` — resources that some Observation refers to through `patient`. */
function parseHas(resourceType: string, name: string, raw: string, ctx: ParseContext, depth: number): Condition | undefined {
  const parts = name.split(':');
  const [, sourceType, refCode] = parts;
  const rest = parts.slice(3).join(':');
  if (!sourceType || !refCode || !rest) throw errors.invalid(`${name}: _has takes _has:Type:reference-parameter:parameter`);
  if (!fhirDefinitions().resourceTypes.has(sourceType)) throw errors.invalid(`${name}: unknown resource type ${sourceType}`);
  const ref = searchRegistry().param(sourceType, refCode);
  if (!ref || ref.type !== 'reference') throw errors.invalid(`${name}: ${refCode} is not a reference parameter of ${sourceType}`);
  if (ref.targets.length > 0 && !ref.targets.includes(resourceType)) throw errors.invalid(`${name}: ${sourceType}.${refCode} cannot refer to a ${resourceType}`);
  const inner = parseCondition(sourceType, rest, raw, ctx, depth + 1);
  return inner ? { kind: 'has', sourceType, key: ref.key, inner: [inner] } : undefined;
}
