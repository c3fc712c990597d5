import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { createCarnet } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { openPGlite } from '../../src/storage/pglite-database.js';
import { startTestCarnet, TEST_BOOTSTRAP, type TestCarnet } from '../support/harness.js';
import { codeFlow, createUser, PASSWORD, seedDirectory } from '../support/auth.js';

/**
 * The audit trail: an AuditEvent for every read, search, write, login, failed login, consent change and
 * break-the-glass; the patient's access log; the hash chain and `carnet audit verify` naming a tampered row.
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let offset = 0;
const clock = () => new Date(Date.now() + offset);

describe('audit trail', () => {
  let t: TestCarnet;
  let patient: string;
  let drB: string;
  let privacy: string;
  const pm = 'pa';
  before(async () => {
    t = await startTestCarnet({ clock, env: { CARNET_ACCESS_TOKEN_SECONDS: '86400', CARNET_BREAK_GLASS_MINUTES: '60' } });
    await seedDirectory(t);
    await t.request('PUT', `/fhir/Patient/${pm}`, { body: { resourceType: 'Patient', id: pm, name: [{ family: 'Audit' }] } });
    await t.request('PUT', '/fhir/Observation/oa', { body: { resourceType: 'Observation', id: 'oa', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${pm}` } } });
    await createUser(t, { username: 'owner', password: PASSWORD, displayName: 'Owner', role: 'patient', fhirUser: `Patient/${pm}` });
    patient = (await codeFlow(t, { username: 'owner', password: PASSWORD, scope: 'user/*.cruds', clock })).token?.access_token as string;
    const dr = await createUser(t, { username: 'drb', password: PASSWORD, displayName: 'Dr B', role: 'physician', fhirUser: 'Practitioner/dr-b', practitionerRole: 'PractitionerRole/dr-b-role' });
    drB = (await codeFlow(t, { username: 'drb', password: PASSWORD, totpSecret: dr.totp?.secret as string, scope: 'user/*.cruds', clock })).token?.access_token as string;
    const po = await createUser(t, { username: 'privacy', password: PASSWORD, displayName: 'PO', role: 'privacy-officer' });
    privacy = (await codeFlow(t, { username: 'privacy', password: PASSWORD, totpSecret: po.totp?.secret as string, scope: 'user/*.rs', clock })).token?.access_token as string;
  });
  after(() => t.close());

  const log = async (token: string, patientId = pm, query = '') => {
    const r = await t.request('GET', `/fhir/Patient/${patientId}/$access-log${query}`, { token });
    return { status: r.status, events: ((r.body as Bundle | undefined)?.entry ?? []).map((e) => e.resource as AuditEvent) };
  };
  const detail = (e: AuditEvent, type: string) => e.entity?.flatMap((x) => x.detail ?? []).find((d) => d.type === type)?.valueString;

  test('reads, searches and denials by a professional appear in the patient\'s access log, with who, what, outcome and why', async () => {
    assert.equal((await t.request('GET', '/fhir/Observation/oa', { token: drB })).status, 200);
    assert.equal((await t.request('GET', `/fhir/Observation?subject=Patient/${pm}`, { token: drB })).status, 200);
    const { status, events } = await log(patient);
    assert.equal(status, 200);
    const read = events.find((e) => e.subtype?.[0]?.code === 'read' && e.agent?.[0]?.who?.reference === 'Practitioner/dr-b');
    assert.ok(read, 'the read is listed');
    assert.equal(read.outcome, '0');
    assert.equal(read.action, 'R');
    assert.ok(read.entity?.some((x) => x.what?.reference === `Patient/${pm}`));
    assert.ok(read.entity?.some((x) => x.what?.reference === 'Observation/oa'));
    assert.match(detail(read, 'decision') ?? '', /consent/);
    assert.equal(read.purposeOfEvent?.[0]?.coding?.[0]?.code, 'TREAT');
    assert.ok(read.agent?.some((a) => a.who?.reference === 'Organization/org-b'), 'on behalf of the organisation');
    assert.ok(read.meta?.profile?.[0]?.includes('IHE.BasicAudit.PatientRead'));
    const search = events.find((e) => e.subtype?.[0]?.code === 'search-type' && e.agent?.[0]?.who?.reference === 'Practitioner/dr-b');
    assert.ok(search?.entity?.some((x) => x.query), 'a search records its query');
  });

  test('writes are recorded in the same transaction; failures too; consent changes are recorded', async () => {
    const created = await t.request('POST', '/fhir/Observation', { token: drB, body: { resourceType: 'Observation', status: 'final', code: { text: 'bp' }, subject: { reference: `Patient/${pm}` } } });
    assert.equal(created.status, 201);
    const { rows } = await t.carnet.db.query<{ action: string; patients: string[] }>("SELECT action, patients FROM audit_event WHERE content LIKE $1", [`%Observation/${created.body.id}%`]);
    assert.deepEqual(rows.map((r) => [r.action, r.patients]), [['C', [pm]]], 'committed with the write, no waiting');
    const invalid = await t.request('POST', '/fhir/Observation', { token: drB, body: { resourceType: 'Observation', status: 'nonsense', code: { text: 'x' }, subject: { reference: `Patient/${pm}` } } });
    assert.ok(invalid.status >= 400);
    const consent = await t.request('POST', '/fhir/Consent', { token: patient, body: {
      resourceType: 'Consent', status: 'active', patient: { reference: `Patient/${pm}` }, category: [{ text: 'privacy' }],
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
      provision: { type: 'permit', provision: [{ type: 'deny', actor: [{ role: { text: 'x' }, reference: { reference: 'Organization/org-b' } }] }] },
    } });
    assert.equal(consent.status, 201, consent.text);
    const { events } = await log(patient);
    assert.ok(events.some((e) => e.action === 'C' && e.entity?.some((x) => x.what?.reference === `Consent/${consent.body.id}`)), 'the consent change');
    const failed = await t.carnet.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_event WHERE action = 'C' AND outcome = '4' AND agent LIKE 'user:%'");
    assert.equal(Number(failed.rows[0]?.n), 1, 'the failed write');
    assert.equal((await t.request('GET', '/fhir/Observation/oa', { token: drB })).status, 404, 'the consent now hides the record from org B');
    const denied = (await log(patient)).events.find((e) => e.outcome === '4' && e.subtype?.[0]?.code === 'read');
    assert.ok(denied, 'a denied attempt is listed too');
    assert.match(detail(denied, 'decision') ?? '', /Consent\//);
  });

  test('logins and failed logins are recorded', async () => {
    await codeFlow(t, { username: 'owner', password: 'not the password', scope: 'user/*.rs', clock });
    const { rows } = await t.carnet.db.query<{ action: string; outcome: string }>("SELECT action, outcome FROM audit_event WHERE action IN ('login', 'login-failed') ORDER BY id");
    assert.ok(rows.some((r) => r.action === 'login' && r.outcome === '0'));
    assert.ok(rows.some((r) => r.action === 'login-failed' && r.outcome === '4'));
  });

  test('break the glass: a stated reason, a time limit, flagged records, and the patient is told', async () => {
    const glass = (body: unknown) => t.request('POST', `/fhir/Patient/${pm}/$break-the-glass`, { token: drB, body });
    assert.equal((await glass({ resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'urgent' }] })).status, 400, 'a reason must be stated');
    assert.equal((await t.request('POST', `/fhir/Patient/${pm}/$break-the-glass`, { token: patient, body: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'I am not a professional' }] } })).status, 403);
    const granted = await glass({ resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'Unconscious patient in the emergency room' }] });
    assert.equal(granted.status, 200, granted.text);
    assert.equal((await t.request('GET', '/fhir/Observation/oa', { token: drB })).status, 200, 'the consent is overridden');
    const search = await t.request('GET', `/fhir/Observation?subject=Patient/${pm}`, { token: drB });
    assert.ok((search.body as Bundle).entry?.some((e) => e.resource?.id === 'oa'), 'searches too');
    const { events } = await log(patient);
    const notice = events.find((e) => e.subtype?.[0]?.code === 'operation' && detail(e, 'break-the-glass-reason'));
    assert.ok(notice, 'the patient sees the break-the-glass notice');
    assert.equal(detail(notice, 'break-the-glass-reason'), 'Unconscious patient in the emergency room');
    assert.equal(notice.purposeOfEvent?.[0]?.coding?.[0]?.code, 'ETREAT');
    const flagged = events.find((e) => e.subtype?.[0]?.code === 'read' && e.purposeOfEvent?.[0]?.coding?.[0]?.code === 'ETREAT');
    assert.ok(flagged, 'accesses under the grant are flagged');
    const { rows } = await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_event WHERE break_glass');
    assert.ok(Number(rows[0]?.n) >= 3);
    offset += 61 * 60_000;
    assert.equal((await t.request('GET', '/fhir/Observation/oa', { token: drB })).status, 404, 'the grant ends');
  });

  test('the access log belongs to the patient: nobody else\'s, not for professionals; privacy officers review all', async () => {
    await t.request('PUT', '/fhir/Patient/other', { body: { resourceType: 'Patient', id: 'other' } });
    assert.equal((await log(patient, 'other')).status, 403);
    assert.equal((await log(drB)).status, 403);
    const one = await log(privacy, pm, '?_count=2');
    assert.equal(one.status, 200);
    assert.equal(one.events.length, 2);
    const all = await t.request('GET', '/auth/admin/audit?_count=5', { token: privacy });
    assert.equal(all.status, 200);
    assert.equal(all.body.entry.length, 5);
    const next = all.body.link.find((l: { relation: string }) => l.relation === 'next').url.replace('http://carnet.test', '');
    const page2 = await t.request('GET', next, { token: privacy });
    assert.ok(page2.body.entry.every((e: { resource: AuditEvent }) => !all.body.entry.some((f: { resource: AuditEvent }) => f.resource.id === e.resource.id)), 'pages do not repeat');
    assert.equal((await t.request('GET', '/auth/admin/audit', { token: drB })).status, 403);
  });

  test('the chain verifies; a row changed with SQL is named as the first broken link', async () => {
    const verify = async () => (await t.request('GET', '/auth/admin/audit/verify', { token: privacy })).body;
    const intact = await verify();
    assert.equal(intact.ok, true, JSON.stringify(intact));
    assert.ok(intact.records > 10);
    const outcomeOf5 = async () => (await t.carnet.db.query<{ outcome: string }>('SELECT outcome FROM audit_event WHERE chain_seq = 5')).rows[0]?.outcome;
    const sealed = await outcomeOf5();
    assert.ok(sealed !== undefined);
    // A value the row does not hold: were the rule missing, the update would change the row and break the chain.
    await t.carnet.db.query('UPDATE audit_event SET outcome = $1 WHERE chain_seq = 5', [sealed === '8' ? '4' : '8']);
    assert.equal(await outcomeOf5(), sealed, 'sealed rows ignore updates (rule)');
    assert.equal((await verify()).ok, true, 'the chain is still intact');
    const victim = (await t.carnet.db.query<{ id: string; uid: string }>('SELECT id, uid FROM audit_event WHERE chain_seq = 7')).rows[0];
    await t.carnet.db.query('DROP RULE audit_event_sealed ON audit_event');
    await t.carnet.db.query("UPDATE audit_event SET agent = 'user:someone-else' WHERE chain_seq = 7");
    const broken = await verify();
    assert.equal(broken.ok, false);
    assert.equal(broken.brokenAt.chainSeq, 7);
    assert.equal(String(broken.brokenAt.id), String(victim?.id));
    assert.equal(broken.brokenAt.uid, victim?.uid);
  });
});

describe('carnet audit verify (the command)', () => {
  test('exit 0 on an intact chain; exit 1 naming the tampered record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-audit-'));
    try {
      const env = { CARNET_DATA_DIR: dir, LOG_LEVEL: 'silent', CARNET_BASE_URL: 'http://carnet.test', CARNET_MLLP_PORT: 'off', CARNET_BOOTSTRAP_CLIENT_ID: TEST_BOOTSTRAP.id, CARNET_BOOTSTRAP_CLIENT_SECRET: TEST_BOOTSTRAP.secret };
      const carnet = await createCarnet(loadConfig(env), { db: await openPGlite(dir), log: pino({ level: 'silent' }) });
      const form = `grant_type=client_credentials&scope=${encodeURIComponent('system/*.cruds')}`;
      const token = (await carnet.server.inject({ method: 'POST', url: '/auth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_BOOTSTRAP.id}:${TEST_BOOTSTRAP.secret}`).toString('base64')}` }, payload: form })).json().access_token;
      for (let i = 0; i < 5; i++) await carnet.server.inject({ method: 'GET', url: `/fhir/Patient?name=x${i}`, headers: { authorization: `Bearer ${token}` } });
      await carnet.close();
      const run = () => {
        try {
          return { code: 0, out: execFileSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'carnet.js'), 'audit', 'verify'], { env: { ...process.env, ...env, DATABASE_URL: '' }, encoding: 'utf8' }) };
        } catch (error) {
          const e = error as { status: number; stdout: string };
          return { code: e.status, out: e.stdout };
        }
      };
      const ok = run();
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /audit trail intact: \d+ records/);
      const db = await openPGlite(dir);
      await db.query('DROP RULE audit_event_sealed ON audit_event');
      const { rows } = await db.query<{ id: string }>("UPDATE audit_event SET agent = 'client:forged' WHERE chain_seq = 3 RETURNING id");
      await db.close();
      const broken = run();
      assert.equal(broken.code, 1);
      assert.match(broken.out, new RegExp(`BROKEN at record id ${rows[0]?.id} `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
