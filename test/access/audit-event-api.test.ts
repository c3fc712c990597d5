import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { clientSecretToken, codeFlow, createUser, PASSWORD, registerClient, seedDirectory } from '../support/auth.js';
import { DICOM_DCM } from '../../src/fhir/code-systems.js';

/**
 * IHE RESTful ATNA over Carnet's own trail: ITI-81 (`GET AuditEvent?…`, `GET AuditEvent/{id}`) for privacy
 * officers and authorised systems only; ITI-20 (`POST AuditEvent`) joins the same trail and hash chain;
 * the trail is append-only; each search is itself audited.
 */
describe('AuditEvent is the audit trail (ITI-81, ITI-20)', () => {
  let t: TestCarnet;
  let drB: string;
  let privacy: string;
  let siem: string;
  let ehr: string;
  const pm = 'atna-p';
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_ACCESS_TOKEN_SECONDS: '86400' } });
    await seedDirectory(t);
    await t.request('PUT', `/fhir/Patient/${pm}`, { body: { resourceType: 'Patient', id: pm, name: [{ family: 'Atna' }] } });
    await t.request('PUT', '/fhir/Observation/atna-o', { body: { resourceType: 'Observation', id: 'atna-o', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${pm}` } } });
    const dr = await createUser(t, { username: 'drb', password: PASSWORD, displayName: 'Dr Bélanger', role: 'physician', fhirUser: 'Practitioner/dr-b', practitionerRole: 'PractitionerRole/dr-b-role' });
    drB = (await codeFlow(t, { username: 'drb', password: PASSWORD, totpSecret: dr.totp?.secret as string, scope: 'user/*.cruds' })).token?.access_token as string;
    const po = await createUser(t, { username: 'privacy', password: PASSWORD, displayName: 'PO', role: 'privacy-officer' });
    privacy = (await codeFlow(t, { username: 'privacy', password: PASSWORD, totpSecret: po.totp?.secret as string, scope: 'user/*.rs' })).token?.access_token as string;
    await registerClient(t, { id: 'siem', name: 'SIEM', kind: 'confidential', secret: 'siem-secret-0123456789', scope: 'system/AuditEvent.rs' });
    siem = await clientSecretToken(t, 'siem', 'siem-secret-0123456789', 'system/AuditEvent.rs');
    await registerClient(t, { id: 'ehr', name: 'EHR', kind: 'confidential', secret: 'ehr-secret-0123456789', scope: 'system/*.cruds' });
    ehr = await clientSecretToken(t, 'ehr', 'ehr-secret-0123456789', 'system/*.cruds');
    assert.equal((await t.request('GET', '/fhir/Observation/atna-o', { token: drB })).status, 200);
  });
  after(() => t?.close());

  const search = async (query: string, token = privacy) => {
    const r = await t.request('GET', `/fhir/AuditEvent${query}`, { token });
    return { status: r.status, body: r.body as Bundle<AuditEvent>, events: ((r.body as Bundle<AuditEvent>)?.entry ?? []).map((e) => e.resource as AuditEvent) };
  };
  const byDrB = (e: AuditEvent) => e.agent?.[0]?.who?.reference === 'Practitioner/dr-b';

  test('a privacy officer searches the trail by patient, entity, agent, outcome, subtype and date', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const all = await search(`?patient=${pm}&date=ge${today}&date=le${today}`);
    assert.equal(all.status, 200);
    assert.equal(all.body.type, 'searchset');
    assert.equal(all.body.total, all.events.length);
    const read = all.events.find((e) => byDrB(e) && e.subtype?.[0]?.code === 'read');
    assert.ok(read, 'the physician\'s read is in the trail');
    const narrowed = await search(`?patient=Patient/${pm}&entity=Observation/atna-o&agent=Practitioner/dr-b&outcome=0&subtype=read&action=R&agent-name=dr%20b`);
    assert.deepEqual(narrowed.events.map((e) => e.id), [read.id]);
    assert.equal((await search(`?patient=${pm}&agent=Practitioner/nobody`)).events.length, 0);
    assert.equal((await search(`?patient=${pm}&date=lt2000-01-01`)).events.length, 0);
    const one = await t.request('GET', `/fhir/AuditEvent/${read.id}`, { token: privacy });
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, read);
    assert.equal((await t.request('GET', '/fhir/AuditEvent/not-a-record', { token: privacy })).status, 404);
    const compartment = await t.request('GET', `/fhir/Patient/${pm}/AuditEvent?subtype=read`, { token: privacy });
    assert.ok((compartment.body as Bundle).entry?.some((e) => e.resource?.id === read.id));
    const posted = await t.request('POST', '/fhir/AuditEvent/_search', { token: privacy, body: `patient=${pm}&subtype=read`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(posted.status, 200);
    assert.ok((posted.body as Bundle).entry?.some((e) => e.resource?.id === read.id));
  });

  test('pages follow the keyset cursor, newest first, with no record twice', async () => {
    const first = await search(`?patient=${pm}&_count=1`);
    assert.equal(first.events.length, 1);
    assert.equal(first.body.total, undefined, 'more than one page: no total');
    const next = first.body.link?.find((l) => l.relation === 'next')?.url as string;
    assert.ok(next?.includes('_cursor='));
    const second = await t.request('GET', next.slice(next.indexOf('/fhir/')), { token: privacy });
    const ids = [first.events[0]?.id, ((second.body as Bundle).entry ?? [])[0]?.resource?.id];
    assert.equal(new Set(ids).size, 2);
    const times = [first.events[0]?.recorded, (((second.body as Bundle).entry ?? [])[0]?.resource as AuditEvent | undefined)?.recorded] as string[];
    assert.ok(times[0] >= times[1], 'newest first');
  });

  test('only privacy officers and authorised systems: others get a 403 OperationOutcome; bad parameters a 400', async () => {
    const refused = await search(`?patient=${pm}`, drB);
    assert.equal(refused.status, 403);
    assert.equal((refused.body as unknown as { resourceType: string }).resourceType, 'OperationOutcome');
    assert.equal((await search('', ehr)).status, 403, 'system/*.cruds does not reach the trail');
    assert.equal((await t.request('GET', '/fhir/AuditEvent/x', { token: drB })).status, 403);
    assert.equal((await search(`?patient=${pm}`, siem)).status, 200, 'system/AuditEvent.rs does');
    assert.equal((await search('?site=x')).status, 400);
    assert.equal((await search('?date=2026-02-30')).status, 400);
  });

  test('the search itself is audited, naming the patient it asked about', async () => {
    await search(`?patient=${pm}&subtype=read`);
    const own = await search(`?patient=${pm}&subtype=search-type`);
    const mine = own.events.find((e) => e.agent?.[0]?.role?.[0]?.coding?.[0]?.code === 'privacy-officer');
    assert.ok(mine, 'the privacy officer\'s query is in the trail');
    assert.ok(mine.entity?.some((x) => x.what?.reference === `Patient/${pm}`));
  });

  test('ITI-20: another system\'s AuditEvent joins the trail and its chain; the trail is append-only', async () => {
    const event: AuditEvent = {
      resourceType: 'AuditEvent', id: 'chosen-by-client',
      type: { system: DICOM_DCM, code: '110110', display: 'Patient Record' }, action: 'R', recorded: '2026-12-01T10:00:00Z', outcome: '0',
      agent: [{ who: { display: 'EHR user 7' }, requestor: true, network: { address: '192.0.2.7', type: '2' } }],
      source: { observer: { display: 'Clinic EHR' } },
      entity: [{ what: { reference: `Patient/${pm}` } }],
    };
    const created = await t.request('POST', '/fhir/AuditEvent', { token: ehr, body: event });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    assert.notEqual(id, 'chosen-by-client');
    assert.match(String(created.headers.location), new RegExp(`/fhir/AuditEvent/${id}$`));
    const found = await search(`?patient=${pm}&address=192.0.2.7&type=${DICOM_DCM}|110110&date=2026-12-01`);
    assert.deepEqual(found.events.map((e) => e.id), [id], 'one search sees Carnet\'s records and the EHR\'s');
    assert.equal((await search(`?patient=${pm}&agent-name=ehr%20user`)).events.length, 1);
    assert.equal((await t.request('GET', `/fhir/AuditEvent/${id}`, { token: siem })).body.source.observer.display, 'Clinic EHR');
    const before = (await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_event WHERE uid <> \'\'')).rows[0]?.n as number;
    const invalid = await t.request('POST', '/fhir/AuditEvent', { token: ehr, body: { ...event, recorded: undefined } });
    assert.equal(invalid.status, 400);
    const afterRows = (await t.carnet.db.query<{ n: number; mine: number }>(`SELECT count(*)::int AS n, count(*) FILTER (WHERE uid = $1)::int AS mine FROM audit_event`, [id])).rows[0];
    assert.equal(afterRows?.mine, 1);
    assert.equal(afterRows?.n, before + 1, 'only the refused attempt\'s own record was added');
    for (const [method, path] of [['PUT', `AuditEvent/${id}`], ['DELETE', `AuditEvent/${id}`], ['PATCH', `AuditEvent/${id}`], ['GET', `AuditEvent/${id}/_history`], ['GET', 'AuditEvent/_history']] as const) {
      assert.equal((await t.request(method, `/fhir/${path}`, { token: privacy, body: method === 'GET' || method === 'DELETE' ? undefined : event })).status, 405, `${method} ${path}`);
    }
    const metadata = (await t.request('GET', '/fhir/metadata', { token: null })).body as { rest: { resource: { type: string; interaction: { code: string }[]; searchParam: { name: string }[] }[] }[] };
    const audit = metadata.rest[0]?.resource.find((r) => r.type === 'AuditEvent');
    assert.deepEqual(audit?.interaction.map((i) => i.code), ['read', 'search-type', 'create'], 'the CapabilityStatement says what the trail allows');
    assert.ok(audit?.searchParam.some((p) => p.name === 'agent-name') && !audit.searchParam.some((p) => p.name === 'code'));
    const verify = await t.request('GET', '/auth/admin/audit/verify', { token: privacy });
    assert.equal(verify.body.ok, true, JSON.stringify(verify.body));
  });
});
