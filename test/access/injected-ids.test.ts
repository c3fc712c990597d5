import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { codeFlow, createUser, PASSWORD, seedDirectory } from '../support/auth.js';
import { oru } from '../hl7v2/messages.js';

/**
 * The injected clock and id generator reach every record the server writes on its own: the AuditEvents of
 * FHIR interactions, of logins, of refused tokens and of the other routes, of HL7 v2 messages, and
 * break-the-glass grants.
 */
describe('the injected clock and id generator', () => {
  let t: TestCarnet;
  let n = 0;
  const newId = () => `gen-${++n}`;
  // Ten days ahead: a record stamped by the system clock would stand out.
  const ahead = 10 * 86_400_000;
  const clock = () => new Date(Date.now() + ahead);
  before(async () => {
    t = await startTestCarnet({ clock, newId, env: { CARNET_ACCESS_TOKEN_SECONDS: '86400' } });
    await seedDirectory(t);
  });
  after(() => t.close());

  const rows = async (action: string) => (await t.carnet.db.query<{ uid: string; recorded: Date | string }>(
    'SELECT uid, recorded FROM audit_event WHERE action = $1 ORDER BY id', [action])).rows;
  const fromInjected = (row: { uid: string; recorded: Date | string } | undefined) => {
    assert.ok(row, 'a record');
    assert.match(row.uid, /^gen-\d+$/);
    assert.ok(new Date(row.recorded).getTime() > Date.now() + ahead / 2, `recorded ${String(row.recorded)}`);
  };

  test('FHIR interactions, logins, refused tokens and break-the-glass grants', async () => {
    assert.equal((await t.request('PUT', '/fhir/Patient/inj', { body: { resourceType: 'Patient', id: 'inj' } })).status, 201);
    assert.equal((await t.request('GET', '/fhir/Patient/inj')).status, 200);
    fromInjected((await rows('R')).at(-1));
    await createUser(t, { username: 'owner', password: PASSWORD, displayName: 'Owner', role: 'patient', fhirUser: 'Patient/inj' });
    await codeFlow(t, { username: 'owner', password: 'not the password', scope: 'user/*.rs', clock });
    fromInjected((await rows('login-failed')).at(-1));
    await codeFlow(t, { username: 'owner', password: PASSWORD, scope: 'user/*.rs', clock });
    fromInjected((await rows('login')).at(-1));
    assert.equal((await t.request('GET', '/fhir/Patient/inj', { token: 'forged.token.value' })).status, 401);
    const refused = (await t.carnet.db.query<{ uid: string; recorded: Date | string }>("SELECT uid, recorded FROM audit_event WHERE content LIKE '%token-rejected%' ORDER BY id DESC LIMIT 1")).rows[0];
    fromInjected(refused);
    const dr = await createUser(t, { username: 'drinj', password: PASSWORD, displayName: 'Dr', role: 'physician', fhirUser: 'Practitioner/dr-b', practitionerRole: 'PractitionerRole/dr-b-role' });
    const token = (await codeFlow(t, { username: 'drinj', password: PASSWORD, totpSecret: dr.totp?.secret as string, scope: 'user/*.cruds', clock })).token?.access_token as string;
    const glass = await t.request('POST', '/fhir/Patient/inj/$break-the-glass', { token, body: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'Unconscious patient in the emergency room' }] } });
    assert.equal(glass.status, 200, glass.text);
    assert.match(glass.body.parameter.find((p: { name: string }) => p.name === 'grant').valueString, /^gen-\d+$/);
  });

  test('HL7 v2 messages stored by the gateway', async () => {
    const ack = await t.carnet.server.inject({ method: 'POST', url: '/hl7v2', headers: { 'content-type': 'x-application/hl7-v2+er7', authorization: `Bearer ${await t.systemToken()}` }, payload: oru({ controlId: 'INJ-1', mrn: 'INJ1', order: 'INJ-B1', results: 1 }) });
    assert.equal(ack.statusCode, 200, ack.body);
    const message = (await t.carnet.db.query<{ uid: string; recorded: Date | string }>("SELECT uid, recorded FROM audit_event WHERE content LIKE '%hl7v2-message%' ORDER BY id DESC LIMIT 1")).rows[0];
    fromInjected(message);
  });
});
