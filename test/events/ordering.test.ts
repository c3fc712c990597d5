import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Background } from '../../src/app/background.js';
import { loadConfig } from '../../src/config/config.js';
import type { Consumer } from '../../src/events/consumers.js';
import { executeWrites } from '../../src/fhir/write/engine.js';
import { startTestCarnet, usingPostgres, type TestCarnet } from '../support/harness.js';

/**
 * The classic outbox bug: sequence numbers are taken before commit, so transactions commit out of number
 * order, and a reader that goes on from "the highest number I saw" skips the event of a slower
 * transaction that commits later. Carnet's readers stop at the oldest transaction still running. Needs
 * concurrent transactions, so PostgreSQL (PGlite runs one transaction at a time).
 */
describe('no event is ever skipped (concurrent writers, PostgreSQL)', { skip: usingPostgres ? false : 'needs DATABASE_URL: PGlite runs one transaction at a time' }, () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_BACKGROUND: 'off' } });
  });
  after(() => t.close());

  const writeOrganization = (name: string, hold?: Promise<void>, written?: () => void) =>
    t.carnet.db.transaction(async (tx) => {
      const [result] = await executeWrites(tx, t.carnet.ctx, [{ kind: 'create', resource: { resourceType: 'Organization', name } }], { transaction: false });
      written?.();
      await hold;
      return result?.id as string;
    });
  const recorder = (name: string, table: string): Consumer => ({
    name, types: ['Organization'],
    async handle(events, tx) {
      // The primary key refuses an event handled twice.
      await tx.query(`INSERT INTO ${table} (seq, id) SELECT * FROM unnest($1::bigint[], $2::text[])`, [events.map((e) => e.seq), events.map((e) => e.id)]);
    },
  });
  const handled = async (table: string) => (await t.carnet.db.query<{ id: string }>(`SELECT id FROM ${table}`)).rows.map((r) => r.id);

  test('a transaction held open while later ones commit: their events are read at once, its own once it commits', async () => {
    await t.carnet.db.query('CREATE TABLE held_seen (seq bigint PRIMARY KEY, id text)');
    const events = t.carnet.background.events;
    await events.register(recorder('test.held', 'held_seen'));
    let release = () => undefined as void;
    const hold = new Promise<void>((resolve) => { release = resolve; });
    let written = () => undefined as void;
    const isWritten = new Promise<void>((resolve) => { written = resolve; });
    const held = writeOrganization('Tenue', hold, written);
    await isWritten;
    const later = [];
    for (let i = 0; i < 20; i++) later.push(await writeOrganization(`Plus tard ${i}`));

    await t.carnet.background.runOnce();
    assert.deepEqual((await handled('held_seen')).sort(), [...later].sort(), 'the later transactions are read without waiting for the one held open');
    // What a reader going on from "the highest number I saw" would now have passed:
    const high = Number((await t.carnet.db.query<{ high: number }>('SELECT max(seq) AS high FROM held_seen')).rows[0]?.high);

    release();
    const heldId = await held;
    const { rows: [heldRow] } = await t.carnet.db.query<{ seq: number }>(`SELECT seq FROM change_event WHERE resource_type = 'Organization' AND resource_id = $1`, [heldId]);
    assert.ok(Number(heldRow?.seq) < Number(high), 'the held event was numbered before the later ones, and committed after them');
    await t.carnet.background.runOnce();
    assert.deepEqual((await handled('held_seen')).sort(), [heldId, ...later].sort(), 'the held event is read once it commits: nothing skipped, nothing twice');
  });

  test('two versions of one resource are delivered in the order they committed, not in transaction-id order', async () => {
    await t.carnet.db.query('CREATE TABLE order_seen (seq bigint PRIMARY KEY, id text, version int)');
    await t.carnet.background.events.register({
      name: 'test.versions', types: ['Organization'],
      async handle(events, tx) {
        await tx.query('INSERT INTO order_seen (seq, id, version) SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[])',
          [events.map((e) => e.seq), events.map((e) => e.id), events.map((e) => e.versionId)]);
      },
    });
    const id = await writeOrganization('Versionnée');
    // The older transaction (smaller xid) writes something first, then waits; the newer one updates the
    // resource and commits; then the older one updates it too.
    let go = () => undefined as void;
    const proceed = new Promise<void>((resolve) => { go = resolve; });
    let started = () => undefined as void;
    const isStarted = new Promise<void>((resolve) => { started = resolve; });
    const older = t.carnet.db.transaction(async (tx) => {
      await executeWrites(tx, t.carnet.ctx, [{ kind: 'create', resource: { resourceType: 'Organization', name: 'Autre' } }], { transaction: false });
      started();
      await proceed;
      await executeWrites(tx, t.carnet.ctx, [{ kind: 'update', resourceType: 'Organization', id, resource: { resourceType: 'Organization', id, name: 'v3' } }], { transaction: false });
      return (await tx.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]?.x;
    });
    await isStarted;
    const newer = await t.carnet.db.transaction(async (tx) => {
      await executeWrites(tx, t.carnet.ctx, [{ kind: 'update', resourceType: 'Organization', id, resource: { resourceType: 'Organization', id, name: 'v2' } }], { transaction: false });
      return (await tx.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]?.x;
    });
    go();
    const olderXid = await older;
    assert.ok(BigInt(olderXid ?? 0) < BigInt(newer ?? 0), 'the transaction that committed last has the smaller id');
    await t.carnet.background.runOnce();
    const { rows } = await t.carnet.db.query<{ version: number }>('SELECT version FROM order_seen WHERE id = $1 ORDER BY seq', [id]);
    assert.deepEqual(rows.map((r) => Number(r.version)), [1, 2, 3]);
  });

  test('writers committing in random order while two consumers of one name race: every event once', async () => {
    await t.carnet.db.query('CREATE TABLE race_seen (seq bigint PRIMARY KEY, id text)');
    const config = loadConfig({ CARNET_BACKGROUND: 'off' }).background;
    const log = pino({ level: 'silent' });
    // Two runtimes on separate connections, as two API processes would be.
    const a = new Background(t.carnet.db, t.carnet.ctx.clock, log, config, 'race');
    const b = new Background(t.carnet.db, t.carnet.ctx.clock, log, config, 'race');
    await a.events.register({ ...recorder('test.race', 'race_seen'), batchSize: 7 });
    await b.events.register({ ...recorder('test.race', 'race_seen'), batchSize: 7 });
    let writing = true;
    const consume = async (bg: Background) => {
      let failures = 0;
      while (writing) {
        const pass = await bg.events.pass({ ignoreBackoff: true });
        failures += pass.failures.length;
        if (pass.handled === 0) await new Promise((r) => setTimeout(r, 2));
      }
      return failures;
    };
    const consumers = [consume(a), consume(b)];
    const writers = Array.from({ length: 6 }, async (_, w) => {
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const pause = new Promise<void>((r) => setTimeout(r, Math.floor(Math.random() * 15)));
        ids.push(await writeOrganization(`Course ${w}-${i}`, pause));
      }
      return ids;
    });
    const written = (await Promise.all(writers)).flat();
    writing = false;
    assert.deepEqual(await Promise.all(consumers), [0, 0], 'no batch failed (a duplicate would have)');
    await a.runOnce();
    await a.close();
    await b.close();
    assert.deepEqual((await handled('race_seen')).sort(), [...written].sort());
  });
});
