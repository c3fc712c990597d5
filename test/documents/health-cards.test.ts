import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Immunization, Parameters } from '@medplum/fhirtypes';
import { jwsOfNumericQr, verifyCard } from '../../src/documents/health-cards/card.js';
import { issuerKey, issuerKeys, parseRetiredKeys, publishedKeys } from '../../src/documents/health-cards/issuer-key.js';
import { loadConfig } from '../../src/config/config.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * SMART Health Cards: Patient/[id]/$health-cards-issue signs the person's immunizations (ES256, key at
 * /.well-known/jwks.json); the card round-trips through the same verifier that verifies the specification's
 * example card; its numeric QR decodes to the JWS; bad requests are 400/404.
 */
const FIXTURES = new URL('../../../test/fixtures/health-cards/', import.meta.url);
const CVX = 'http://hl7.org/fhir/sid/cvx';

describe('$health-cards-issue (SMART Health Cards)', () => {
  let t: TestCarnet;
  let patient: string;
  before(async () => {
    t = await startTestCarnet();
    const p = await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Tremblay', given: ['Élise'] }], birthDate: '1961-03-14', gender: 'female' } });
    patient = p.body.id;
    const shot = (code: string, date: string, status: Immunization['status']) => t.request('POST', '/fhir/Immunization', { body: {
      resourceType: 'Immunization', status, patient: { reference: `Patient/${patient}` }, occurrenceDateTime: date, lotNumber: 'L-1',
      vaccineCode: { text: 'Vaccin', coding: [{ system: CVX, code, display: 'a display a card drops' }] },
    } });
    for (const [code, date, status] of [['207', '2021-01-10', 'completed'], ['207', '2021-02-07', 'completed'], ['141', '2024-10-01', 'not-done']] as const) {
      assert.equal((await shot(code, date, status)).status, 201);
    }
  });
  after(() => t.close());

  const issue = (id: string, parameter: unknown[]) => t.request('POST', `/fhir/Patient/${id}/$health-cards-issue`, { body: { resourceType: 'Parameters', parameter } });

  test('a card of the person’s immunizations, signed ES256, verifies with the published key; the QR decodes to it', async () => {
    const r = await issue(patient, [{ name: 'credentialType', valueUri: 'https://smarthealth.cards#immunization' }]);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const out = r.body as Parameters;
    const jws = out.parameter?.find((p) => p.name === 'verifiableCredential')?.valueString as string;
    assert.match(jws, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const jwks = await t.request('GET', '/.well-known/jwks.json', { token: null });
    assert.equal(jwks.status, 200, 'public');
    assert.equal(jwks.body.keys[0].alg, 'ES256');
    assert.equal(jwks.body.keys[0].d, undefined, 'no private part');
    const payload = await verifyCard(jws, jwks.body);
    assert.equal(`${payload.iss}/fhir`, t.carnet.ctx.fhirBaseUrl, 'iss is the server, where /.well-known/jwks.json is');
    assert.deepEqual(payload.vc.type, ['https://smarthealth.cards#health-card', 'https://smarthealth.cards#immunization']);
    const entries = payload.vc.credentialSubject.fhirBundle.entry ?? [];
    assert.deepEqual(entries.map((e) => e.resource?.resourceType), ['Patient', 'Immunization', 'Immunization'], 'completed doses only');
    const card = JSON.stringify(payload);
    assert.ok(!card.includes('"id"') && !card.includes('"meta"') && !card.includes('a display a card drops'), 'minimised');
    assert.ok(entries.slice(1).every((e) => (e.resource as Immunization).patient.reference === 'resource:0'));
    const qr = out.parameter?.filter((p) => p.name === 'qrNumeric').map((p) => p.valueString as string) ?? [];
    assert.equal(qr.length, 1);
    assert.match(qr[0] as string, /^shc:\/\d+$/);
    assert.equal(jwsOfNumericQr(qr[0] as string), jws);
    // A forged card does not verify.
    const [h, p, s] = jws.split('.');
    await assert.rejects(verifyCard(`${h}.${p}.${(s as string).slice(0, -2)}AA`, jwks.body));
  });

  test('the same verifier verifies the SMART Health Cards specification’s example card and its QR', async () => {
    const jws = readFileSync(new URL('example-00-d-jws.txt', FIXTURES), 'utf8').trim();
    const jwks = JSON.parse(readFileSync(new URL('jwks.json', FIXTURES), 'utf8'));
    const payload = await verifyCard(jws, jwks);
    assert.deepEqual(payload, JSON.parse(readFileSync(new URL('example-00-c-jws-payload-minified.json', FIXTURES), 'utf8')));
    assert.equal(jwsOfNumericQr(readFileSync(new URL('example-00-f-qr-code-numeric-value-0.txt', FIXTURES), 'utf8').trim()), jws);
    await assert.rejects(verifyCard(jws, { keys: [] }), /no key/);
  });

  test('nothing to put on a card is an empty answer; bad requests are 400/404', async () => {
    const lab = await issue(patient, [{ name: 'credentialType', valueUri: 'https://smarthealth.cards#laboratory' }]);
    assert.equal(lab.status, 200);
    assert.equal((lab.body as Parameters).parameter?.length ?? 0, 0);
    assert.equal((await issue(patient, [])).status, 400);
    assert.equal((await issue(patient, [{ name: 'credentialType', valueUri: 'https://smarthealth.cards#covid19' }])).status, 400);
    assert.equal((await issue('nobody', [{ name: 'credentialType', valueUri: 'https://smarthealth.cards#immunization' }])).status, 404);
  });

  test('key rotation: after the switch to generation 2 a card signed by generation 1 still verifies, until generation 1’s date passes', async () => {
    const asked = [{ name: 'credentialType', valueUri: 'https://smarthealth.cards#immunization' }];
    const old = (await issue(patient, asked)).body.parameter.find((p: { name: string }) => p.name === 'verifiableCredential').valueString as string;
    // The same secret (every test Carnet runs on the demo secret), the next generation active, generation 1 retired.
    const rotated = await startTestCarnet({ env: { CARNET_SHC_KEY_GENERATION: '2', CARNET_SHC_RETIRED_KEYS: '1@2099-12-31' } });
    const dropped = await startTestCarnet({ env: { CARNET_SHC_KEY_GENERATION: '2', CARNET_SHC_RETIRED_KEYS: '1@2020-01-01' } });
    try {
      const jwks = (await rotated.request('GET', '/.well-known/jwks.json', { token: null })).body;
      assert.equal(jwks.keys.length, 2, 'the signing key and the retired one');
      const oldKid = JSON.parse(Buffer.from(old.split('.')[0] as string, 'base64url').toString()).kid;
      assert.equal(jwks.keys[1].kid, oldKid, 'the retired key is generation 1, the one that signed before');
      await verifyCard(old, jwks);
      const p = await rotated.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Roy' }], birthDate: '1970-01-01' } });
      await rotated.request('POST', '/fhir/Immunization', { body: { resourceType: 'Immunization', status: 'completed', patient: { reference: `Patient/${p.body.id}` }, occurrenceDateTime: '2024-10-01', vaccineCode: { coding: [{ system: CVX, code: '141' }] } } });
      const fresh = (await rotated.request('POST', `/fhir/Patient/${p.body.id}/$health-cards-issue`, { body: { resourceType: 'Parameters', parameter: asked } })).body.parameter[0].valueString as string;
      assert.equal(JSON.parse(Buffer.from(fresh.split('.')[0] as string, 'base64url').toString()).kid, jwks.keys[0].kid, 'the active generation signs');
      await verifyCard(fresh, jwks);
      await assert.rejects(verifyCard(fresh, { keys: [jwks.keys[1]] }), 'generation 1 does not verify generation 2');
      const after = (await dropped.request('GET', '/.well-known/jwks.json', { token: null })).body;
      assert.equal(after.keys.length, 1, 'a retired key past its date is no longer published');
      await assert.rejects(verifyCard(old, after), /no key/);
    } finally {
      await rotated.close();
      await dropped.close();
    }
  });
});

describe('the health card issuer key (pure)', () => {
  test('derived from the secret: the same in every process, another secret another key, no private part published', async () => {
    const a = await issuerKey('secret-one-0123456789abcdef0123456789');
    const b = await issuerKey('secret-one-0123456789abcdef0123456789');
    const c = await issuerKey('secret-two-0123456789abcdef0123456789');
    assert.equal(a.kid, b.kid);
    assert.notEqual(a.kid, c.kid);
    assert.equal(a.publicJwk.d, undefined);
    assert.equal(a.publicJwk.crv, 'P-256');
  });

  test('generations: generation 1 is the key Carnet always had; each generation another key; retired ones published until their date', async () => {
    const secret = 'secret-one-0123456789abcdef0123456789';
    assert.equal((await issuerKey(secret, 1)).kid, (await issuerKey(secret)).kid);
    const keys = await issuerKeys(secret, { active: 3, retired: parseRetiredKeys('1@2027-06-30, 2', 3) });
    assert.equal(new Set([keys.active.kid, ...keys.retired.map((r) => r.key.kid)]).size, 3);
    assert.equal(publishedKeys(keys, new Date('2027-06-30T23:00:00Z')).length, 3, 'through the last day');
    assert.deepEqual(publishedKeys(keys, new Date('2027-07-01T00:00:00Z')).map((k) => k.kid), [keys.active.kid, keys.retired[1]?.key.kid]);
    for (const bad of ['3', 'x', '1@2027-13-01', '1,1', '0']) assert.throws(() => parseRetiredKeys(bad, 3), Error, bad);
    assert.throws(() => loadConfig({ CARNET_SHC_KEY_GENERATION: '2', CARNET_SHC_RETIRED_KEYS: '2' }), /CARNET_SHC_RETIRED_KEYS/);
  });
});
