import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { assertionToken, backendKey, codeFlow, createUser, PASSWORD, seedDirectory, type BackendKey } from '../support/auth.js';

/**
 * Data-access projects end to end (PGlite, or PostgreSQL with DATABASE_URL): a researcher asks, a privacy
 * officer approves or refuses; the approved project's backend client exports its cohort, types and
 * profile only, does nothing else, and stops at expiry; every step is audited.
 */
const ASYNC = { accept: 'application/fhir+json', prefer: 'respond-async' };
type Project = { id: string; status: string; clientId?: string; expiresAt?: string; reason?: string; exports?: { id: string }[] };

describe('data-access projects', () => {
  let t: TestCarnet;
  let dir: string;
  let researcher: string;
  let other: string;
  let privacy: string;
  let key: BackendKey;
  let now = new Date();

  const json = async (method: 'GET' | 'POST', url: string, token: string, body?: unknown) => {
    const r = await t.carnet.server.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
  };
  const login = async (username: string, role: string) => {
    const user = await createUser(t, { username, password: PASSWORD, displayName: username, role });
    const token = (await codeFlow(t, { username, password: PASSWORD, totpSecret: user.totp?.secret as string, scope: 'openid' })).token?.access_token;
    assert.ok(token, `login of ${username}`);
    return token as string;
  };
  const request = (overrides: Record<string, unknown> = {}) => ({
    title: 'Diabète et glycémie', purpose: 'Étude de la glycémie des femmes nées en 1970', groupId: 'cohort', types: ['Patient', 'Observation'],
    profile: 'de-identified', durationDays: 30, jwks: { keys: [key.jwk] }, ...overrides,
  });
  const put = async (resource: Record<string, unknown>) => {
    const r = await t.request('PUT', `/fhir/${resource.resourceType}/${resource.id}`, { body: resource });
    assert.ok(r.status < 300, r.text);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carnet-projects-'));
    t = await startTestCarnet({ clock: () => now, env: { CARNET_EXPORT_DIR: dir, CARNET_MPI: 'off', CARNET_RESEARCH_K: '5' } });
    await seedDirectory(t);
    for (let i = 0; i < 8; i++) {
      await put({ resourceType: 'Patient', id: `c${i}`, gender: 'female', birthDate: '1970-02-03', name: [{ family: `Nom${i}` }], address: [{ postalCode: 'H2X 1K4' }] });
      await put({ resourceType: 'Observation', id: `c${i}-o`, status: 'final', code: { text: 'glucose' }, subject: { reference: `Patient/c${i}` }, effectiveDateTime: '2024-05-01' });
      await put({ resourceType: 'Condition', id: `c${i}-c`, subject: { reference: `Patient/c${i}` }, code: { text: 'diabète' } });
    }
    await put({ resourceType: 'Patient', id: 'outside', gender: 'male', name: [{ family: 'Dehors' }] });
    await put({ resourceType: 'Group', id: 'cohort', type: 'person', actual: true, member: Array.from({ length: 6 }, (_, i) => ({ entity: { reference: `Patient/c${i}` } })) });
    await put({ resourceType: 'Group', id: 'other', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/outside' } }] });
    key = await backendKey('project-key');
    // The server's clock is frozen at `now`; the logins' TOTP codes are of the real time: start it anew here, as
    // starting and seeding a server on a loaded machine can take longer than a TOTP window.
    now = new Date();
    researcher = await login('chercheuse', 'researcher');
    other = await login('autre', 'researcher');
    privacy = await login('vie-privee', 'privacy-officer');
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a request is checked whole; only researchers ask and only privacy officers decide', async () => {
    for (const bad of [{ purpose: 'court' }, { types: ['Organization'] }, { types: ['Nonsense'] }, { profile: 'identified' }, { groupId: 'absent' }, { durationDays: 0 }, { jwks: {} }]) {
      const r = await json('POST', '/research/projects', researcher, request(bad));
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    assert.equal((await json('POST', '/research/projects', privacy, request())).status, 403);
    const created = await json('POST', '/research/projects', researcher, request());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.status, 'requested');
    assert.equal((await json('POST', `/research/projects/${created.body.id}/approve`, researcher, {})).status, 403);
    assert.equal((await json('GET', `/research/projects/${created.body.id}`, other)).status, 404, 'another researcher does not see it');
    assert.equal((await json('GET', '/research/projects', other)).body.projects.length, 0);
    assert.equal((await json('GET', '/research/projects', privacy)).body.projects.length, 1);
  });

  test('refusal needs a reason; a decided project is not decided again', async () => {
    const { body } = await json('POST', '/research/projects', researcher, request({ title: 'Autre étude' }));
    assert.equal((await json('POST', `/research/projects/${body.id}/refuse`, privacy, {})).status, 400);
    const refused = await json('POST', `/research/projects/${body.id}/refuse`, privacy, { reason: 'Finalité trop large' });
    assert.deepEqual([refused.status, refused.body.status, refused.body.reason], [200, 'refused', 'Finalité trop large']);
    assert.equal((await json('POST', `/research/projects/${body.id}/approve`, privacy, {})).status, 409);
  });

  test('the approved project\'s client exports its cohort, types and profile only, does nothing else, and stops at expiry', async () => {
    const { body } = await json('POST', '/research/projects', researcher, request({ title: 'Projet approuvé' }));
    const approved = (await json('POST', `/research/projects/${body.id}/approve`, privacy, { reason: 'Comité d\'éthique 2026-12' })).body as Project;
    assert.equal(approved.status, 'approved');
    assert.equal(approved.clientId, `project-${body.id}`);
    assert.equal(Date.parse(approved.expiresAt as string), now.getTime() + 30 * 86_400_000);
    const tokenResponse = await assertionToken(t, approved.clientId as string, key, 'system/Patient.rs system/Observation.rs system/Condition.rs');
    assert.equal(tokenResponse.statusCode, 200, tokenResponse.body);
    const token = tokenResponse.json().access_token as string;
    assert.equal(tokenResponse.json().scope.includes('Condition'), false, 'the scopes are the project\'s types');
    const read = await t.request('GET', '/fhir/Patient?_count=5', { token });
    assert.equal(read.status, 403, 'no identified reads outside the export');
    assert.match(read.text, /outside-project/);
    const kick = async (url: string) => t.request('GET', url, { token, headers: ASYNC });
    for (const url of ['/fhir/$export?_profile=pseudonymised', '/fhir/Group/other/$export']) {
      const r = await kick(url);
      assert.equal(r.status, 403, `${url}: ${r.text}`);
      assert.match(r.text, /outside-project/);
    }
    const started = await kick('/fhir/$export');
    assert.equal(started.status, 202, started.text);
    const path = String(started.headers['content-location']).replace('http://carnet.test', '');
    await t.carnet.background.runOnce();
    const done = await t.request('GET', path, { token });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.extension['urn:carnet:export:profile'], 'de-identified');
    const lines: { resourceType: string; name?: unknown }[] = [];
    for (const file of done.body.output as { url: string }[]) {
      const r = await t.request('GET', file.url.replace('http://carnet.test', ''), { token });
      lines.push(...r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    }
    assert.deepEqual([...new Set(lines.map((l) => l.resourceType))].sort(), ['Observation', 'Patient']);
    assert.equal(lines.filter((l) => l.resourceType === 'Patient').length, 6, 'the cohort only');
    assert.ok(lines.every((l) => l.name === undefined));
    const followed = (await json('GET', `/research/projects/${body.id}`, privacy)).body as Project;
    assert.deepEqual(followed.exports?.map((e) => e.id), [path.split('/').pop()]);
    // A queued export whose project expires before it runs fails; a kick-off after expiry is refused.
    const queued = await kick('/fhir/$export');
    assert.equal(queued.status, 202);
    await t.carnet.db.query('UPDATE research_project SET expires_at = $2 WHERE id = $1', [body.id, new Date(now.getTime() - 60_000).toISOString()]);
    await t.carnet.background.runOnce();
    const failed = await t.request('GET', String(queued.headers['content-location']).replace('http://carnet.test', ''), { token });
    assert.equal(failed.status, 500);
    assert.match(failed.text, /expired/);
    const late = await kick('/fhir/$export');
    assert.equal(late.status, 403);
    assert.match(late.text, /project-inactive/);
    const { rows } = await t.carnet.db.query<{ content: string }>('SELECT content FROM audit_event');
    const trail = rows.map((r) => r.content).join('\n');
    assert.match(trail, new RegExp(`urn:carnet:project:${body.id}`));
    assert.ok(trail.includes('/research/projects/:id/approve'));
  });

  test('revocation: the client is disabled, its exports cancelled and their files deleted, audited', async () => {
    const { body } = await json('POST', '/research/projects', researcher, request({ title: 'Projet révoqué' }));
    const approved = (await json('POST', `/research/projects/${body.id}/approve`, privacy, { reason: 'Comité d\'éthique' })).body as Project;
    const token = (await assertionToken(t, approved.clientId as string, key, 'system/Patient.rs system/Observation.rs')).json().access_token as string;
    const kick = async () => t.request('GET', '/fhir/$export', { token, headers: ASYNC });
    const first = await kick();
    assert.equal(first.status, 202, first.text);
    await t.carnet.background.runOnce();
    const donePath = String(first.headers['content-location']).replace('http://carnet.test', '');
    const done = await t.request('GET', donePath, { token });
    assert.equal(done.status, 200, done.text);
    const file = (done.body.output as { url: string }[])[0]?.url.replace('http://carnet.test', '') as string;
    assert.equal((await t.request('GET', file, { token })).status, 200);
    const queued = await kick();
    assert.equal(queued.status, 202, queued.text);
    const queuedPath = String(queued.headers['content-location']).replace('http://carnet.test', '');

    assert.equal((await json('POST', `/research/projects/${body.id}/revoke`, researcher, { reason: 'Fin du projet' })).status, 403, 'only privacy officers revoke');
    assert.equal((await json('POST', `/research/projects/${body.id}/revoke`, privacy, {})).status, 400, 'a revocation says why');
    const revoked = await json('POST', `/research/projects/${body.id}/revoke`, privacy, { reason: 'Consentement du comité retiré' });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.deepEqual([revoked.body.status, revoked.body.revokeReason], ['revoked', 'Consentement du comité retiré']);
    assert.equal((await json('POST', `/research/projects/${body.id}/revoke`, privacy, { reason: 'encore une fois' })).status, 409);

    // Nothing more: the queued export never runs, the finished one and its files are gone, no new export or token.
    await t.carnet.background.runOnce();
    assert.equal((await t.request('GET', queuedPath, { token })).status, 404);
    assert.equal((await t.request('GET', donePath, { token })).status, 404);
    assert.equal((await t.request('GET', file, { token })).status, 404);
    const late = await kick();
    assert.equal(late.status, 403, late.text);
    assert.match(late.text, /project-inactive/);
    assert.equal((await assertionToken(t, approved.clientId as string, key, 'system/Patient.rs')).statusCode, 401);
    const { rows } = await t.carnet.db.query<{ content: string }>('SELECT content FROM audit_event');
    assert.ok(rows.some((r) => r.content.includes('/research/projects/:id/revoke') && r.content.includes(`urn:carnet:project:${body.id}`)));
  });
});
