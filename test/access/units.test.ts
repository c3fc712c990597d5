import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Consent, Observation } from '@medplum/fhirtypes';
import { intersectScopes, parseScopes, reachOf, typesReached, withKnownTypes } from '../../src/access/scopes.js';
import { canonical, chainHash, GENESIS, verifyRun, type StoredChainRow } from '../../src/audit/chain.js';
import { base32Encode, hotp, totp, verifyTotp } from '../../src/auth/totp.js';
import { SecretBox } from '../../src/auth/secrets.js';
import { detectCategories, labelSensitive } from '../../src/consent/labels.js';
import { consentRulesOf } from '../../src/consent/rules.js';
import { describeScope } from '../../src/auth/pages.js';

describe('SMART scopes', () => {
  test('v2 letters, v1 forms, launch and identity scopes; constrained scopes are not granted', () => {
    const s = parseScopes('patient/Observation.rs user/*.cruds system/Patient.read user/Condition.write openid fhirUser launch/patient offline_access patient/Observation.rs?category=laboratory user/*.sr bogus');
    assert.deepEqual(s.resources.map((r) => [r.context, r.type, [...r.permissions].join('')]), [
      ['patient', 'Observation', 'rs'], ['user', '*', 'cruds'], ['system', 'Patient', 'rs'], ['user', 'Condition', 'cud'],
    ]);
    assert.deepEqual([...s.other].sort(), ['fhirUser', 'launch/patient', 'offline_access', 'openid']);
    assert.deepEqual(s.refused, ['patient/Observation.rs?category=laboratory', 'user/*.sr', 'bogus'], 'out-of-order letters and query-constrained scopes are refused');
  });
  test('reach: user or system scopes reach everything the role allows, patient scopes the launch patient only', () => {
    const s = parseScopes('patient/*.rs user/Observation.r');
    assert.equal(reachOf(s, 'Observation', 'r'), 'all');
    assert.equal(reachOf(s, 'Observation', 's'), 'patient');
    assert.equal(reachOf(s, 'Condition', 'r'), 'patient');
    assert.equal(reachOf(s, 'Condition', 'c'), undefined);
    assert.deepEqual(typesReached(s, 's'), { all: [], patient: ['*'] });
    assert.deepEqual(typesReached(parseScopes('system/*.rs patient/Observation.rs'), 's'), { all: ['*'], patient: [] });
  });
  test('intersection with a registration narrows, never widens', () => {
    const granted = intersectScopes(parseScopes('system/*.cruds openid'), parseScopes('system/Observation.rs system/Patient.cruds'));
    assert.deepEqual(granted.resources.map((r) => r.text), ['system/Observation.rs', 'system/Patient.cruds']);
    assert.deepEqual(granted.refused, ['openid']);
    assert.deepEqual(intersectScopes(parseScopes('user/Observation.read'), parseScopes('user/*.rs')).resources.map((r) => r.text), ['user/Observation.read']);
    assert.deepEqual(intersectScopes(parseScopes('user/Observation.cruds'), parseScopes('user/*.rs')).resources.map((r) => r.text), ['user/Observation.rs']);
  });
  test('scopes naming a resource type that does not exist are refused, in v1 and v2 forms (bdt "Rejects unknown resource scopes")', () => {
    const known = new Set(['Patient', 'Observation']);
    const s = withKnownTypes(parseScopes('system/UnknownResource.read system/UnknownResource.r system/Patient.rs system/*.rs openid'), known);
    assert.deepEqual(s.resources.map((r) => r.text), ['system/Patient.rs', 'system/*.rs']);
    assert.deepEqual(s.refused, ['system/UnknownResource.read', 'system/UnknownResource.r']);
    assert.deepEqual([...s.other], ['openid']);
  });
  test('scopes in words, French and English', () => {
    assert.equal(describeScope('patient/*.rs', 'fr'), 'lire toutes les données de votre dossier');
    assert.equal(describeScope('user/Observation.cruds', 'en'), 'read and change Observation you have access to');
  });
});

