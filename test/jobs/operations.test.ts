import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { codeFlow, createUser, PASSWORD, seedDirectory } from '../support/auth.js';

/** The operator API of background work over HTTP: who may use it, what it shows, that it is audited. */
describe('operating jobs and consumers over HTTP', () => {
  let t: TestCarnet;
  let privacy: string;
  let patient: string;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_BACKGROUND: 'off' } });
    await seedDirectory(t);
    const po = await createUser(t, { username: 'privacy', password: PASSWORD, displayName: 'PO', role: 'privacy-officer' });
    privacy = (await codeFlow(t, { username: 'privacy', password: PASSWORD, totpSecret: po.totp?.secret as string, scope: 'user/*.rs' })).token?.access_token as string;
    assert.ok(privacy);
    await t.request('PUT', '/fhir/Patient/op', { body: { resourceType: 'Patient', id: 'op' } });
    await createUser(t, { username: 'owner', password: PASSWORD, displayName: 'Owner', role: 'patient', fhirUser: 'Patient/op' });
    patient = (await codeFlow(t, { username: 'owner', password: PASSWORD, scope: 'user/*.rs' })).token?.access_token as string;
    assert.ok(patient);
  });
  after(() => t.close());

  test('list, inspect, retry and cancel jobs; see consumers and their lag', async () => {
    const { jobs, events } = t.carnet.background;
    jobs.define('test.fail', async () => { throw new Error('always'); }, { maxAttempts: 1 });
    jobs.define('test.later', async () => undefined);
    const failing = await jobs.enqueue(t.carnet.db, { kind: 'test.fail', payload: { subscription: 'abc' } });
    const later = await jobs.enqueue(t.carnet.db, { kind: 'test.later', delayMs: 3_600_000 });
    await events.register({ name: 'test.lagging', async handle() { /* handled */ } });
    await t.request('POST', '/fhir/Organization', { body: { resourceType: 'Organization', name: 'Retard' } });
    await t.carnet.background.runOnce();

    const dead = await t.request('GET', '/admin/jobs?state=dead', { token: privacy });
    assert.equal(dead.status, 200, dead.text);
    assert.deepEqual(dead.body.jobs.map((j: { id: number }) => j.id), [failing.id]);
    assert.ok(dead.body.counts.some((c: { kind: string; state: string; count: number }) => c.kind === 'test.fail' && c.state === 'dead' && c.count === 1));
    const one = await t.request('GET', `/admin/jobs/${failing.id}`);
    assert.deepEqual([one.status, one.body.state, one.body.lastError, one.body.payload], [200, 'dead', 'always', { subscription: 'abc' }]);
    assert.equal((await t.request('GET', '/admin/jobs/999999')).status, 404);
    assert.equal((await t.request('GET', '/admin/jobs?state=lost')).status, 400);

    const retried = await t.request('POST', `/admin/jobs/${failing.id}/retry`, { token: privacy });
    assert.deepEqual([retried.status, retried.body.state, retried.body.attempts], [200, 'pending', 0]);
    assert.equal((await t.request('POST', `/admin/jobs/${failing.id}/retry`, { token: privacy })).status, 409);
    const cancelled = await t.request('POST', `/admin/jobs/${later.id}/cancel`, { token: privacy });
    assert.deepEqual([cancelled.status, cancelled.body.state], [200, 'cancelled']);
    assert.equal((await t.request('POST', `/admin/jobs/${later.id}/cancel`, { token: privacy })).status, 409);

    const paged = await t.request('GET', '/admin/jobs?limit=1');
    assert.equal(paged.body.jobs.length, 1);
    assert.ok(paged.body.next);
    const next = await t.request('GET', paged.body.next);
    assert.ok(next.body.jobs[0].id < paged.body.jobs[0].id);

    const consumers = await t.request('GET', '/admin/consumers', { token: privacy });
    assert.equal(consumers.status, 200);
    const lagging = consumers.body.consumers.find((c: { name: string }) => c.name === 'test.lagging');
    assert.deepEqual([lagging?.behind, lagging?.handled], [0, 1], 'the Organization, and nothing behind');
    assert.equal((await t.request('GET', '/admin/consumers/none')).status, 404);
    assert.equal((await t.request('DELETE', '/admin/consumers/test.lagging')).status, 409, 'a registered consumer is not removed');
  });

  test('refused to others, and audited', async () => {
    for (const url of ['/admin/jobs', '/admin/consumers']) {
      assert.equal((await t.request('GET', url, { token: patient })).status, 403);
      assert.equal((await t.request('GET', url, { token: null })).status, 401);
    }
    await t.carnet.auth.audit.flush();
    const { rows } = await t.carnet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event WHERE content LIKE '%POST /admin/jobs/:id/retry%'`);
    assert.ok(Number(rows[0]?.n) >= 1, 'the retry is in the audit trail');
  });
});

describe('carnet jobs (the command line)', () => {
  test('lists, shows and retries a dead job of the configured database', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openPGlite } = await import('../../src/storage/pglite-database.js');
    const { migrate } = await import('../../src/storage/migrate.js');
    const { Jobs } = await import('../../src/jobs/jobs.js');
    const dir = mkdtempSync(join(tmpdir(), 'carnet-jobs-cli-'));
    try {
      const db = await openPGlite(dir);
      await migrate(db);
      const { id } = await new Jobs(db, () => new Date()).enqueue(db, { kind: 'report.weekly', payload: { region: '06' } });
      await db.query(`UPDATE job SET state = 'dead', attempts = 5, last_error = 'no route to host' WHERE id = $1`, [id]);
      await db.close();
      const carnet = (...args: string[]) => execFileSync(process.execPath, ['dist/src/cli/carnet.js', 'jobs', ...args], { env: { ...process.env, CARNET_DATA_DIR: dir, DATABASE_URL: '' }, encoding: 'utf8' });
      assert.match(carnet('list', '--state', 'dead'), new RegExp(`${id} +dead +report\\.weekly .*no route to host`));
      assert.equal(JSON.parse(carnet('show', String(id))).payload.region, '06');
      assert.match(carnet('retry', String(id)), /will run again/);
      assert.match(carnet('list', '--state', 'pending'), /report\.weekly/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
