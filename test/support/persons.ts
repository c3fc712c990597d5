import assert from 'node:assert/strict';
import type { Bundle, Consent, Parameters, Patient, Resource } from '@medplum/fhirtypes';
import type { TestCarnet } from './harness.js';

/** A person of several source records, for the person-wide identity and consent tests (test/access/person*). */
export const NAM = 'https://www.ramq.gouv.qc.ca/nam';
export const LOINC = 'http://loinc.org';
export const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

export function sourcePatient(id: string, family: string, system: string, extra: Partial<Patient> = {}): Patient {
  return { resourceType: 'Patient', id, gender: 'female', birthDate: '1983-04-12', name: [{ family, given: ['Léa'] }], identifier: [{ system, value: id }], ...extra };
}

export function observation(id: string, patientId: string, code: string): Resource {
  return { resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: LOINC, code }] }, subject: { reference: `Patient/${patientId}` } } as Resource;
}

/** An enforced (patient-privacy) Consent on one source record. */
export function privacyConsent(id: string, patientId: string, provision: Consent['provision']): Consent {
  return {
    resourceType: 'Consent', id, status: 'active', patient: { reference: `Patient/${patientId}` },
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: LOINC, code: '59284-0' }] }], provision,
    policyRule: { coding: [{ system: ACT, code: provision?.type === 'deny' ? 'OPTOUT' : 'OPTIN' }] },
  };
}

/** PUT, as the platform client unless a token is given. */
export async function put(t: TestCarnet, resource: Resource, token?: string): Promise<void> {
  const r = await t.request('PUT', `/fhir/${resource.resourceType}/${resource.id}`, { body: resource, ...(token ? { token } : {}) });
  assert.ok(r.status === 200 || r.status === 201, r.text);
}

/** The Person reference the MPI links a source Patient to. */
export async function personOf(t: TestCarnet, id: string): Promise<string> {
  const links = (await t.request('GET', `/fhir/Patient/${id}/$mpi-links`)).body as Parameters;
  return links.parameter?.find((p) => p.name === 'person')?.valueReference?.reference as string;
}

/** `$mpi-link` to a Person, or `$mpi-unlink`, as the platform client (a steward of the index). */
export async function steward(t: TestCarnet, id: string, op: '$mpi-link' | '$mpi-unlink', person?: string): Promise<void> {
  const r = await t.request('POST', `/fhir/Patient/${id}/${op}`, {
    body: { resourceType: 'Parameters', parameter: [...(person ? [{ name: 'person', valueReference: { reference: person } }] : []), { name: 'actor', valueString: 'admin:test' }] },
  });
  assert.equal(r.status, 200, r.text);
}

/** `Type/id` of a Bundle's entries (of one search mode), sorted. */
export function ids(b: Bundle, mode?: string): string[] {
  return (b.entry ?? []).filter((e) => !mode || e.search?.mode === mode).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();
}
