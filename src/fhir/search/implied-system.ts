import { tryGetDataType } from '@medplum/core';
import { fhirDefinitions } from '../definitions.js';

/**
 * The code system of a `code` element, implied by its required binding (pure, from the R4 definitions).
 * `Patient.gender` holds `female`, which means `http://hl7.org/fhir/administrative-gender|female`: indexing
 * it with its system lets `gender=http://hl7.org/fhir/administrative-gender|female` and `:in` on the value
 * set match, while `gender=female` still does.
 */
export function impliedCodeSystem(resourceType: string, expression: string): string | undefined {
  const systems = new Set<string>();
  for (const part of expression.split('|').map((p) => p.trim())) {
    if (!part.startsWith(`${resourceType}.`)) continue;
    const path = part.slice(resourceType.length + 1);
    if (!/^[a-zA-Z]+(\.[a-zA-Z]+)*$/.test(path)) return undefined; // only plain paths are followed
    const system = systemOfPath(resourceType, path.split('.'));
    if (!system) return undefined;
    systems.add(system);
  }
  return systems.size === 1 ? [...systems][0] : undefined;
}

function systemOfPath(resourceType: string, steps: string[]): string | undefined {
  let schema = tryGetDataType(resourceType);
  for (const [i, step] of steps.entries()) {
    const element = schema?.elements[step];
    const type = element?.type[0]?.code;
    if (!element || !type || element.type.length !== 1) return undefined;
    if (i === steps.length - 1) {
      if (type !== 'code' || element.binding?.strength !== 'required' || !element.binding.valueSet) return undefined;
      const codes = fhirDefinitions().valueSetCodes(element.binding.valueSet);
      if (!codes) return undefined;
      const systems = new Set([...codes].map((c) => c.slice(0, c.lastIndexOf('|'))));
      return systems.size === 1 ? [...systems][0] : undefined;
    }
    schema = tryGetDataType(type);
  }
  return undefined;
}
