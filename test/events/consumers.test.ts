import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Background } from '../../src/app/background.js';
import { loadConfig } from '../../src/config/config.js';
import type { ChangeEvent } from '../../src/events/event.js';
import type { Queryable } from '../../src/storage/database.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * Consumers read the outbox after a durable cursor, in order, at least once, each at its own pace; a
 * failed batch is offered again; a consumer that restarts resumes after its cursor.
 */
describe('event consumers', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_BACKGROUND: 'off' } });
  });
  after(() => t.close());

  const createOrganizations = async (n: number, prefix: string): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const response = await t.request('POST', '/fhir/Organization', { body: { resourceType: 'Organization', name: `${prefix} ${i}` } });
      assert.equal(response.status, 201);
      ids.push(response.body.id as string);
    }
    return ids;
  };
  /** A consumer that records what it handles in a table of its own, in its batch's transaction. */
  const recording = (name: string, table: string, extra: { batchSize?: number; fail?: () => boolean; start?: 'now' | 'beginning' } = {}) => ({
    name, types: ['Organization'], ...(extra.batchSize ? { batchSize: extra.batchSize } : {}), ...(extra.start ? { start: extra.start } : {}),
    async handle(events: readonly ChangeEvent[], tx: Queryable) {
      await tx.query(`INSERT INTO ${table} (seq, id) SELECT * FROM unnest($1::bigint[], $2::text[])`, [events.map((e) => e.seq), events.map((e) => e.id)]);
      if (extra.fail?.()) throw new Error('the handler failed');
    },
  });
  const handled = async (table: string) => (await t.carnet.db.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY seq`)).rows.map((r) => r.id);

  test('a consumer starts from now, reads in order after its cursor, and its lag is visible', async () => {
    await t.carnet.db.query('CREATE TABLE seen_now (seq bigint PRIMARY KEY, id text)');
    const earlier = await createOrganizations(2, 'Avant');
    await t.carnet.background.events.register(recording('test.now', 'seen_now', { batchSize: 2 }));
    const later = await createOrganizations(5, 'Après');
    const [lag] = await t.carnet.background.events.lag('test.now');
    assert.equal(lag?.behind, 5 + 0, 'five Organization events behind (the Person/MPI events of nothing)');
    assert.ok((lag?.oldestAgeSeconds ?? -1) >= 0);
    await t.carnet.background.runOnce();
    // Counted through this consumer's own lag: every Carnet registers consumers of its own (subscriptions), and runOnce counts them all.
    assert.equal((await t.carnet.background.events.lag('test.now'))[0]?.handled, 5);
    assert.deepEqual(await handled('seen_now'), later, 'only what came after it started, in order');
    assert.equal(earlier.some((id) => later.includes(id)), false);
    const [after] = await t.carnet.background.events.lag('test.now');
    assert.deepEqual([after?.behind, after?.handled, after?.oldestAgeSeconds], [0, 5, 0]);
    await t.carnet.background.runOnce();
    assert.deepEqual([(await t.carnet.background.events.lag('test.now'))[0]?.handled, (await handled('seen_now')).length], [5, 5], 'nothing twice');
  });

  test('a consumer told to start at the beginning reads the kept events too', async () => {
    await t.carnet.db.query('CREATE TABLE seen_all (seq bigint PRIMARY KEY, id text)');
    await t.carnet.background.events.register(recording('test.all', 'seen_all', { start: 'beginning' }));
    await t.carnet.background.runOnce();
    const { rows } = await t.carnet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM change_event WHERE resource_type = 'Organization'`);
    assert.equal((await handled('seen_all')).length, Number(rows[0]?.n));
  });

  test('a failed batch is rolled back with its effects and offered again: at least once, never out of order', async () => {
    await t.carnet.db.query('CREATE TABLE seen_flaky (seq bigint PRIMARY KEY, id text)');
    let failures = 2;
    await t.carnet.background.events.register(recording('test.flaky', 'seen_flaky', { fail: () => failures-- > 0 }));
    const ids = await createOrganizations(3, 'Instable');
    const first = await t.carnet.background.runOnce();
    assert.equal(first.failures[0]?.consumer, 'test.flaky');
    assert.deepEqual(await handled('seen_flaky'), [], 'the failed batch left nothing');
    const [lag] = await t.carnet.background.events.lag('test.flaky');
    assert.equal(lag?.behind, 3);
    assert.match(lag?.lastError ?? '', /the handler failed/);
    await t.carnet.background.runOnce();
    await t.carnet.background.runOnce();
    assert.deepEqual(await handled('seen_flaky'), ids);
    const [healed] = await t.carnet.background.events.lag('test.flaky');
    assert.deepEqual([healed?.behind, healed?.failures, healed?.lastError], [0, 0, null]);
  });

  test('a consumer restarted mid-stream resumes after its cursor and loses nothing', async () => {
    await t.carnet.db.query('CREATE TABLE seen_restart (seq bigint PRIMARY KEY, id text)');
    const config = loadConfig({ CARNET_BACKGROUND: 'off' }).background;
    const log = pino({ level: 'silent' });
    const first = new Background(t.carnet.db, t.carnet.ctx.clock, log, config, 'test');
    await first.events.register(recording('test.restart', 'seen_restart', { batchSize: 4 }));
    const ids = await createOrganizations(10, 'Reprise');
    // Two batches, then the process "stops".
    await first.events.step('test.restart');
    await first.events.step('test.restart');
    await first.close();
    assert.deepEqual(await handled('seen_restart'), ids.slice(0, 8));
    const second = new Background(t.carnet.db, t.carnet.ctx.clock, log, config, 'test');
    await second.events.register(recording('test.restart', 'seen_restart', { batchSize: 4 }));
    await second.runOnce();
    await second.close();
    // The primary key of seen_restart would have refused an event handled twice.
    assert.deepEqual(await handled('seen_restart'), ids);
  });

  test('skipping a poison event and removing an old consumer', async () => {
    await t.carnet.db.query('CREATE TABLE seen_poison (seq bigint PRIMARY KEY, id text)');
    let calls = 0;
    const [poison] = await createOrganizations(1, 'Avant le poison').then(async () => {
      await t.carnet.background.events.register({
        name: 'test.poison', types: ['Organization'], async handle(events, tx) {
          calls++;
          if (events.some((e) => e.id === poison)) throw new Error('cannot handle this one');
          await tx.query('INSERT INTO seen_poison (seq, id) SELECT * FROM unnest($1::bigint[], $2::text[])', [events.map((e) => e.seq), events.map((e) => e.id)]);
        },
      });
      return createOrganizations(1, 'Poison');
    });
    const fine = await createOrganizations(2, 'Saine');
    const stuck = await t.carnet.background.runOnce();
    assert.equal(stuck.failures.length, 1);
    assert.deepEqual(await handled('seen_poison'), []);
    assert.equal((await t.carnet.background.events.skip('test.poison'))?.id, poison);
    await t.carnet.background.runOnce();
    assert.deepEqual(await handled('seen_poison'), fine);
    assert.ok(calls >= 2);
    assert.equal(await t.carnet.background.events.remove('test.poison'), 'registered');
    await t.carnet.db.query(`INSERT INTO event_consumer (name, base_snapshot, created_at) VALUES ('gone.consumer', '3:3:', now())`);
    assert.equal(await t.carnet.background.events.remove('gone.consumer'), 'removed');
    assert.equal(await t.carnet.background.events.remove('gone.consumer'), 'unknown');
  });

  test('pruning deletes only what every consumer has passed, once old enough', async () => {
    const ids = await createOrganizations(3, 'Élagage');
    await t.carnet.background.runOnce();
    const remaining = async () => Number((await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM change_event WHERE resource_id = ANY($1::text[])', [ids])).rows[0]?.n);
    await t.carnet.db.query(`INSERT INTO event_consumer (name, base_snapshot, created_at) VALUES ('lagging.consumer', '3:3:', now())`);
    const prune = await t.carnet.background.jobs.enqueue(t.carnet.db, { kind: 'events.prune', key: 'prune-1' });
    await t.carnet.background.runOnce();
    assert.equal(await remaining(), 3, 'a consumer that has not passed them holds them');
    await t.carnet.background.events.remove('lagging.consumer');
    await t.carnet.background.jobs.enqueue(t.carnet.db, { kind: 'events.prune', key: 'prune-2' });
    await t.carnet.background.runOnce();
    assert.equal(await remaining(), 3, 'kept for the retention period (one hour) even once passed');
    assert.equal((await t.carnet.background.jobs.get(prune.id))?.state, 'done');
    const { rows } = await t.carnet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM change_event`);
    const all = Number(rows[0]?.n);
    assert.equal(await t.carnet.background.events.remove('test.restart'), 'removed', 'the restarted consumer of the test before is no longer running');
    await t.carnet.db.query(`UPDATE change_event SET at = at - interval '2 hours'`);
    await t.carnet.background.jobs.enqueue(t.carnet.db, { kind: 'events.prune', key: 'prune-3' });
    await t.carnet.background.runOnce();
    assert.equal(await remaining(), 0);
    assert.ok(all > 0);
  });
});
