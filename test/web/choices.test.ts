import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEvent, Consent } from '@medplum/fhirtypes';
import { consentRulesOf } from '../../src/consent/rules.js';
import { accessOf, isOwn, organizationsOf } from '../../web/src/shared/access-log.js';
import { consentFor, explain, type Choice } from '../../web/src/portail/consent.js';

/**
 * The portal's consent choices and access log (pure). Every Consent the portal writes is one Carnet
 * enforces (compiled by the server's own rules, never refused), and reads back as the same choice.
 */
describe('consent choices', () => {
  const choices: Choice[] = [
    { kind: 'hide-category', category: 'MH' },
    { kind: 'open-category', category: 'HIV' },
    { kind: 'exclude', actor: 'Organization/o1', name: 'Clinique A' },
    { kind: 'share-only', actor: 'Organization/o2', name: 'Clinique B' },
    { kind: 'exclude-professional', actor: 'Practitioner/x1', name: 'Dre A' },
    { kind: 'open-category-to', category: 'MH', actor: 'Practitioner/x2', name: 'Dr B' },
    { kind: 'hide-resource', resource: 'DocumentReference/d1' },
    { kind: 'deny-all' },
    { kind: 'research-opt-out' },
  ];

  test('each choice is a Consent the server compiles into rules, and explains back as itself', () => {
    for (const choice of choices) {
      const consent = consentFor(choice, 'Patient/p1', new Date('2026-01-01T00:00:00Z'));
      const rules = consentRulesOf(consent);
      assert.ok(rules && rules.length > 0, `${choice.kind} is enforced`);
      assert.deepEqual(explain(consent), choice, choice.kind);
    }
    const [hide] = consentRulesOf(consentFor({ kind: 'hide-category', category: 'MH' }, 'Patient/p1', new Date())) ?? [];
    assert.deepEqual([hide?.effect, hide?.categories], ['deny', ['MH']]);
    const [only] = consentRulesOf(consentFor({ kind: 'share-only', actor: 'Organization/o2' }, 'Patient/p1', new Date())) ?? [];
    assert.deepEqual([only?.effect, only?.exceptActors], ['deny', ['Organization/o2']]);
    const [hidden] = consentRulesOf(consentFor({ kind: 'exclude-professional', actor: 'Practitioner/x1' }, 'Patient/p1', new Date())) ?? [];
    assert.deepEqual([hidden?.effect, hidden?.actors], ['deny', ['Practitioner/x1']], 'hidden from that professional only');
    const [opened] = consentRulesOf(consentFor({ kind: 'open-category-to', category: 'MH', actor: 'Practitioner/x2' }, 'Patient/p1', new Date())) ?? [];
    assert.deepEqual([opened?.effect, opened?.categories, opened?.actors], ['open', ['MH'], ['Practitioner/x2']], 'opened to that professional only');
    assert.deepEqual(consentRulesOf(consentFor({ kind: 'research-opt-out' }, 'Patient/p1', new Date()))?.[0]?.purposes, ['HRESCH']);
  });

  test('a Consent of another shape is "another choice", never misdescribed', () => {
    const base = consentFor({ kind: 'exclude', actor: 'Organization/o1' }, 'Patient/p1', new Date());
    const twoActors: Consent = { ...base, provision: { type: 'permit', provision: [{ type: 'deny', actor: [{ role: { text: 'x' }, reference: { reference: 'Organization/a' } }, { role: { text: 'x' }, reference: { reference: 'Organization/b' } }] }] } };
    const withPeriod: Consent = { ...base, provision: { type: 'permit', provision: [{ type: 'deny', period: { end: '2027-01-01' }, securityLabel: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'MH' }] }] } };
    const treatment: Consent = { ...base, scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'treatment' }] } };
    for (const c of [twoActors, withPeriod, treatment]) assert.deepEqual(explain(c), { kind: 'other' });
  });
});

describe('access log entries', () => {
  const event = (extra: Partial<AuditEvent>): AuditEvent => ({
    resourceType: 'AuditEvent', id: 'e1', type: { code: 'rest' }, subtype: [{ code: 'search-type' }], recorded: '2026-03-01T10:00:00Z', outcome: '0',
    agent: [
      { who: { reference: 'Practitioner/dr', display: 'Dre Marie Tremblay' }, requestor: true, role: [{ coding: [{ system: 'urn:carnet:role', code: 'physician' }] }] },
      { type: { coding: [{ code: '110150' }] }, who: { identifier: { system: 'urn:carnet:client', value: 'emr' } }, requestor: false },
      { type: { coding: [{ code: 'PROV' }] }, who: { reference: 'Organization/clinic' }, requestor: false },
    ],
    source: { observer: { display: 'Carnet' } },
    entity: [
      { what: { reference: 'Patient/p1' }, role: { code: '1' } },
      { what: { reference: 'Observation/o1' }, role: { code: '4' } }, { what: { reference: 'Observation/o2' }, role: { code: '4' } },
      { what: { reference: 'Condition/c1' }, role: { code: '4' } },
    ],
    purposeOfEvent: [{ coding: [{ code: 'TREAT' }] }],
    ...extra,
  });

  test('who, role, organisation, app, what (by type), why', () => {
    const a = accessOf(event({}));
    assert.equal(a.who, 'Dre Marie Tremblay');
    assert.equal(a.role, 'physician');
    assert.equal(a.organization, 'Organization/clinic');
    assert.equal(a.app, 'emr');
    assert.deepEqual(a.what, [{ type: 'Observation', count: 2 }, { type: 'Condition', count: 1 }]);
    assert.equal(a.purpose, 'TREAT');
    assert.equal(a.breakGlass, undefined);
    assert.equal(a.refused, false);
    assert.equal(isOwn(a, ['Patient/p1']), false);
    assert.deepEqual(organizationsOf([a, a]), ['Organization/clinic']);
  });

  test('break-the-glass with its reason; a refused access; the person’s own', () => {
    const glass = accessOf(event({ purposeOfEvent: [{ coding: [{ code: 'ETREAT' }] }], entity: [{ role: { code: '24' }, detail: [{ type: 'break-the-glass-reason', valueString: 'Patient inconscient aux urgences' }] }] }));
    assert.equal(glass.breakGlass, 'Patient inconscient aux urgences');
    assert.equal(accessOf(event({ outcome: '8' })).refused, true);
    const mine = accessOf(event({ agent: [{ who: { reference: 'Patient/p1', display: 'Moi' }, requestor: true, role: [{ coding: [{ system: 'urn:carnet:role', code: 'patient' }] }] }] }));
    assert.equal(isOwn(mine, ['Patient/p1']), true);
  });
});
