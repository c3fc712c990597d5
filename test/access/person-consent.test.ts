import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Consent } from '@medplum/fhirtypes';
import { consentDecision, type ConsentRequester, type ConsentResource } from '../../src/consent/decide.js';
import { personRules, type SourceConsent } from '../../src/consent/person-consent.js';
import { consentRulesOf } from '../../src/consent/rules.js';

/**
 * Consent per person, stricter wins (pure): the rules of every source record of a person govern each of
 * them; a deny from one source beats an opening from another; after a split each keeps its own.
 */
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const actor = (reference: string) => ({ role: { text: 'actor' }, reference: { reference } });
function source(patientId: string, id: string, provision: Consent['provision']): SourceConsent {
  const consent: Consent = {
    resourceType: 'Consent', id, status: 'active', patient: { reference: `Patient/${patientId}` },
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], provision,
  };
  return { patientId, rules: consentRulesOf(consent) ?? [] };
}
const optOut = (p: string) => source(p, `out-${p}`, { type: 'deny' });
const openMh = (p: string) => source(p, `mh-${p}`, { type: 'permit', provision: [{ type: 'permit', securityLabel: [{ system: ACT, code: 'MH' }] }] });
const hideMh = (p: string) => source(p, `hide-${p}`, { type: 'permit', provision: [{ type: 'deny', securityLabel: [{ system: ACT, code: 'MH' }] }] });
const excludeB = (p: string) => source(p, `nob-${p}`, { type: 'permit', provision: [{ type: 'deny', actor: [actor('Organization/org-b')] }] });
const onlyA = (p: string) => source(p, `onlya-${p}`, { type: 'deny', provision: [{ type: 'permit', actor: [actor('Organization/org-a')] }] });

const now = new Date('2026-06-01T12:00:00Z');
const orgA: ConsentRequester = { identities: ['Organization/org-a'], purpose: 'TREAT' };
const orgB: ConsentRequester = { identities: ['Organization/org-b'], purpose: 'TREAT' };
const labResult: ConsentResource = { reference: 'Observation/lab-1', authorOrg: 'Organization/lab', sensitivity: [] };
const mhNote: ConsentResource = { reference: 'Observation/mh-1', authorOrg: 'Organization/lab', sensitivity: ['MH'] };
const decide = (sources: SourceConsent[], who: ConsentRequester, what: ConsentResource) => consentDecision(personRules(sources), who, what, now);

describe('person-wide consent (pure)', () => {
  test('an opt-out written on the clinic record hides the lab record too', () => {
    assert.equal(decide([optOut('clinic')], orgA, labResult).permit, false);
    assert.match(decide([optOut('clinic')], orgA, labResult).reason, /Consent\/out-clinic/);
    assert.equal(decide([], orgA, labResult).permit, true);
  });

  test('an opening of a sensitive category applies to the whole person', () => {
    assert.equal(decide([], orgA, mhNote).permit, false, 'closed by default to anyone but its writer');
    assert.equal(decide([openMh('clinic')], orgA, mhNote).permit, true);
  });

  test('stricter wins: a deny from one source beats an opening from another, in either order', () => {
    for (const sources of [[openMh('clinic'), hideMh('lab')], [hideMh('lab'), openMh('clinic')]]) {
      assert.equal(decide(sources, orgA, mhNote).permit, false);
    }
    assert.equal(decide([openMh('clinic'), optOut('lab')], orgA, mhNote).permit, false);
    assert.equal(decide([openMh('clinic'), excludeB('lab')], orgB, mhNote).permit, false);
    assert.equal(decide([openMh('clinic'), excludeB('lab')], orgA, mhNote).permit, true, 'no conflict for organisation A');
  });

  test('two restrictions from two sources both hold (merged Persons)', () => {
    const merged = [excludeB('clinic'), onlyA('pharmacy')];
    assert.equal(decide(merged, orgB, labResult).permit, false);
    assert.equal(decide(merged, { identities: ['Organization/org-c'], purpose: 'TREAT' }, labResult).permit, false, 'only A, from the pharmacy record');
    assert.equal(decide(merged, orgA, labResult).permit, true);
  });

  test('after a split, each record keeps only the consents written on it', () => {
    const clinic = [optOut('clinic')];
    const lab: SourceConsent[] = [];
    assert.equal(decide(clinic, orgA, labResult).permit, false);
    assert.equal(decide(lab, orgA, labResult).permit, true);
  });

  test('rules are ordered denies first and never counted twice', () => {
    const rules = personRules([openMh('clinic'), optOut('lab'), optOut('lab')]);
    assert.deepEqual(rules.map((r) => r.effect), ['deny', 'open']);
  });
});
