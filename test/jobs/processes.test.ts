import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { createCarnet, type Carnet } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { executeWrites } from '../../src/fhir/write/engine.js';
import { openPostgres } from '../../src/storage/postgres-database.js';
import { createTestSchema } from '../support/harness.js';
import { spawnReady } from '../support/children.js';

/**
 * Background work across real API processes on one PostgreSQL database: a process killed with SIGKILL
 * while holding leased jobs, jobs raced for by two processes, one consumer run by two processes.
 */
const url = process.env.DATABASE_URL;
const child = resolve(dirname(fileURLToPath(import.meta.url)), 'background-child.js');

describe('background work across processes (PostgreSQL)', { skip: url ? false : 'needs DATABASE_URL: the embedded database belongs to one process' }, () => {
  let schema: { url: string; drop: () => Promise<void> };
  let carnet: Carnet;
  const children = new Set<ChildProcess>();

  const start = async (env: Record<string, string>): Promise<ChildProcess> => spawnReady(child, {
    ...process.env, CARNET_TEST_CHILD: '1', DATABASE_URL: schema.url, CARNET_DB_POOL_SIZE: '4', CARNET_MLLP_PORT: 'off', LOG_LEVEL: 'warn', CARNET_BACKGROUND: 'on', ...env,
  }, children);
  const stop = async (proc: ChildProcess, signal: NodeJS.Signals) => {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await exited;
  };
  /** Polls the database (the children work in other processes: there is no event of ours to await). */
  const until = async (what: string, check: () => Promise<boolean>, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await carnet.db.query<{ n: number }>(sql, params)).rows[0]?.n);

  before(async () => {
    schema = await createTestSchema('carnet_bg');
    carnet = await createCarnet(loadConfig({ CARNET_BASE_URL: 'http://carnet.test', CARNET_BACKGROUND: 'off' }), { db: await openPostgres(schema.url, 4), log: pino({ level: 'silent' }) });
    await carnet.db.query('CREATE TABLE child_started (job bigint, pid int, attempt int)');
    await carnet.db.query('CREATE TABLE child_done (job bigint PRIMARY KEY, pid int)');
    await carnet.db.query('CREATE TABLE child_copied (seq bigint PRIMARY KEY, pid int)');
  });
  after(async () => {
    for (const proc of children) await stop(proc, 'SIGKILL');
    await carnet?.close();
    await schema?.drop();
  });

  test('kill -9 of a process holding leased jobs: another process completes them after the lease', async () => {
    const ids = (await carnet.background.jobs.enqueueMany(carnet.db, Array.from({ length: 6 }, (_, i) => ({ kind: 'test.crash', payload: { i } })))).map((r) => r.id);
    const victim = await start({ CHILD_MODE: 'hang', CHILD_LEASE_MS: '1500' });
    await until('the victim to start every job', async () => (await count('SELECT count(*)::int AS n FROM child_started')) === ids.length);
    assert.equal(await count(`SELECT count(*)::int AS n FROM job WHERE id = ANY($1::bigint[]) AND state = 'running' AND lease_owner LIKE $2`, [ids, `%:${victim.pid}:%`]), ids.length);
    await stop(victim, 'SIGKILL');
    const rescuer = await start({ CHILD_MODE: 'work', CHILD_LEASE_MS: '1500' });
    await until('the rescuer to complete them', async () => (await count(`SELECT count(*)::int AS n FROM job WHERE id = ANY($1::bigint[]) AND state = 'done'`, [ids])) === ids.length);
    const { rows } = await carnet.db.query<{ pid: number }>('SELECT DISTINCT pid FROM child_done WHERE job = ANY($1::bigint[])', [ids]);
    assert.deepEqual(rows.map((r) => Number(r.pid)), [rescuer.pid]);
    for (const id of ids) {
      const job = await carnet.background.jobs.get(id);
      assert.equal(job?.attempts, 2, 'the killed attempt counted');
      assert.match(job?.lastError ?? '', /lease expired/);
    }
    await stop(rescuer, 'SIGTERM');
  });

  test('two processes racing for jobs never run one twice; two running one consumer handle each event once', async () => {
    const [a, b] = await Promise.all([start({}), start({})]);
    const ids = (await carnet.background.jobs.enqueueMany(carnet.db, Array.from({ length: 200 }, () => ({ kind: 'test.overlap' })))).map((r) => r.id);
    // Meanwhile, the record changes: 120 Organizations in 12 transactions.
    await Promise.all(Array.from({ length: 12 }, (_, w) => carnet.db.transaction((tx) => executeWrites(tx, carnet.ctx,
      Array.from({ length: 10 }, (_, i) => ({ kind: 'create' as const, resource: { resourceType: 'Organization' as const, name: `Org ${w}-${i}` } })), { transaction: true }))));
    await until('every job to be done', async () => (await count(`SELECT count(*)::int AS n FROM job WHERE id = ANY($1::bigint[]) AND state = 'done'`, [ids])) === ids.length);
    assert.equal(await count('SELECT count(*)::int AS n FROM (SELECT job FROM child_started WHERE job = ANY($1::bigint[]) GROUP BY job HAVING count(*) > 1) twice', [ids]), 0, 'no job started twice');
    const { rows } = await carnet.db.query<{ pid: number; n: number }>('SELECT pid, count(*)::int AS n FROM child_done WHERE job = ANY($1::bigint[]) GROUP BY pid', [ids]);
    assert.deepEqual(rows.map((r) => Number(r.pid)).sort(), [a?.pid, b?.pid].sort(), `both processes took part (${JSON.stringify(rows)})`);
    const organizations = await count(`SELECT count(*)::int AS n FROM change_event WHERE resource_type = 'Organization'`);
    assert.equal(organizations, 120);
    await until('the consumer to copy every event', async () => (await count('SELECT count(*)::int AS n FROM child_copied')) === organizations);
    await Promise.all([stop(a as ChildProcess, 'SIGTERM'), stop(b as ChildProcess, 'SIGTERM')]);
  });
});
