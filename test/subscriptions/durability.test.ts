import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Bundle } from '@medplum/fhirtypes';
import type { Database } from '../../src/storage/database.js';
import { openPostgres } from '../../src/storage/postgres-database.js';
import { createTestSchema, TEST_BOOTSTRAP } from '../support/harness.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * A notification survives `kill -9` of the API process between the commit and the delivery: the process
 * that took the write is killed while its endpoint hangs on the notification; another process takes the
 * delivery over once the lease lapses and the notification arrives — the same event number, once answered.
 */
const url = process.env.DATABASE_URL;
const child = resolve(dirname(fileURLToPath(import.meta.url)), 'carnet-child.js');

describe('subscriptions across kill -9 (PostgreSQL)', { skip: url ? false : 'needs DATABASE_URL: the embedded database belongs to one process' }, () => {
  let schema: { url: string; drop: () => Promise<void> };
  let db: Database;
  let rx: Receiver;
  const children = new Set<ChildProcess>();

  const start = async (): Promise<{ proc: ChildProcess; base: string }> => {
    const proc = spawn(process.execPath, [child], {
      env: {
        ...process.env, CARNET_TEST_CHILD: '1', DATABASE_URL: schema.url, CARNET_DB_POOL_SIZE: '4', CARNET_MLLP_PORT: 'off', LOG_LEVEL: 'warn',
        CARNET_BASE_URL: 'http://carnet.test', CARNET_BACKGROUND: 'on', CARNET_BOOTSTRAP_CLIENT_ID: TEST_BOOTSTRAP.id, CARNET_BOOTSTRAP_CLIENT_SECRET: TEST_BOOTSTRAP.secret,
        CARNET_SUBSCRIPTION_ALLOWED_HOSTS: '127.0.0.1', CARNET_SUBSCRIPTION_LEASE_MS: '2000', CARNET_SUBSCRIPTION_TIMEOUT_MS: '60000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(proc);
    proc.once('exit', () => children.delete(proc));
    let output = '';
    const port = await new Promise<string>((ready, fail) => {
      proc.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const m = /READY (\d+)/.exec(output);
        if (m) ready(m[1] as string);
      });
      proc.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
      proc.once('exit', (code) => fail(new Error(`the child exited (${code}) before it was ready:\n${output}`)));
    });
    return { proc, base: `http://127.0.0.1:${port}` };
  };
  const kill = async (proc: ChildProcess) => {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };
  const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const token = async (base: string): Promise<string> => {
    const r = await fetch(`${base}/auth/token`, {
      method: 'POST', body: 'grant_type=client_credentials&scope=system/*.cruds',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_BOOTSTRAP.id}:${TEST_BOOTSTRAP.secret}`).toString('base64')}` },
    });
    assert.equal(r.status, 200);
    return ((await r.json()) as { access_token: string }).access_token;
  };
  const post = async (base: string, auth: string, path: string, body: unknown) => {
    const r = await fetch(`${base}/fhir/${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${auth}` } });
    const text = await r.text();
    assert.equal(r.status, 201, text);
    return JSON.parse(text) as { id: string };
  };

  before(async () => {
    schema = await createTestSchema('carnet_subkill');
    db = await openPostgres(schema.url, 2);
    rx = await startReceiver();
  });
  after(async () => {
    for (const proc of children) await kill(proc);
    await rx?.close();
    await db?.close();
    await schema?.drop();
  });

  test('kill -9 between commit and delivery: the notification arrives after the restart', async () => {
    const a = await start();
    const auth = await token(a.base);
    const sub = await post(a.base, auth, 'Subscription', {
      resourceType: 'Subscription', status: 'requested', reason: 'kill', criteria: 'Observation?code:text=potassium',
      channel: { type: 'rest-hook', endpoint: `${rx.url}/kill`, payload: 'application/fhir+json' },
    });
    await until('the subscription active', async () => (await db.query<{ status: string }>('SELECT status FROM subscription WHERE id = $1', [sub.id])).rows[0]?.status === 'active');
    rx.hold = true;
    const obs = await post(a.base, auth, 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'potassium' } });
    await until('the first attempt to reach the endpoint', () => rx.at('/kill').length === 1);
    await kill(a.proc); // committed, matched, being delivered: the process dies before the endpoint answers
    rx.hold = false;
    await start();
    await until('the notification after the restart', async () => Number((await db.query<{ n: number }>('SELECT delivered_through AS n FROM subscription WHERE id = $1', [sub.id])).rows[0]?.n) === 1);
    const arrivals = rx.at('/kill').map((r) => (r.json as Bundle).entry?.[1]?.fullUrl);
    assert.equal(arrivals.length, 2, 'the attempt the killed process made, and the one after the restart');
    assert.deepEqual(arrivals, [`http://carnet.test/fhir/Observation/${obs.id}`, `http://carnet.test/fhir/Observation/${obs.id}`]);
    const job = await db.query<{ state: string; attempts: number }>(`SELECT state, attempts FROM job WHERE kind = 'subscription.deliver' AND key NOT LIKE '%/handshake'`);
    assert.deepEqual(job.rows.map((r) => [r.state, Number(r.attempts)]), [['done', 2]], 'the killed attempt counted, the second delivered');
  });
});
