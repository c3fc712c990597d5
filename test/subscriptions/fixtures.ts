import type { Consent } from '@medplum/fhirtypes';

/** A patient's privacy Consent that permits everyone but one organisation (the subscription tests' consent filter). */
export function consentDenying(id: string, patient: string, organization: string): Consent {
  return {
    resourceType: 'Consent', id, status: 'active', patient: { reference: `Patient/${patient}` },
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    provision: { type: 'permit', provision: [{ type: 'deny', actor: [{ role: { text: 'actor' }, reference: { reference: `Organization/${organization}` } }] }] },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
  };
}