describe('sensitive categories are labelled at write time', () => {
  const obs = (system: string, code: string): Observation => ({ resourceType: 'Observation', status: 'final', code: { coding: [{ system, code }] } });
  test('codes of mental health, substance use, HIV and sexual health become v3 ActCode labels with confidentiality R', () => {
    const phq9 = labelSensitive(obs('http://loinc.org', '44261-6'));
    assert.deepEqual(phq9.meta?.security?.map((s) => s.code), ['MH', 'R']);
    assert.deepEqual([...detectCategories(obs('http://hl7.org/fhir/sid/icd-10-ca', 'F10.2'))], ['SUD']);
    assert.deepEqual([...detectCategories(obs('http://hl7.org/fhir/sid/icd-10', 'B20'))], ['HIV']);
    assert.deepEqual([...detectCategories(obs('http://snomed.info/sct', '72892002'))], ['SEX']);
    assert.deepEqual([...detectCategories(obs('http://www.whocc.no/atc', 'N06AB06'))], ['MH']);
    const glucose = obs('http://loinc.org', '2345-7');
    assert.equal(labelSensitive(glucose), glucose, 'nothing sensitive: the same object');
  });
  test('labels a source sent are kept; labelling twice adds nothing', () => {
    const sent: Observation = { ...obs('http://loinc.org', '2345-7'), meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }] } };
    assert.deepEqual(labelSensitive(sent).meta?.security?.map((s) => s.code), ['HIV', 'R']);
    const once = labelSensitive(obs('http://loinc.org', '44261-6'));
    assert.equal(labelSensitive(once), once);
  });
});

describe('Consent resources compile to rules, or are refused when Carnet could not enforce them', () => {
  const base = (provision: Consent['provision'], scope = 'patient-privacy'): Consent => ({
    resourceType: 'Consent', id: 'c1', status: 'active', patient: { reference: 'Patient/p1' },
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: scope }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], provision,
  });
  const act = (code: string) => ({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code });
  test('opt-out, share only with, hide a category, exclude an organisation, hide a resource, open a category', () => {
    assert.deepEqual(consentRulesOf(base({ type: 'deny' }))?.map((r) => [r.effect, r.actors, r.exceptActors]), [['deny', null, null]]);
    const only = consentRulesOf(base({ type: 'deny', provision: [{ type: 'permit', actor: [{ role: { text: 'x' }, reference: { reference: 'Organization/a' } }] }] }));
    assert.deepEqual(only?.[0]?.exceptActors, ['Organization/a']);
    const mixed = consentRulesOf(base({
      type: 'permit',
      provision: [
        { type: 'deny', securityLabel: [act('PSY')] },
        { type: 'deny', actor: [{ role: { text: 'x' }, reference: { reference: 'Organization/b' } }] },
        { type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/d1' } }], period: { start: '2024-01-01', end: '2024-06-30' } },
        { type: 'permit', securityLabel: [act('HIV')], actor: [{ role: { text: 'x' }, reference: { reference: 'Practitioner/dr' } }] },
      ],
    }));
    assert.deepEqual(mixed?.map((r) => [r.effect, r.categories, r.actors, r.resources]), [
      ['deny', ['MH'], null, null], ['deny', null, ['Organization/b'], null], ['deny', null, null, ['DocumentReference/d1']], ['open', ['HIV'], ['Practitioner/dr'], null],
    ]);
    assert.equal(mixed?.[2]?.start, '2024-01-01T00:00:00.000Z');
    assert.equal(mixed?.[2]?.end, '2024-07-01T00:00:00.000Z', 'a date end covers its whole day');
    assert.deepEqual(consentRulesOf(base({ type: 'deny' }, 'research'))?.[0]?.purposes, ['HRESCH']);
    assert.equal(consentRulesOf(base({ type: 'permit' }, 'treatment')), undefined, 'other scopes are stored, not enforced');
    assert.deepEqual(consentRulesOf({ ...base({ type: 'deny' }), status: 'inactive' }), []);
  });
  test('what cannot be enforced exactly is refused with 422', () => {
    const refuse = (c: Consent) => assert.throws(() => consentRulesOf(c), (e: { status?: number }) => e.status === 422);
    refuse(base({ type: 'permit', provision: [{ type: 'deny', class: [{ code: 'Observation' }] }] }));
    refuse(base({ type: 'permit', provision: [{ type: 'deny', securityLabel: [act('XYZ')] }] }));
    refuse(base({ type: 'deny', provision: [{ type: 'permit', securityLabel: [act('MH')] }] }));
    refuse(base({ type: 'permit', provision: [{ type: 'deny', provision: [{ type: 'permit' }] }] }));
    refuse({ ...base({ type: 'deny' }), patient: { reference: 'https://elsewhere/Patient/1' } });
  });
});

