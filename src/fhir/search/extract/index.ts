import { evalFhirPathTyped, toTypedValue, type TypedValue } from '@medplum/core';
import type { Coding, Resource } from '@medplum/fhirtypes';
import { parsedExpression } from '../../expressions.js';
import { containedKey, ofTypeKey, paramKey, searchRegistry, textKey, type ParamDef, type ParamType } from '../registry.js';
import { fullText } from './fulltext.js';
import { compileExpression } from './paths.js';
import { phoneticKey } from '../normalize.js';
import { emptyIndexRows, type IndexRows } from '../../../storage/sql/index-rows.js';
import {
  addDates, addNumbers, addQuantities, addReferences, addStrings, addTokens, addUris, type Keys, type ValueContext,
} from './values.js';

export type { IndexRows } from '../../../storage/sql/index-rows.js';

/**
 * Which parameters to index. `all`: every one. A large body's rows are computed in two parts (issue #13):
 * `stable`, the parameters a write leaves alone, computed off the event loop from the body as sent
 * (validation/worker.ts), and `volatile`, what the write engine changes or adds — the id, `meta` (version,
 * time, security labels), references (rewritten in transactions, made relative), the full text (it reads
 * `meta` too) — computed over the stored version. Their union is the `all` rows.
 */
export type IndexPart = 'all' | 'stable' | 'volatile';

const VOLATILE = new WeakMap<ParamDef, boolean>();

/** Whether a parameter's values can change between the body as sent and the version stored. */
export function isVolatile(param: ParamDef): boolean {
  let volatile = VOLATILE.get(param);
  if (volatile === undefined) {
    const touches = (type: ParamType, expression: string | undefined) =>
      type === 'reference' || /\bmeta\b|resolve\(|(^|\.)id\b/.test(expression ?? '');
    volatile = touches(param.type, param.expression) || param.components.some((c) => touches(c.type, c.expression));
    VOLATILE.set(param, volatile);
  }
  return volatile;
}

/**
 * Every search parameter value of a resource, as index rows (pure). Runs on every write, inside the
 * write's transaction, for every standard R4 search parameter of the resource's type; contained resources
 * are indexed too, under keys of their own (for `_contained`).
 */
export function extractIndex(stored: Resource, baseUrl?: string, part: IndexPart = 'all'): IndexRows {
  const rows = emptyIndexRows();
  // FHIRPath's resolve() (in `patient`-style parameters) understands relative references only.
  const resource = baseUrl ? relativeReferences(stored, `${baseUrl}/`) : stored;
  const ctx: ValueContext = { baseUrl, analyteOf: analyteLookup(resource) };
  const wanted = part === 'all' ? () => true : (param: ParamDef) => isVolatile(param) === (part === 'volatile');
  indexResource(rows, resource, ctx, (key) => key, true, wanted);
  for (const contained of (resource as { contained?: Resource[] }).contained ?? []) {
    if (contained?.resourceType) indexResource(rows, contained, { ...ctx, analyteOf: analyteLookup(contained) }, containedKey, false, wanted);
  }
  if (part !== 'stable') rows.text = fullText(resource);
  return rows;
}

/** The resource with `reference`s to this server made relative; the same object when there are none. */
function relativeReferences<T>(node: T, base: string): T {
  if (Array.isArray(node)) {
    let changed = false;
    const out = node.map((item) => {
      const next = relativeReferences(item, base);
      changed ||= next !== item;
      return next;
    });
    return (changed ? out : node) as T;
  }
  if (node === null || typeof node !== 'object') return node;
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(node)) {
    const next = key === 'reference' && typeof value === 'string' && value.startsWith(base) ? value.slice(base.length) : relativeReferences(value, base);
    if (next !== value) (out ??= { ...(node as Record<string, unknown>) })[key] = next;
  }
  return (out ?? node) as T;
}

/** Latitude and longitude of `Location.near` are kept as number rows under these keys. */
export const NEAR_LATITUDE = paramKey('Location.near#latitude');
export const NEAR_LONGITUDE = paramKey('Location.near#longitude');

