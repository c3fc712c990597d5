import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Consent, Resource } from '@medplum/fhirtypes';
import { codeFlow, createUser, PASSWORD, professionalToken, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { observation, privacyConsent, put, sourcePatient } from '../support/persons.js';

/**
 * A Consent seen by a professional names no resource (issue #14): on every path that can return a
 * Consent — read, vread, history (instance, type, system), search by patient, `_include`, `_revinclude`,
 * `$everything`, a batch entry — its `provision.data` (at every depth) is gone and it carries the
 * REDACTED security label and the SUBSETTED tag; searching Consents by the data they name is refused.
 * The patient and privacy officers see it whole.
 */
const HIDDEN = 'Observation/o-secret';
const SHARED = 'Observation/o-shared'; // hidden from org-b only

describe('Consents are masked for professionals', () => {
  let t: TestCarnet;
  let physician: string;
  let patient: string;
  let officer: string;

  before(async () => {
    t = await startTestCarnet();
    await seedDirectory(t);
    await put(t, sourcePatient('mask', 'Masque', 'urn:clinic'));
    await put(t, observation('o-secret', 'mask', '2345-7'));
    await put(t, observation('o-shared', 'mask', '718-7'));
    await put(t, privacyConsent('c-mask', 'mask', {
      type: 'permit',
      provision: [
        { type: 'deny', data: [{ meaning: 'instance', reference: { reference: HIDDEN } }] },
        { type: 'deny', actor: [{ role: { text: 'x' }, reference: { reference: 'Organization/org-b' } }], data: [{ meaning: 'instance', reference: { reference: SHARED } }] },
      ],
    }));
    // A second version, so that vread and history have something to show.
    const consent = (await t.request('GET', '/fhir/Consent/c-mask')).body as Consent;
    await put(t, { ...consent, dateTime: '2026-01-02T00:00:00Z' } as Resource);
    await createUser(t, { username: 'marie', password: PASSWORD, displayName: 'Marie', role: 'patient', fhirUser: 'Patient/mask' });
    patient = (await codeFlow(t, { username: 'marie', password: PASSWORD, scope: 'user/*.cruds' })).token?.access_token as string;
    physician = await professionalToken(t, 'drm', 'physician', 'dr-a');
    const po = await createUser(t, { username: 'privacy', password: PASSWORD, displayName: 'PO', role: 'privacy-officer' });
    officer = (await codeFlow(t, { username: 'privacy', password: PASSWORD, totpSecret: po.totp?.secret as string, scope: 'user/*.rs' })).token?.access_token as string;
  });
  after(() => t.close());

  /** Every Consent of an answer (a resource or a Bundle, batch entries' Bundles included). */
  const consentsIn = (body: Resource | undefined): Consent[] => {
    if (!body) return [];
    if (body.resourceType === 'Consent') return [body as Consent];
    if (body.resourceType === 'Bundle') return ((body as Bundle).entry ?? []).flatMap((e) => consentsIn(e.resource));
    return [];
  };
  const paths = [
    '/fhir/Consent/c-mask', '/fhir/Consent/c-mask/_history/1', '/fhir/Consent/c-mask/_history', '/fhir/Consent/_history',
    '/fhir/_history', '/fhir/Consent?patient=mask', '/fhir/Consent?patient=mask&_include=Consent:patient',
    '/fhir/Patient?_id=mask&_revinclude=Consent:patient', '/fhir/Patient/mask/Consent', '/fhir/Patient/mask/$everything',
    '/fhir/Consent?_id=c-mask&_elements=provision',
  ];
  const answers = async (token: string): Promise<[string, Consent[]][]> => {
    const out: [string, Consent[]][] = [];
    for (const path of paths) {
      const r = await t.request('GET', path, { token });
      assert.equal(r.status, 200, `${path}: ${r.text.slice(0, 300)}`);
      out.push([path, consentsIn(r.body as Resource)]);
    }
    const batch = await t.request('POST', '/fhir', { token, body: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Consent/c-mask' } }, { request: { method: 'GET', url: 'Consent?patient=mask' } }] } });
    assert.equal(batch.status, 200, batch.text);
    out.push(['batch', consentsIn(batch.body as Resource)]);
    return out;
  };

  test('a professional sees that a privacy Consent exists, never the resources it names', async () => {
    for (const [path, consents] of await answers(physician)) {
      assert.ok(consents.length > 0, `${path}: the Consent is there`);
      for (const c of consents) {
        const text = JSON.stringify(c);
        assert.ok(!text.includes('o-secret') && !text.includes('o-shared'), `${path}: ${text}`);
        if (path.includes('_elements') || !c.provision) continue;
        assert.ok(c.meta?.security?.some((s) => s.code === 'REDACTED'), `${path}: REDACTED`);
        assert.ok(c.meta?.tag?.some((s) => s.code === 'SUBSETTED'), `${path}: SUBSETTED`);
        assert.equal(c.provision?.type, 'permit', `${path}: the rest of the Consent stays`);
        assert.equal(c.provision?.provision?.[0]?.type, 'deny');
      }
    }
  });

  test('the patient and a privacy officer see the Consent whole', async () => {
    for (const token of [patient, officer]) {
      const r = await t.request('GET', '/fhir/Consent/c-mask', { token });
      assert.equal(r.status, 200, r.text);
      const c = r.body as Consent;
      assert.equal(c.provision?.provision?.[0]?.data?.[0]?.reference?.reference, HIDDEN);
      assert.equal(c.provision?.provision?.[1]?.data?.[0]?.reference?.reference, SHARED);
      assert.ok(!c.meta?.security?.some((s) => s.code === 'REDACTED'));
    }
    for (const [path, consents] of await answers(patient)) {
      for (const c of consents) if (!path.includes('_elements')) assert.ok(JSON.stringify(c).includes('o-secret'), path);
    }
  });

  test('searching Consents by the resources they name is refused to a professional, whatever the value', async () => {
    for (const query of [`Consent?data=${HIDDEN}`, 'Consent?data=Observation/absent', 'Consent?data:missing=false', `Observation?_has:Consent:data:status=active`, `Patient/mask/Consent?data=${HIDDEN}`]) {
      const r = await t.request('GET', `/fhir/${query}`, { token: physician });
      assert.equal(r.status, 403, `${query}: ${r.text.slice(0, 200)}`);
    }
    const own = await t.request('GET', `/fhir/Consent?data=${HIDDEN}`, { token: patient });
    assert.equal(own.status, 200, 'the patient may search her Consents by what they name');
  });

  test('the same refusal in conditional create, update and delete, conditional references and Subscription criteria', async () => {
    const obs = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/mask' } };
    const refused = async (what: string, r: { status: number; text: string }) => {
      assert.equal(r.status, 403, `${what}: ${r.text.slice(0, 300)}`);
      assert.match(r.text, /Consents are searched by the resources they name only by/, what);
    };
    for (const criteria of [`data=${HIDDEN}`, 'data=Observation/absent']) {
      await refused(`DELETE Consent?${criteria}`, await t.request('DELETE', `/fhir/Consent?${criteria}`, { token: physician }));
      await refused(`If-None-Exist ${criteria}`, await t.request('POST', '/fhir/Consent', { token: physician, body: { resourceType: 'Consent', status: 'active' }, headers: { 'if-none-exist': criteria } }));
    }
    for (const criteria of ['_has:Consent:data:status=active', `_has:Consent:data:_id=c-mask`]) {
      await refused(`If-None-Exist ${criteria}`, await t.request('POST', '/fhir/Observation', { token: physician, body: obs, headers: { 'if-none-exist': criteria } }));
      await refused(`PUT Observation?${criteria}`, await t.request('PUT', `/fhir/Observation?${criteria}`, { token: physician, body: obs }));
      await refused(`DELETE Observation?${criteria}`, await t.request('DELETE', `/fhir/Observation?${criteria}`, { token: physician }));
      const tx = await t.request('POST', '/fhir', { token: physician, body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { ...obs, hasMember: [{ reference: `Observation?${criteria}` }] }, request: { method: 'POST', url: 'Observation' } }] } });
      await refused(`conditional reference Observation?${criteria}`, tx);
    }
    assert.equal((await t.request('GET', '/fhir/Observation/o-secret')).status, 200, 'nothing was deleted');
    // Subscription criteria: whether a notification comes would answer the same question, change after change.
    const subscription = (criteria: string) => ({ resourceType: 'Subscription', status: 'requested', reason: 'x', criteria, channel: { type: 'websocket', payload: 'application/fhir+json' } });
    for (const criteria of [`Consent?data=${HIDDEN}`, 'Observation?_has:Consent:data:status=active', 'Patient?_has:Consent:patient:data=Observation/absent']) {
      await refused(`Subscription ${criteria}`, await t.request('POST', '/fhir/Subscription', { token: physician, body: subscription(criteria) }));
    }
    assert.equal((await t.request('GET', '/fhir/Subscription?_summary=count')).body.total, 0, 'no Subscription was kept');
    const allowed = await t.request('POST', '/fhir/Subscription', { token: physician, body: subscription('Consent?patient=Patient/mask') });
    assert.equal(allowed.status, 201, `Consents by patient stay subscribable: ${allowed.text.slice(0, 200)}`);
    const own = await t.request('DELETE', '/fhir/Consent?data=Observation/absent', { token: patient });
    assert.equal(own.status, 204, 'the patient may use them in conditional criteria');
  });
});
