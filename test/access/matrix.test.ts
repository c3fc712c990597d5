import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Consent, Resource } from '@medplum/fhirtypes';
import { decodeJwt } from 'jose';
import { decideRead, NO_CONSENT } from '../../src/access/policy.js';
import { factsOfRow } from '../../src/fhir/access.js';
import { statusOf } from '../../src/fhir/outcomes.js';
import type { Principal } from '../../src/access/principal.js';
import { roleClass } from '../../src/access/roles.js';
import { principalOf } from '../../src/auth/tokens.js';
import { consentFacts } from '../../src/storage/consent-store.js';
import { readCurrent } from '../../src/storage/resource-store.js';
import { executeWrites } from '../../src/fhir/write/engine.js';
import { withRetries } from '../../src/storage/database.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { clientSecretToken, codeFlow, createUser, PASSWORD, professionalToken, registerClient, seedDirectory } from '../support/auth.js';

/**
 * No leak, on every path: roles × consent states × resource categories × API paths. For each principal and
 * each state of the patient's consent, every path (read, vread, history, search with totals and paging,
 * _include, _revinclude, chains, _has, compartments, $everything, batch, transaction) must show exactly what
 * the policy engine permits (itself proven against a reference model), and never more.
 */
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const actor = (reference: string) => ({ role: { text: 'actor' }, reference: { reference } });
const STATES: Record<string, Consent['provision'] | undefined> = {
  'no consent': undefined,
  'opt-out of sharing': { type: 'deny' },
  'exclude organisation B': { type: 'permit', provision: [{ type: 'deny', actor: [actor('Organization/org-b')] }] },
  'share only with organisation A': { type: 'deny', provision: [{ type: 'permit', actor: [actor('Organization/org-a')] }] },
  'hide one document': { type: 'permit', provision: [{ type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/d-hide' } }] }] },
  'open mental health to all': { type: 'permit', provision: [{ type: 'permit', securityLabel: [{ system: ACT, code: 'MH' }] }] },
  'hide mental health from everyone': { type: 'permit', provision: [{ type: 'deny', securityLabel: [{ system: ACT, code: 'MH' }] }] },
};

const PM = 'pm';
const RESOURCES = ['Patient/pm', 'Encounter/enc', 'Observation/o-norm', 'Observation/o-mh', 'Condition/c-b', 'DocumentReference/d-hide', 'MedicationRequest/mr', 'Patient/pz', 'Observation/oz', 'Organization/org-a', 'Practitioner/dr-a'];

describe('access matrix: roles × consent states × categories × every API path', () => {
  let t: TestCarnet;
  const tokens = new Map<string, string>();
  const principals = new Map<string, Principal>();
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_ACCESS_TOKEN_SECONDS: '7200' } });
    await seedDirectory(t);
    await registerClient(t, { id: 'sys-a', name: 'EMR A', kind: 'confidential', secret: 'sys-a-secret-0123456789', scope: 'system/*.cruds', organization: 'Organization/org-a' });
    await registerClient(t, { id: 'sys-b', name: 'EMR B', kind: 'confidential', secret: 'sys-b-secret-0123456789', scope: 'system/*.cruds', organization: 'Organization/org-b' });
    // Each organisation's records, with fixed ids: written as an import is (the write engine, the
    // organisation as author), since a client-chosen id is for platform clients (policy.ts mayChooseId).
    const sysA = 'Organization/org-a';
    const sysB = 'Organization/org-b';
    const put = async (author: string, resource: Resource) => {
      const [r] = await withRetries(t.carnet.db, (tx) => executeWrites(tx, t.carnet.ctx, [{ kind: 'update', resourceType: resource.resourceType, id: resource.id as string, resource }], { transaction: false, author }));
      assert.ok(r?.status === 201 || r?.status === 200);
    };
    const subject = (id: string) => ({ reference: `Patient/${id}` });
    await put(sysA, { resourceType: 'Patient', id: PM, name: [{ family: 'Martin', given: ['Léa'] }] });
    await put(sysB, { resourceType: 'Patient', id: 'pz', name: [{ family: 'Zed' }] });
    await put(sysA, { resourceType: 'Encounter', id: 'enc', status: 'finished', class: { code: 'AMB' }, subject: subject(PM) });
    await put(sysA, { resourceType: 'Observation', id: 'o-norm', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] }, subject: subject(PM), encounter: { reference: 'Encounter/enc' }, performer: [{ reference: 'Practitioner/dr-a' }] });
    await put(sysA, { resourceType: 'Observation', id: 'o-mh', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '44261-6' }] }, subject: subject(PM), encounter: { reference: 'Encounter/enc' } });
    await put(sysB, { resourceType: 'Condition', id: 'c-b', subject: subject(PM), code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] } });
    await put(sysA, { resourceType: 'DocumentReference', id: 'd-hide', status: 'current', subject: subject(PM), content: [{ attachment: { contentType: 'text/plain', data: 'aGVsbG8=' } }] });
    await put(sysB, { resourceType: 'MedicationRequest', id: 'mr', status: 'active', intent: 'order', subject: subject(PM), medicationCodeableConcept: { text: 'metformine' } });
    await put(sysB, { resourceType: 'Observation', id: 'oz', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] }, subject: subject('pz') });
    const mh = await t.request('GET', '/fhir/Observation/o-mh');
    assert.deepEqual(mh.body.meta.security.map((s: { code: string }) => s.code), ['MH', 'R'], 'labelled at write time');

    const rp = (await t.request('POST', '/fhir/RelatedPerson', { body: { resourceType: 'RelatedPerson', patient: subject(PM), active: true } })).body.id;
    await createUser(t, { username: 'lea', password: PASSWORD, displayName: 'Léa', role: 'patient', fhirUser: `Patient/${PM}` });
    await createUser(t, { username: 'mom', password: PASSWORD, displayName: 'Mom', role: 'proxy', fhirUser: `RelatedPerson/${rp}` });
    await createUser(t, { username: 'res', password: PASSWORD, displayName: 'R', role: 'researcher' });
    const userToken = async (username: string, scope: string) => (await codeFlow(t, { username, password: PASSWORD, scope })).token?.access_token as string;
    tokens.set('patient', await userToken('lea', 'user/*.cruds'));
    tokens.set('proxy', await userToken('mom', 'user/*.cruds'));
    tokens.set('patient app (patient/Observation.rs)', await userToken('lea', 'launch/patient patient/Observation.rs'));
    tokens.set('researcher', await userToken('res', 'user/*.rs'));
    tokens.set('physician A (author)', await professionalToken(t, 'dra', 'physician', 'dr-a'));
    tokens.set('nurse A', await professionalToken(t, 'nursea', 'nurse', 'nurse-a', 'user/*.rs'));
    tokens.set('physician B', await professionalToken(t, 'drb', 'physician', 'dr-b'));
    tokens.set('pharmacist', await professionalToken(t, 'pharmacien', 'pharmacist', 'pharm', 'user/*.rs'));
    tokens.set('system B', await clientSecretToken(t, 'sys-b', 'sys-b-secret-0123456789', 'system/*.rs'));
    tokens.set('platform', await t.systemToken());
    for (const [name, token] of tokens) principals.set(name, principalOf(decodeJwt(token) as unknown as Parameters<typeof principalOf>[0]) as Principal);
  });
  after(() => t.close());

  /** What the engine permits this principal to see now (the oracle). */
  async function expected(principal: Principal, action: 'read' | 'search', refs: readonly string[] = RESOURCES): Promise<Map<string, { permit: boolean; status: number | undefined }>> {
    const out = new Map<string, { permit: boolean; status: number | undefined }>();
    for (const ref of refs) {
      const [type, id] = ref.split('/') as [string, string];
      const row = await readCurrent(t.carnet.db, type, id);
      assert.ok(row);
      const facts = factsOfRow(row);
      const cls = roleClass(principal.role);
      const consent = facts.patientId && (cls === 'professional' || (cls === 'system' && !principal.platform))
        ? await consentFacts(t.carnet.db, facts.patientId, principal.subject, t.carnet.ctx.clock()) : NO_CONSENT;
      const d = decideRead(principal, facts, consent, t.carnet.ctx.clock(), action);
      out.set(ref, { permit: d.permit, status: d.denial ? statusOf(d.denial) : undefined });
    }
    return out;
  }

  const ids = (b: Bundle, mode?: string) => (b.entry ?? []).filter((e) => !mode || e.search?.mode === mode).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();
  const visibleOf = (v: Map<string, { permit: boolean }>, filter: (ref: string) => boolean) => [...v].filter(([ref, d]) => d.permit && filter(ref)).map(([ref]) => ref).sort();

  /** The patient's one Consent (created with POST: the server gives its id), changed with PUT, or deleted. */
  let consentId: string | undefined;
  async function setState(provision: Consent['provision'] | undefined): Promise<void> {
    const token = tokens.get('patient') as string;
    if (!provision) {
      if (!consentId) return;
      const r = await t.request('DELETE', `/fhir/Consent/${consentId}`, { token });
      assert.ok(r.status === 204, r.text);
      consentId = undefined;
      return;
    }
    const consent: Consent = {
      resourceType: 'Consent', ...(consentId ? { id: consentId } : {}), status: 'active', patient: { reference: `Patient/${PM}` },
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], provision,
      policyRule: { coding: [{ system: ACT, code: provision.type === 'deny' ? 'OPTOUT' : 'OPTIN' }] },
    };
    const r = consentId ? await t.request('PUT', `/fhir/Consent/${consentId}`, { body: consent, token }) : await t.request('POST', '/fhir/Consent', { body: consent, token });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    consentId = r.body.id;
  }

  for (const [state, provision] of Object.entries(STATES)) {
    test(`consent state: ${state}`, async () => {
      await setState(provision);
      for (const [name, token] of tokens) {
        const principal = principals.get(name) as Principal;
        const reads = await expected(principal, 'read');
        const searches = await expected(principal, 'search');
        const get = (url: string) => t.request('GET', url, { token });
        const label = (what: string) => `${state} / ${name} / ${what}`;

        // read, vread, instance history
        for (const [ref, d] of reads) {
          const read = await get(`/fhir/${ref}`);
          assert.equal(read.status, d.permit ? 200 : d.status, label(`read ${ref}`));
          const vread = await get(`/fhir/${ref}/_history/1`);
          assert.equal(vread.status, d.permit ? 200 : d.status, label(`vread ${ref}`));
          const history = await get(`/fhir/${ref}/_history`);
          assert.equal(history.status, d.permit ? 200 : d.status, label(`history ${ref}`));
        }
        // search per type, totals, counts, paging
        for (const type of ['Patient', 'Observation', 'Condition', 'DocumentReference', 'MedicationRequest', 'Encounter']) {
          const want = visibleOf(searches, (ref) => ref.startsWith(`${type}/`));
          const r = await get(`/fhir/${type}?_total=accurate`);
          if (r.status === 403) {
            assert.equal(want.length, 0, label(`search ${type} refused though something is visible`));
            continue;
          }
          assert.equal(r.status, 200, label(`search ${type}`));
          assert.deepEqual(ids(r.body), want, label(`search ${type}`));
          assert.equal(r.body.total, want.length, label(`_total ${type}`));
          assert.equal((await get(`/fhir/${type}?_summary=count`)).body.total, want.length, label(`_summary=count ${type}`));
          const paged: string[] = [];
          let next: string | undefined = `/fhir/${type}?_count=1`;
          while (next) {
            const page = await get(next);
            paged.push(...ids(page.body));
            const link = (page.body as Bundle).link?.find((l) => l.relation === 'next')?.url;
            next = link ? link.replace('http://carnet.test', '') : undefined;
          }
          assert.deepEqual(paged.sort(), want, label(`paging ${type}`));
          const history = await get(`/fhir/${type}/_history?_count=100`);
          assert.deepEqual([...new Set(ids(history.body))].sort(), want, label(`type history ${type}`));
        }
        const obs = await get('/fhir/Observation?_include=Observation:encounter&_include=Observation:performer');
        if (obs.status === 200) {
          const all = ids(obs.body);
          for (const ref of all) assert.ok(searches.get(ref)?.permit ?? true, label(`_include leaked ${ref}`));
          assert.deepEqual(ids(obs.body, 'include'), visibleOf(searches, (ref) => ['Encounter/enc', 'Practitioner/dr-a'].includes(ref)).filter(() => ids(obs.body, 'match').some((m) => m === 'Observation/o-norm' || m === 'Observation/o-mh')).filter((ref) => ref !== 'Practitioner/dr-a' || ids(obs.body, 'match').includes('Observation/o-norm')), label('_include'));
        }
        const pats = await get('/fhir/Patient?_revinclude=Observation:subject&_revinclude=Condition:subject&_revinclude=DocumentReference:subject');
        if (pats.status === 200) {
          const matches = ids(pats.body, 'match');
          const inc = ids(pats.body, 'include');
          const expectInc = visibleOf(searches, (ref) => /^(Observation|Condition|DocumentReference)\//.test(ref)).filter((ref) => (ref === 'Observation/oz' ? matches.includes('Patient/pz') : matches.includes(`Patient/${PM}`)));
          assert.deepEqual(inc, expectInc, label('_revinclude'));
        }
        const chain = await get('/fhir/Observation?subject.family=Martin');
        if (chain.status === 200) {
          const want = searches.get(`Patient/${PM}`)?.permit ? visibleOf(searches, (ref) => ['Observation/o-norm', 'Observation/o-mh'].includes(ref)) : [];
          assert.deepEqual(ids(chain.body), want, label('chain'));
        }
        const has = await get('/fhir/Patient?_has:Observation:subject:code=44261-6');
        if (has.status === 200) {
          const want = searches.get(`Patient/${PM}`)?.permit && searches.get('Observation/o-mh')?.permit ? [`Patient/${PM}`] : [];
          assert.deepEqual(ids(has.body), want, label('_has'));
        }
        const compartment = await get(`/fhir/Patient/${PM}/Observation`);
        if (compartment.status === 200) assert.deepEqual(ids(compartment.body), visibleOf(searches, (ref) => ['Observation/o-norm', 'Observation/o-mh'].includes(ref)), label('compartment'));
        const everything = await get(`/fhir/Patient/${PM}/$everything`);
        if (everything.status === 200) {
          const returned = ids(everything.body);
          for (const [ref, d] of await expected(principal, 'search', returned)) assert.ok(d.permit, label(`$everything leaked ${ref}`));
          const compartmentRefs = RESOURCES.filter((ref) => !['Patient/pz', 'Observation/oz', 'Organization/org-a', 'Practitioner/dr-a'].includes(ref));
          assert.deepEqual(ids(everything.body, 'match').filter((ref) => RESOURCES.includes(ref)), visibleOf(searches, (ref) => compartmentRefs.includes(ref)), label('$everything'));
        } else {
          assert.ok(!searches.get(`Patient/${PM}`)?.permit || everything.status === 403, label(`$everything ${everything.status}`));
        }
        // batch and transaction reads
        const batch = await t.request('POST', '/fhir', { token, body: { resourceType: 'Bundle', type: 'batch', entry: RESOURCES.map((url) => ({ request: { method: 'GET', url } })) } });
        assert.equal(batch.status, 200, label('batch'));
        (batch.body as Bundle).entry?.forEach((e, i) => {
          const d = reads.get(RESOURCES[i] as string);
          assert.equal(e.response?.status?.split(' ')[0], String(d?.permit ? 200 : d?.status), label(`batch ${RESOURCES[i]}`));
        });
        const hidden = [...reads].find(([, d]) => !d.permit)?.[0];
        if (hidden) {
          const tx = await t.request('POST', '/fhir', { token, body: { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: hidden } }] } });
          assert.notEqual(tx.status, 200, label(`transaction read of ${hidden}`));
          assert.ok(!tx.text.includes('"resourceType":"Observation","id"'), label('transaction leaked content'));
        }
      }
    });
  }

  test('spot checks that state the rules in words', async () => {
    await setState(undefined);
    const read = (who: string, ref: string) => t.request('GET', `/fhir/${ref}`, { token: tokens.get(who) as string }).then((r) => r.status);
    assert.equal(await read('physician A (author)', 'Observation/o-mh'), 200, 'the writing organisation sees its sensitive result');
    assert.equal(await read('physician B', 'Observation/o-mh'), 404, 'another organisation does not, until the patient opens it');
    assert.equal(await read('physician B', 'Observation/o-norm'), 200);
    assert.equal(await read('pharmacist', 'DocumentReference/d-hide'), 403, 'outside pharmacy practice');
    assert.equal(await read('researcher', 'Observation/o-norm'), 403, 'researchers see nothing identified');
    assert.equal(await read('patient', 'Observation/o-mh'), 200, 'a patient sees their whole record');
    assert.equal(await read('patient', 'Observation/oz'), 404, 'and nobody else\'s');
    assert.equal(await read('patient app (patient/Observation.rs)', 'Condition/c-b'), 403, 'scopes bound the app');
    await setState(STATES['opt-out of sharing']);
    assert.equal(await read('physician A (author)', 'Patient/pm'), 404);
    assert.equal(await read('platform', 'Patient/pm'), 200, 'the platform client is not filtered (and is audited)');
    await setState(STATES['open mental health to all']);
    assert.equal(await read('physician B', 'Observation/o-mh'), 200);
  });

  test('writes: the patient side manages consents; professionals write data but not privacy consents; hidden means unchangeable', async () => {
    await setState(STATES['exclude organisation B']);
    const consent = { resourceType: 'Consent', status: 'active', patient: { reference: `Patient/${PM}` }, scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] }, category: [{ text: 'privacy' }], provision: { type: 'permit' }, policyRule: { coding: [{ system: ACT, code: 'OPTIN' }] } };
    assert.equal((await t.request('POST', '/fhir/Consent', { body: consent, token: tokens.get('proxy') as string })).status, 201, 'a proxy manages the consents of the child');
    assert.equal((await t.request('POST', '/fhir/Consent', { body: consent, token: tokens.get('physician A (author)') as string })).status, 403, 'a professional may not open records to themselves');
    const unenforceable = { ...consent, provision: { type: 'permit', provision: [{ type: 'deny', code: [{ text: 'x' }] }] } };
    assert.equal((await t.request('POST', '/fhir/Consent', { body: unenforceable, token: tokens.get('patient') as string })).status, 422);
    const obs = { resourceType: 'Observation', status: 'final', code: { text: 'note' }, subject: { reference: `Patient/${PM}` } };
    assert.equal((await t.request('POST', '/fhir/Observation', { body: obs, token: tokens.get('physician B') as string })).status, 201, 'data still flows in from an excluded organisation');
    const change = await t.request('PUT', '/fhir/Observation/o-norm', { body: { resourceType: 'Observation', id: 'o-norm', status: 'amended', code: { text: 'x' }, subject: { reference: `Patient/${PM}` } }, token: tokens.get('physician B') as string });
    assert.equal(change.status, 404, 'what one cannot see, one cannot change');
    assert.equal((await t.request('POST', '/fhir/Observation', { body: { ...obs, subject: { reference: 'Patient/pz' } }, token: tokens.get('patient') as string })).status, 403, 'a patient writes only into their own record');
    assert.equal((await t.request('POST', '/fhir/Organization', { body: { resourceType: 'Organization', name: 'x' }, token: tokens.get('researcher') as string })).status, 403);
    assert.equal((await t.request('DELETE', '/fhir/Observation/o-norm', { token: tokens.get('pharmacist') as string })).status, 403);
  });
});