function indexResource(
  rows: IndexRows, resource: Resource, ctx: ValueContext, keyOf: (key: number) => number, withComposites: boolean, wanted: (param: ParamDef) => boolean,
): void {
  const typed = [toTypedValue(resource)];
  const variables = { '%resource': typed[0] as TypedValue, '%rootResource': typed[0] as TypedValue };
  for (const param of searchRegistry().indexed(resource.resourceType)) {
    if (!wanted(param)) continue;
    const values = evaluate(resource.resourceType, param.expression as string, typed, variables);
    if (values.length === 0) continue;
    if (param.type === 'composite') {
      if (withComposites) addComposite(rows, param, values, ctx, variables);
    } else if (param.storage === 'near') {
      if (withComposites) addNear(rows, values);
    } else {
      const keys: Keys = { param: keyOf(param.key), grp: null };
      if (param.type === 'token') {
        const tokenKeys: Keys = { ...keys, text: keyOf(textKey(param)), ofType: keyOf(ofTypeKey(param)), ...(param.impliedSystem ? { system: param.impliedSystem } : {}) };
        addValues(rows, 'token', tokenKeys, values, ctx);
      }
      else addValues(rows, param.type, param.phonetic ? { ...keys, normalize: phoneticKey } : keys, values, ctx);
    }
  }
}

function evaluate(resourceType: string, expression: string, input: TypedValue[], variables: Record<string, TypedValue>, relative = false): TypedValue[] {
  const walk = compileExpression(resourceType, expression, relative);
  if (walk) return walk(input);
  try {
    return evalFhirPathTyped(relative ? expression : parsedExpression(resourceType, expression), input, variables);
  } catch {
    // An expression @medplum/core cannot evaluate on this resource indexes nothing rather than failing the write.
    return [];
  }
}

function addValues(rows: IndexRows, type: ParamType, keys: Keys, values: readonly TypedValue[], ctx: ValueContext): void {
  switch (type) {
    case 'token': return addTokens(rows, keys, values);
    case 'string': return addStrings(rows, keys, values);
    case 'date': return addDates(rows, keys, values);
    case 'number': return addNumbers(rows, keys, values);
    case 'quantity': return addQuantities(rows, keys, values, ctx);
    case 'reference': return addReferences(rows, keys, values, ctx);
    case 'uri': return addUris(rows, keys, values);
    default:
  }
}

/** Each element the composite selects is one group; its components' rows share the group number. */
function addComposite(rows: IndexRows, param: ParamDef, bases: TypedValue[], ctx: ValueContext, variables: Record<string, TypedValue>): void {
  bases.forEach((base, grp) => {
    for (const component of param.components) {
      const values = evaluate(param.resourceType, component.expression, [base], variables, true);
      if (values.length > 0) addValues(rows, component.type, { param: component.key, grp }, values, ctx);
    }
  });
}

function addNear(rows: IndexRows, values: TypedValue[]): void {
  for (const { value } of values) {
    const position = value as { latitude?: number; longitude?: number } | undefined;
    if (typeof position?.latitude !== 'number' || typeof position.longitude !== 'number') continue;
    rows.numbers.push({ param: NEAR_LATITUDE, grp: null, lo: String(position.latitude), hi: String(position.latitude) });
    rows.numbers.push({ param: NEAR_LONGITUDE, grp: null, lo: String(position.longitude), hi: String(position.longitude) });
  }
}

/** Observation values know their analyte through the code of the observation or component holding them. */
function analyteLookup(resource: Resource): (value: object) => readonly Coding[] | undefined {
  if (resource.resourceType !== 'Observation') return () => undefined;
  const byValue = new Map<object, readonly Coding[]>();
  if (resource.valueQuantity && resource.code?.coding) byValue.set(resource.valueQuantity, resource.code.coding);
  for (const component of resource.component ?? []) {
    if (component.valueQuantity && component.code?.coding) byValue.set(component.valueQuantity, component.code.coding);
  }
  return (value) => byValue.get(value);
}
