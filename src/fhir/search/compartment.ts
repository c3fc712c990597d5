import { fhirDefinitions } from '../definitions.js';
import { errors } from '../outcomes.js';
import type { Condition } from './model.js';
import { searchRegistry } from './registry.js';

/**
 * Membership of the Patient compartment (R4 CompartmentDefinition): a resource is in Patient/X's
 * compartment when one of its compartment parameters refers to Patient/X; Patient/X is in its own.
 */
export function compartmentCondition(patientId: string, resourceType: string): Condition {
  if (!fhirDefinitions().resourceTypes.has(resourceType)) throw errors.notFound(`Unknown resource type "${resourceType}"`);
  const params = searchRegistry().patientCompartment(resourceType);
  const isPatient = resourceType === 'Patient';
  if (params.length === 0 && !isPatient) throw errors.invalid(`${resourceType} is not in the Patient compartment`);
  return { kind: 'compartment', keys: params.map((p) => p.key), target: `Patient/${patientId}`, ...(isPatient ? { selfId: patientId } : {}) };
}

/** Every parameter key, of every type, that places a resource in a Patient compartment. */
export function allCompartmentKeys(): number[] {
  const keys: number[] = [];
  for (const type of fhirDefinitions().resourceTypes) keys.push(...searchRegistry().patientCompartment(type).map((p) => p.key));
  return keys;
}
