import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Composition, Immunization, Parameters, Patient } from '@medplum/fhirtypes';
import { verifyCard } from '../../src/documents/health-cards/card.js';
import { decryptFile } from '../../src/documents/health-links/jwe.js';
import { decodeShlink } from '../../src/documents/health-links/link.js';
import { codeFlow, createUser, PASSWORD, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * SMART Health Links end to end: the person (or the platform) creates a link to their IPS and health card,
 * with a passcode and an expiry; a recipient with no account asks for the manifest, is refused without the
 * passcode (attempts counted, then locked), gets the files embedded or at a short-lived location, and
 * decrypts them with the key from the link; every access is in the person's access log; revocation and
 * expiry end the link; a patient cannot make a link to someone else's record.
 */
const CVX = 'http://hl7.org/fhir/sid/cvx';

describe('SMART Health Links', () => {
  let t: TestCarnet;
  let patient: string;
  let other: string;
  let lea: string;
  let now = Date.now();
  before(async () => {
    t = await startTestCarnet({ clock: () => new Date(now), env: { CARNET_SHL_PASSCODE_ATTEMPTS: '3' } });
    patient = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Gagnon', given: ['Léa'] }], birthDate: '1980-05-02', gender: 'female' } })).body.id;
    other = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Zed', given: ['Zoé'] }], birthDate: '1950-01-01', gender: 'female' } })).body.id;
    for (const date of ['2021-01-10', '2021-02-07']) {
      const r = await t.request('POST', '/fhir/Immunization', { body: { resourceType: 'Immunization', status: 'completed', patient: { reference: `Patient/${patient}` }, occurrenceDateTime: date, vaccineCode: { coding: [{ system: CVX, code: '207' }], text: 'COVID-19' } } satisfies Immunization });
      assert.equal(r.status, 201);
    }
    await seedDirectory(t);
    await createUser(t, { username: 'lea', password: PASSWORD, displayName: 'Léa Gagnon', role: 'patient', fhirUser: `Patient/${patient}` });
    lea = (await codeFlow(t, { username: 'lea', password: PASSWORD, scope: 'user/*.cruds' })).token?.access_token as string;
    assert.ok(lea, 'the patient logged in');
  });
  after(() => t.close());

  const create = (id: string, parameter: unknown[], token?: string) => t.request('POST', `/fhir/Patient/${id}/$health-link`, { body: { resourceType: 'Parameters', parameter }, ...(token ? { token } : {}) });
  const param = (p: Parameters, name: string) => p.parameter?.find((x) => x.name === name);
  const path = (url: string) => new URL(url).pathname + new URL(url).search;
  const ask = (url: string, body: unknown) => t.request('POST', path(url), { body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, token: null });

  test('the person makes a passcode link to her IPS and card; the recipient decrypts both with the key from the link', async () => {
    const r = await create(patient, [{ name: 'label', valueString: 'Résumé pour le voyage' }, { name: 'passcode', valueString: '4321' }, { name: 'content', valueCode: 'ips' }, { name: 'content', valueCode: 'immunization' }], lea);
    assert.equal(r.status, 201, r.text.slice(0, 400));
    const shlink = param(r.body, 'shlink')?.valueString as string;
    const payload = decodeShlink(shlink);
    assert.equal(payload.flag, 'P');
    assert.equal(payload.label, 'Résumé pour le voyage');
    assert.match(payload.url, /^http:\/\/carnet\.test\/shl\/[\w-]{43}$/, '256 bits in the manifest URL');
    assert.ok(payload.exp && Math.abs(payload.exp * 1000 - (now + 30 * 86_400_000)) < 2000, 'expires in 30 days by default');
    const key = Buffer.from(payload.key, 'base64url');

    const none = await ask(payload.url, { recipient: 'Clinique de Lyon' });
    assert.equal(none.status, 401);
    assert.equal(none.body.remainingAttempts, 3, 'asking without a passcode spends nothing');
    const wrong = await ask(payload.url, { recipient: 'Clinique de Lyon', passcode: '0000' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.remainingAttempts, 2);

    const ok = await ask(payload.url, { recipient: 'Clinique de Lyon', passcode: '4321' });
    assert.equal(ok.status, 200, ok.text.slice(0, 300));
    assert.equal(ok.headers['cache-control'], 'no-store');
    assert.equal(ok.headers['access-control-allow-origin'], '*');
    assert.equal(ok.body.status, 'finalized');
    assert.deepEqual(ok.body.files.map((f: { contentType: string }) => f.contentType), ['application/fhir+json', 'application/smart-health-card']);
    const ips = await decryptFile(ok.body.files[0].embedded, key);
    assert.equal(ips.contentType, 'application/fhir+json');
    const bundle = JSON.parse(ips.text) as Bundle;
    assert.equal(bundle.type, 'document');
    assert.equal((bundle.entry?.[0]?.resource as Composition).type.coding?.[0]?.code, '60591-5');
    assert.equal((bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource as Patient).name?.[0]?.family, 'Gagnon');
    assert.equal(bundle.entry?.filter((e) => e.resource?.resourceType === 'Immunization').length, 2);
    const card = JSON.parse((await decryptFile(ok.body.files[1].embedded, key)).text) as { verifiableCredential: string[] };
    const jwks = (await t.request('GET', '/.well-known/jwks.json', { token: null })).body;
    const vc = await verifyCard(card.verifiableCredential[0] as string, jwks);
    assert.equal(vc.vc.credentialSubject.fhirBundle.entry?.length, 3);
    await assert.rejects(decryptFile(ok.body.files[0].embedded, Buffer.alloc(32)), 'another key does not open it');

    // A recipient that bounds embedded files gets a location, valid for that file only.
    const bounded = await ask(payload.url, { recipient: 'Clinique de Lyon', passcode: '4321', embeddedLengthMax: 10 });
    assert.equal(bounded.status, 200);
    const location = bounded.body.files[0].location as string;
    assert.match(location, /^http:\/\/carnet\.test\/shl\/[\w-]{43}\/files\/0\?ticket=/);
    const file = await t.request('GET', path(location), { token: null });
    assert.equal(file.status, 200);
    assert.match(String(file.headers['content-type']), /application\/jose/);
    assert.equal(JSON.parse((await decryptFile(file.text, key)).text).resourceType, 'Bundle');
    assert.equal((await t.request('GET', path(location).replace('/files/0', '/files/1'), { token: null })).status, 404, 'the ticket is for file 0');

    // Every access is in her access log, with the recipient as given.
    const log = await t.request('GET', `/fhir/Patient/${patient}/$access-log`, { token: lea });
    assert.equal(log.status, 200, log.text.slice(0, 300));
    const accesses = (log.body as Bundle).entry?.map((e) => e.resource as { subtype?: { code?: string }[]; agent?: { who?: { display?: string } }[]; outcome?: string }).filter((a) => a.subtype?.[0]?.code === 'health-link-access') ?? [];
    assert.equal(accesses.length, 5, 'no passcode, wrong passcode, manifest, bounded manifest, the location');
    assert.ok(accesses.every((a) => a.agent?.[0]?.who?.display === 'Clinique de Lyon' || a.agent?.[0]?.who?.display === 'the holder of a manifest location'));
    assert.equal(accesses.filter((a) => a.outcome === '4').length, 2);

    // Her list shows it; she revokes it; the recipient gets 404.
    const list = await t.request('GET', `/fhir/Patient/${patient}/$health-links`, { token: lea });
    assert.equal(list.status, 200);
    const mine = (list.body as Parameters).parameter?.[0]?.part ?? [];
    assert.equal(mine.find((p) => p.name === 'status')?.valueCode, 'active');
    assert.equal(mine.find((p) => p.name === 'accesses')?.valueInteger, 2);
    assert.equal(mine.find((p) => p.name === 'remainingAttempts')?.valueInteger, 2);
    const revoke = await t.request('POST', `/fhir/Patient/${patient}/$health-link-revoke`, { token: lea, body: { resourceType: 'Parameters', parameter: [{ name: 'link', valueString: param(r.body, 'link')?.valueString }] } });
    assert.equal(revoke.status, 200, revoke.text.slice(0, 300));
    assert.equal(param(revoke.body, 'result')?.valueCode, 'revoked');
    assert.equal((await ask(payload.url, { recipient: 'Clinique de Lyon', passcode: '4321' })).status, 404);
    assert.equal((await t.request('GET', path(location), { token: null })).status, 404, 'revocation ends the locations too');
  });

  test('wrong passcodes lock the link; expiry ends it; unknown links look the same', async () => {
    const r = await create(patient, [{ name: 'passcode', valueString: 'secret-9' }, { name: 'expires', valueDateTime: new Date(now + 3_600_000).toISOString() }]);
    assert.equal(r.status, 201, r.text.slice(0, 300));
    const { url } = decodeShlink(param(r.body, 'shlink')?.valueString as string);
    for (const left of [2, 1]) assert.equal((await ask(url, { recipient: 'x', passcode: 'nope' })).body.remainingAttempts, left);
    assert.equal((await ask(url, { recipient: 'x', passcode: 'nope' })).status, 404, 'the third wrong passcode locks it');
    assert.equal((await ask(url, { recipient: 'x', passcode: 'secret-9' })).status, 404, 'locked even for the right one');

    const r2 = await create(patient, [{ name: 'expires', valueDateTime: new Date(now + 3_600_000).toISOString() }, { name: 'longTerm', valueBoolean: true }]);
    const second = decodeShlink(param(r2.body, 'shlink')?.valueString as string);
    assert.equal(second.flag, 'L');
    const open = await ask(second.url, { recipient: 'y' });
    assert.equal(open.status, 200);
    assert.equal(open.body.status, 'can-change');
    now += 2 * 3_600_000;
    assert.equal((await ask(second.url, { recipient: 'y' })).status, 404, 'expired');
    assert.equal((await ask(`http://carnet.test/shl/${'A'.repeat(43)}`, { recipient: 'y' })).status, 404);
    assert.equal((await ask(second.url, {})).status, 400, 'recipient is required');
    now -= 2 * 3_600_000; // back, so the tokens of the other tests stay valid
  });

  test('a direct (U) link is the file itself, fetched with GET ?recipient=', async () => {
    const r = await create(patient, [{ name: 'content', valueCode: 'immunization' }, { name: 'direct', valueBoolean: true }]);
    assert.equal(r.status, 201, r.text.slice(0, 300));
    const payload = decodeShlink(param(r.body, 'shlink')?.valueString as string);
    assert.equal(payload.flag, 'U');
    assert.equal((await t.request('GET', path(payload.url), { token: null })).status, 400, 'recipient is required');
    const file = await t.request('GET', `${path(payload.url)}?recipient=${encodeURIComponent('Pharmacie Roy')}`, { token: null });
    assert.equal(file.status, 200);
    const card = await decryptFile(file.text, Buffer.from(payload.key, 'base64url'));
    assert.equal(card.contentType, 'application/smart-health-card');
    assert.equal((await ask(payload.url, { recipient: 'x' })).status, 400, 'no manifest for a U link');
  });

  test('consent at creation: a patient cannot link someone else’s record; bad requests are 400', async () => {
    const denied = await create(other, [], lea);
    assert.ok([403, 404].includes(denied.status), `${denied.status}`);
    assert.equal((await create('nobody', [])).status, 404);
    assert.equal((await create(patient, [{ name: 'content', valueCode: 'x-ray' }])).status, 400);
    assert.equal((await create(patient, [{ name: 'passcode', valueString: '1234' }, { name: 'direct', valueBoolean: true }])).status, 400);
    assert.equal((await create(patient, [{ name: 'colour', valueString: 'blue' }])).status, 400);
    const empty = await create(other, [{ name: 'content', valueCode: 'laboratory' }]);
    assert.equal(empty.status, 422, 'nothing to share');
    const list = await t.request('GET', `/fhir/Patient/${other}/$health-links`, { token: lea });
    assert.ok([403, 404].includes(list.status));
  });
});
