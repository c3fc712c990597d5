import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import { parsedExpression } from './expressions.js';
import type { Reference, Resource } from '@medplum/fhirtypes';
import { fhirDefinitions } from './definitions.js';
import { parseLocalReference } from './references.js';

/**
 * The Patient compartment a resource belongs to, from the R4 CompartmentDefinition for Patient: the first
 * compartment parameter (in definition order) that references a Patient. A Patient belongs to itself.
 * Returns undefined for resources outside every patient compartment (Organization, Practitioner, …).
 */
export function patientCompartmentOf(resource: Resource, baseUrl?: string): string | undefined {
  if (resource.resourceType === 'Patient') return resource.id;
  const defs = fhirDefinitions();
  const params = defs.patientCompartmentParams(resource.resourceType);
  if (params.length === 0) return undefined;
  const byCode = new Map(defs.searchParameters(resource.resourceType).map((sp) => [sp.code, sp]));
  const typed = [toTypedValue(resource)];
  for (const code of params) {
    const param = byCode.get(code);
    if (!param?.expression) continue;
    const expression = parsedExpression(resource.resourceType, param.expression);
    for (const value of evalFhirPathTyped(expression, typed)) {
      const reference = (value.value as Reference | undefined)?.reference;
      if (typeof reference !== 'string') continue;
      const parsed = parseLocalReference(reference, baseUrl);
      if (parsed?.resourceType === 'Patient') return parsed.id;
    }
  }
  return undefined;
}
