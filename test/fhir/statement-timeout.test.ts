import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { listenOnSocket, startTestCarnet, usingPostgres, type TestCarnet } from '../support/harness.js';

/**
 * Issue #13, bounded work per request on PostgreSQL: a statement of an API request that runs longer than
 * CARNET_STATEMENT_TIMEOUT_MS is cancelled and answered 503 `statement-timeout` (never a 500, nothing
 * written), its connection goes back to the pool, background work is not limited, and a statement still
 * running when the client disconnects is cancelled. A statement is made slow legitimately: another session
 * holds a lock on the resource table, so the request's statement waits for it (a lock wait counts towards
 * statement_timeout). PGlite runs statements on the server's own thread and cannot interrupt one: there the
 * search limits bound the work (docs/operations.md), and these tests are skipped.
 */
const skip = usingPostgres ? false : 'PostgreSQL only: PGlite cannot interrupt a statement';

/** Another session that locks the resource table of the test Carnet's schema until `release`. */
async function lockResources(t: TestCarnet): Promise<{ release: () => Promise<void> }> {
  const schema = (await t.carnet.db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s as string;
  const locker = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query(`LOCK TABLE ${schema}.resource IN ACCESS EXCLUSIVE MODE`);
  return {
    release: async () => {
      await locker.query('COMMIT');
      await locker.end();
    },
  };
}

/** The statements of this database still waiting for a lock on behalf of someone else (the Carnet's requests). */
async function waitingStatements(): Promise<number> {
  const probe = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await probe.connect();
  try {
    const { rows } = await probe.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND wait_event_type = 'Lock'`,
    );
    return rows[0]?.n ?? 0;
  } finally {
    await probe.end();
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('statement timeout per request', { skip }, () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_STATEMENT_TIMEOUT_MS: '300' } });
  });
  after(async () => t?.close());

  test('a statement past the timeout is a 503 timeout OperationOutcome with Retry-After, nothing written, its connection released', async () => {
    const id = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', active: true } })).body.id as string;
    const token = await t.systemToken();
    const lock = await lockResources(t);
    let answers;
    try {
      // More requests at once than the pool has connections (8): each must give its connection back.
      answers = await Promise.all([
        ...Array.from({ length: 10 }, () => t.request('GET', `/fhir/Patient/${id}`, { token })),
        t.request('GET', '/fhir/Patient?active=true', { token }),
        t.request('POST', '/fhir/Patient', { token, body: { resourceType: 'Patient', identifier: [{ system: 'http://example.org/mrn', value: 'timed-out' }] } }),
      ]);
    } finally {
      await lock.release();
    }
    for (const answer of answers) {
      assert.equal(answer.status, 503, answer.text.slice(0, 300));
      assert.equal(answer.body.resourceType, 'OperationOutcome');
      assert.equal(answer.body.issue[0].code, 'timeout');
      assert.equal(answer.body.issue[0].details.coding[0].code, 'statement-timeout');
      assert.equal(answer.headers['retry-after'], '5');
    }
    assert.equal(await waitingStatements(), 0, 'no statement lingers');
    assert.equal((await t.request('GET', `/fhir/Patient/${id}`, { token })).status, 200, 'the pool still serves requests');
    const written = await t.request('GET', '/fhir/Patient?identifier=http://example.org/mrn|timed-out', { token });
    assert.equal(written.body.entry?.length ?? 0, 0, 'the timed-out create wrote nothing');
  });

  test('work outside requests is not limited, on the connections requests used', async () => {
    await Promise.all(Array.from({ length: 8 }, () => t.request('GET', '/fhir/Patient?active=true')));
    const settings = await Promise.all(Array.from({ length: 8 }, () => t.carnet.db.query<{ statement_timeout: string }>('SHOW statement_timeout')));
    assert.deepEqual(settings.map((s) => s.rows[0]?.statement_timeout), Array(8).fill('0'));
    await t.carnet.db.transaction((tx) => tx.query('SELECT pg_sleep(0.5)'));
  });
});

describe('a request whose client disconnects', { skip }, () => {
  let t: TestCarnet;
  let origin: string;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_STATEMENT_TIMEOUT_MS: '60000' } });
    origin = await listenOnSocket(t);
  });
  after(async () => t?.close());

  test('has its running statement cancelled (pg_stat_activity shows none left)', async () => {
    const id = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', active: true } })).body.id as string;
    const token = await t.systemToken();
    const lock = await lockResources(t);
    try {
      const client = new AbortController();
      const answer = fetch(`${origin}/fhir/Patient/${id}`, { headers: { authorization: `Bearer ${token}` }, signal: client.signal }).catch((error: Error) => error);
      let waiting = 0;
      for (let i = 0; i < 100 && waiting === 0; i++) {
        await pause(50);
        waiting = await waitingStatements();
      }
      assert.equal(waiting, 1, 'the request is waiting in the database');
      client.abort();
      assert.ok((await answer) instanceof Error);
      for (let i = 0; i < 60 && waiting > 0; i++) {
        await pause(50);
        waiting = await waitingStatements();
      }
      assert.equal(waiting, 0, 'the statement was cancelled when the client went away, long before its 60 s timeout');
    } finally {
      await lock.release();
    }
    assert.equal((await t.request('GET', `/fhir/Patient/${id}`, { token })).status, 200);
  });
});
