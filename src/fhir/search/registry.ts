import type { SearchParameter } from '@medplum/fhirtypes';
import { fhirDefinitions } from '../definitions.js';
import { impliedCodeSystem } from './implied-system.js';

/**
 * The search parameters Carnet indexes and answers, per resource type, derived from the R4 definitions
 * (pure, built once per process). Every parameter gets a stable 32-bit key used in the index tables, so an
 * index row costs 4 bytes of parameter name instead of a type and a code.
 */
export type ParamType = 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';

export interface ParamDef {
  readonly resourceType: string;
  readonly code: string;
  readonly type: ParamType;
  /** Key of this parameter's rows in the index tables. */
  readonly key: number;
  readonly url: string | undefined;
  readonly expression: string | undefined;
  /** Resource types a reference parameter may point to (empty: any). */
  readonly targets: readonly string[];
  /** Components of a composite parameter, evaluated relative to each element the expression selects. */
  readonly components: readonly ComponentDef[];
  /** How the value is answered: from index rows, or from columns of the resource table. */
  readonly storage: 'index' | 'id' | 'last-updated' | 'fulltext' | 'near';
  /** For token parameters on `code` elements: the code system their required binding implies. */
  readonly impliedSystem: string | undefined;
  /** `phonetic` string parameters: values are indexed and searched by their phonetic key. */
  readonly phonetic: boolean;
}

export interface ComponentDef {
  readonly type: ParamType;
  readonly expression: string;
  /** Key of this component's rows (they carry the number of the composite element they came from). */
  readonly key: number;
  /** The parameter the component is defined by (for value parsing). */
  readonly definition: string;
}

/** Keys of derived rows: the display text of codes (`:text`) and identifier types (`:of-type`). */
export function textKey(param: ParamDef): number {
  return paramKey(`${param.resourceType}.${param.code}:text`);
}
export function ofTypeKey(param: ParamDef): number {
  return paramKey(`${param.resourceType}.${param.code}:of-type`);
}
/** Rows of resources contained in another resource are kept apart from the container's own rows. */
export function containedKey(key: number): number {
  return paramKey(`contained:${key}`);
}

/** FNV-1a, 32 bits, as a signed integer (PostgreSQL `integer`). Collisions are ruled out by a unit test. */
export function paramKey(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

/** Parameters that are not R4 standard (Medplum adds `_compartment`) are not offered. */
const EXCLUDED = new Set(['_compartment']);

export interface SearchRegistry {
  /** Parameters of a type by code (standard ones plus `_text`, `_content`). */
  params(resourceType: string): ReadonlyMap<string, ParamDef>;
  param(resourceType: string, code: string): ParamDef | undefined;
  /** Parameters whose values are extracted into index rows at write time. */
  indexed(resourceType: string): readonly ParamDef[];
  /** Reference parameters that put a resource of this type in a Patient's compartment. */
  patientCompartment(resourceType: string): readonly ParamDef[];
}

let registry: SearchRegistry | undefined;

export function searchRegistry(): SearchRegistry {
  registry ??= build();
  return registry;
}

function storageOf(sp: SearchParameter): ParamDef['storage'] {
  if (sp.code === '_id') return 'id';
  if (sp.code === '_lastUpdated') return 'last-updated';
  if (sp.type === 'special') return 'near';
  return 'index';
}

function build(): SearchRegistry {
  const defs = fhirDefinitions();
  const byType = new Map<string, Map<string, ParamDef>>();
  const indexedByType = new Map<string, ParamDef[]>();
  const compartmentByType = new Map<string, ParamDef[]>();

  for (const resourceType of defs.resourceTypes) {
    const map = new Map<string, ParamDef>();
    const raw = defs.searchParameters(resourceType).filter((sp) => sp.code && !EXCLUDED.has(sp.code));
    const byUrl = new Map(raw.filter((sp) => sp.url).map((sp) => [sp.url as string, sp]));
    for (const sp of raw) {
      const code = sp.code as string;
      const key = paramKey(`${resourceType}.${code}`);
      const componentDefs = (sp.component ?? []).map((c) => byUrl.get(c.definition as string));
      const components: ComponentDef[] = (sp.component ?? []).flatMap((c, i) => {
        // R4 pairs some components with the wrong definition (DocumentReference.relationship): the
        // definition whose own expression ends with the component's expression is the right one.
        const definition = componentDefs.find((d) => c.expression && d?.expression?.endsWith(`.${c.expression}`)) ?? byUrl.get(c.definition as string);
        if (!definition || !c.expression) return [];
        return [{ type: definition.type as ParamType, expression: c.expression, key: paramKey(`${resourceType}.${code}#${i}`), definition: definition.code as string }];
      });
      map.set(code, {
        resourceType, code, key, type: sp.type as ParamType, url: sp.url, expression: sp.expression,
        targets: sp.target ?? [], components, storage: storageOf(sp),
        impliedSystem: sp.type === 'token' && sp.expression ? impliedCodeSystem(resourceType, sp.expression) : undefined,
        phonetic: code === 'phonetic' && sp.type === 'string',
      });
    }
    for (const code of ['_text', '_content']) {
      map.set(code, {
        resourceType, code, key: paramKey(`${resourceType}.${code}`), type: 'string', url: `http://hl7.org/fhir/SearchParameter/${code === '_text' ? 'DomainResource-text' : 'Resource-content'}`,
        expression: undefined, targets: [], components: [], storage: 'fulltext', impliedSystem: undefined, phonetic: false,
      });
    }
    byType.set(resourceType, map);
    indexedByType.set(resourceType, [...map.values()].filter((p) => (p.storage === 'index' || p.storage === 'near') && p.expression));
    compartmentByType.set(
      resourceType,
      defs.patientCompartmentParams(resourceType).map((code) => map.get(code)).filter((p): p is ParamDef => p?.type === 'reference'),
    );
  }

  const empty = new Map<string, ParamDef>();
  return {
    params: (type) => byType.get(type) ?? empty,
    param: (type, code) => byType.get(type)?.get(code),
    indexed: (type) => indexedByType.get(type) ?? [],
    patientCompartment: (type) => compartmentByType.get(type) ?? [],
  };
}