describe('audit hash chain', () => {
  const row = (seq: number, prevHash: string, content: string): StoredChainRow => {
    const r = { id: seq + 100, chainSeq: seq, uid: `u${seq}`, recorded: '2025-01-01T00:00:00.000Z', action: 'R', agent: 'user:x', patients: ['p'], outcome: '0', breakGlass: false, content, prevHash };
    return { ...r, hash: chainHash(r) };
  };
  test('every record commits to the previous one; a change anywhere names the first broken link', () => {
    const a = row(1, GENESIS, '{"a":1}');
    const b = row(2, a.hash, '{"b":2}');
    const c = row(3, b.hash, '{"c":3}');
    assert.equal(verifyRun([a, b, c], { seq: 0, hash: GENESIS }).ok, true);
    const tampered = { ...b, content: '{"b":3}' };
    const broken = verifyRun([a, tampered, c], { seq: 0, hash: GENESIS });
    assert.equal(broken.ok, false);
    assert.equal(!broken.ok && broken.brokenAt.chainSeq, 2);
    const gap = verifyRun([a, c], { seq: 0, hash: GENESIS });
    assert.equal(!gap.ok && gap.brokenAt.chainSeq, 3, 'a removed record breaks the chain');
    assert.notEqual(canonical({ ...a, patients: ['q'] }), canonical(a), 'the patients column is covered');
  });
});

describe('production start', () => {
  test('CARNET_DEMO=off refuses to start without a secret of its own or with demo secrets', async () => {
    const { loadConfig, ConfigError, DEMO_SECRET, DEMO_CLIENT_SECRET } = await import('../../src/config/config.js');
    assert.throws(() => loadConfig({ CARNET_DEMO: 'off' }), ConfigError);
    assert.throws(() => loadConfig({ CARNET_DEMO: 'off', CARNET_SECRET: DEMO_SECRET }), ConfigError);
    assert.throws(() => loadConfig({ CARNET_DEMO: 'off', CARNET_SECRET: 'short' }), ConfigError);
    const secret = 'x'.repeat(40);
    assert.throws(() => loadConfig({ CARNET_DEMO: 'off', CARNET_SECRET: secret, CARNET_BOOTSTRAP_CLIENT_ID: 'ops', CARNET_BOOTSTRAP_CLIENT_SECRET: DEMO_CLIENT_SECRET }), ConfigError);
    assert.throws(() => loadConfig({ CARNET_DEMO: 'off', CARNET_SECRET: secret, CARNET_BOOTSTRAP_CLIENT_ID: 'ops' }), ConfigError, 'both or neither');
    const ok = loadConfig({ CARNET_DEMO: 'off', CARNET_SECRET: secret, CARNET_BOOTSTRAP_CLIENT_ID: 'ops', CARNET_BOOTSTRAP_CLIENT_SECRET: 'y'.repeat(40) });
    assert.equal(ok.demo, false);
    assert.equal(ok.auth.bootstrapClient?.id, 'ops');
    assert.equal(loadConfig({}).auth.secret, DEMO_SECRET, 'demo mode runs with the demo secret');
  });
});

describe('TOTP (RFC 6238) and secrets', () => {
  const secret = base32Encode(Buffer.from('12345678901234567890'));
  test('the RFC 6238 SHA-1 test vectors (last 6 digits)', () => {
    assert.equal(totp(secret, new Date(59_000)), '287082');
    assert.equal(totp(secret, new Date(1_111_111_109_000)), '081804');
    assert.equal(totp(secret, new Date(2_000_000_000_000)), '279037');
    assert.equal(hotp(secret, 0), '755224', 'RFC 4226 HOTP vector');
  });
  test('one step of drift is accepted, a code is accepted once', () => {
    const now = new Date(1_700_000_000_000);
    const previous = totp(secret, new Date(now.getTime() - 30_000));
    const step = verifyTotp(secret, previous, now);
    assert.ok(step !== undefined);
    assert.equal(verifyTotp(secret, previous, now, step), undefined, 'replay refused');
    assert.equal(verifyTotp(secret, totp(secret, new Date(now.getTime() - 120_000)), now), undefined);
  });
  test('sealed secrets open only with the same server secret', () => {
    const box = new SecretBox('a'.repeat(32));
    const sealed = box.encrypt('private key');
    assert.equal(box.decrypt(sealed), 'private key');
    assert.equal(new SecretBox('b'.repeat(32)).decrypt(sealed), undefined);
    assert.equal(box.decrypt(sealed.slice(0, -2) + 'AA'), undefined);
  });
});
