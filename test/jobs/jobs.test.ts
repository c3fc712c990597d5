import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Background } from '../../src/app/background.js';
import { loadConfig } from '../../src/config/config.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * The durable job queue on the configured database, driven deterministically: an injected clock and
 * `runOnce()` instead of timers.
 */
describe('durable jobs', () => {
  let t: TestCarnet;
  let now = new Date('2026-06-01T12:00:00Z');
  const clock = () => now;
  const advance = (ms: number) => { now = new Date(now.getTime() + ms); };
  const config = loadConfig({ CARNET_BACKGROUND: 'off' }).background;
  const log = pino({ level: 'silent' });
  let bg: Background;
  const runtime = () => new Background(t.carnet.db, clock, log, config, 'jobs-test', () => 0.5);

  before(async () => {
    t = await startTestCarnet({ env: { CARNET_BACKGROUND: 'off' } });
    bg = runtime();
  });
  after(async () => {
    await bg.close();
    await t.close();
  });

  test('a job enqueued in a rolled-back transaction never exists; a committed one runs once, its result kept', async () => {
    const runs: unknown[] = [];
    bg.jobs.define('test.echo', async ({ job }) => {
      runs.push(job.payload);
      return { echoed: job.payload };
    });
    await assert.rejects(t.carnet.db.transaction(async (tx) => {
      await bg.jobs.enqueue(tx, { kind: 'test.echo', payload: { n: 0 } });
      throw new Error('rolled back');
    }));
    const { id } = await t.carnet.db.transaction((tx) => bg.jobs.enqueue(tx, { kind: 'test.echo', payload: { n: 1 } }));
    assert.deepEqual(await bg.runOnce(), { events: 0, jobs: 1, failures: [] });
    assert.deepEqual(runs, [{ n: 1 }]);
    const job = await bg.jobs.get(id);
    assert.deepEqual([job?.state, job?.attempts, job?.result, job?.finishedAt], ['done', 1, { echoed: { n: 1 } }, now.toISOString()]);
    assert.equal((await bg.runOnce()).jobs, 0);
  });

  test('an idempotency key makes a second enqueue return the first job', async () => {
    let runs = 0;
    bg.jobs.define('test.once', async () => { runs++; });
    const first = await bg.jobs.enqueue(t.carnet.db, { kind: 'test.once', key: 'appointment-42' });
    const again = await bg.jobs.enqueueMany(t.carnet.db, [
      { kind: 'test.once', key: 'appointment-42' }, { kind: 'test.once', key: 'appointment-43' }, { kind: 'test.once', key: 'appointment-43' }, { kind: 'test.once' },
    ]);
    assert.equal(first.created, true);
    assert.deepEqual(again.map((r) => r.created), [false, true, false, true]);
    assert.equal(again[0]?.id, first.id);
    assert.equal(again[2]?.id, again[1]?.id);
    await bg.runOnce();
    assert.equal(runs, 3);
    assert.equal((await bg.jobs.enqueue(t.carnet.db, { kind: 'test.once', key: 'appointment-42' })).created, false, 'a finished job still holds its key');
    await bg.runOnce();
    assert.equal(runs, 3);
  });

  test('failures are retried after a growing backoff; spent attempts leave the job dead, and an operator retries it', async () => {
    let failing = true;
    const attempts: string[] = [];
    bg.jobs.define('test.flaky', async ({ job }) => {
      attempts.push(`${job.attempts}@${now.toISOString()}`);
      if (failing) throw new Error('endpoint down');
    }, { maxAttempts: 3, backoff: { baseMs: 1000, maxMs: 60_000 } });
    const { id } = await bg.jobs.enqueue(t.carnet.db, { kind: 'test.flaky' });
    await bg.runOnce();
    let job = await bg.jobs.get(id);
    assert.deepEqual([job?.state, job?.attempts, job?.lastError], ['pending', 1, 'endpoint down']);
    // Equal jitter with random() = 0.5: 3/4 of the step (1 s, then 2 s).
    assert.equal(job?.runAt, new Date(now.getTime() + 750).toISOString());
    await bg.runOnce();
    assert.equal(attempts.length, 1, 'not before its time');
    advance(750);
    await bg.runOnce();
    assert.equal((await bg.jobs.get(id))?.runAt, new Date(now.getTime() + 1500).toISOString());
    advance(1500);
    await bg.runOnce();
    job = await bg.jobs.get(id);
    assert.deepEqual([job?.state, job?.attempts, job?.finishedAt], ['dead', 3, now.toISOString()]);
    assert.equal(attempts.length, 3);
    failing = false;
    assert.equal(await bg.jobs.retry(id), true);
    assert.equal(await bg.jobs.retry(id), false, 'only a dead or cancelled job is retried');
    await bg.runOnce();
    job = await bg.jobs.get(id);
    assert.deepEqual([job?.state, job?.attempts], ['done', 1]);
  });

  test('a delayed job waits for its time', async () => {
    let ran = false;
    bg.jobs.define('test.reminder', async () => { ran = true; });
    await bg.jobs.enqueue(t.carnet.db, { kind: 'test.reminder', delayMs: 24 * 3_600_000 });
    await bg.runOnce();
    assert.equal(ran, false);
    advance(24 * 3_600_000 - 1);
    await bg.runOnce();
    assert.equal(ran, false);
    advance(1);
    await bg.runOnce();
    assert.equal(ran, true);
  });

  test('a periodic job is one row, runs once per slot however many processes declare it', async () => {
    const other = runtime();
    let runs = 0;
    for (const r of [bg, other]) r.jobs.define('test.hourly', async () => { runs++; });
    await bg.jobs.schedule('test.hourly', { every: 3_600_000 });
    await other.jobs.schedule('test.hourly', { every: 3_600_000 });
    const rows = await bg.jobs.list({ kind: 'test.hourly' });
    assert.equal(rows.length, 1);
    const slot = Math.ceil((now.getTime() + 1) / 3_600_000) * 3_600_000;
    assert.equal(rows[0]?.runAt, new Date(slot).toISOString(), 'the next slot, the same in every process');
    await Promise.all([bg.runOnce(), other.runOnce()]);
    assert.equal(runs, 0);
    now = new Date(slot + 5000);
    await Promise.all([bg.runOnce(), other.runOnce()]);
    assert.equal(runs, 1);
    const [row] = await bg.jobs.list({ kind: 'test.hourly' });
    assert.deepEqual([row?.state, row?.runAt, row?.attempts], ['pending', new Date(slot + 3_600_000).toISOString(), 0]);
    // A cancelled schedule is paused, even when declared again; retrying resumes it.
    await bg.jobs.cancel(row?.id as number);
    await bg.jobs.schedule('test.hourly', { every: 3_600_000 });
    advance(3_600_000);
    await bg.runOnce();
    assert.equal(runs, 1);
    await bg.jobs.retry(row?.id as number);
    await bg.runOnce();
    assert.equal(runs, 2);
    await other.close();
  });

  test('cancelling: a pending job never runs; a running one sees it through its AbortSignal', async () => {
    let started = () => undefined as void;
    const isStarted = new Promise<void>((resolve) => { started = resolve; });
    let sawAbort: unknown;
    bg.jobs.define('test.long', async ({ signal }) => {
      started();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      sawAbort = signal.reason;
      throw new Error('stopped');
    });
    bg.jobs.define('test.never', async () => assert.fail('a cancelled job ran'));
    const pending = await bg.jobs.enqueue(t.carnet.db, { kind: 'test.never' });
    assert.equal(await bg.jobs.cancel(pending.id), 'cancelled');
    const { id } = await bg.jobs.enqueue(t.carnet.db, { kind: 'test.long' });
    const run = bg.runOnce();
    await isStarted;
    assert.equal(await bg.jobs.cancel(id), 'cancelling');
    await run;
    assert.equal(sawAbort, 'cancelled');
    const job = await bg.jobs.get(id);
    assert.deepEqual([job?.state, job?.cancelRequested], ['cancelled', false]);
    assert.equal(await bg.jobs.cancel(id), undefined, 'nothing left to cancel');
  });

  test('progress is recorded and extends the lease; complete(tx) commits the job with its own writes, once', async () => {
    await t.carnet.db.query('CREATE TABLE test_export_file (job bigint PRIMARY KEY, rows int)');
    let leaseSeen: string | null = null;
    bg.jobs.define('test.export', async ({ job, progress, complete }) => {
      advance(20_000);
      await progress({ done: 10, of: 20 });
      leaseSeen = (await bg.jobs.get(job.id))?.leaseUntil ?? null;
      await t.carnet.db.transaction(async (tx) => {
        await tx.query('INSERT INTO test_export_file (job, rows) VALUES ($1, 20)', [job.id]);
        await complete(tx, { files: 1 });
      });
      return 'ignored: already complete';
    }, { leaseMs: 30_000 });
    const { id } = await bg.jobs.enqueue(t.carnet.db, { kind: 'test.export' });
    await bg.runOnce();
    assert.equal(leaseSeen, new Date(now.getTime() + 30_000).toISOString(), 'the lease runs from the last progress');
    const job = await bg.jobs.get(id);
    assert.deepEqual([job?.state, job?.progress, job?.result], ['done', { done: 10, of: 20 }, { files: 1 }]);
  });

  test('the jobs of a process that died are taken again once their lease expires; an attempt that lost its lease cannot complete', async () => {
    await t.carnet.db.query('CREATE TABLE effect (job bigint, attempt int)');
    bg.jobs.define('test.effect', async ({ job, complete }) => {
      await t.carnet.db.transaction(async (tx) => {
        await tx.query('INSERT INTO effect (job, attempt) VALUES ($1, $2)', [job.id, job.attempts]);
        await complete(tx);
      });
    });
    const { id } = await bg.jobs.enqueue(t.carnet.db, { kind: 'test.effect' });
    // A process leased it and died.
    await t.carnet.db.query(`UPDATE job SET state = 'running', attempts = 1, lease_owner = 'dead-host:1', lease_until = $2 WHERE id = $1`, [id, new Date(now.getTime() + 30_000).toISOString()]);
    await bg.runOnce();
    assert.equal((await bg.jobs.get(id))?.state, 'running', 'its lease still holds');
    advance(30_001);
    await bg.runOnce();
    const job = await bg.jobs.get(id);
    assert.deepEqual([job?.state, job?.attempts], ['done', 2]);
    assert.match(job?.lastError ?? '', /lease expired.*dead-host:1/);
    const { rows } = await t.carnet.db.query<{ attempt: number }>('SELECT attempt FROM effect WHERE job = $1', [id]);
    assert.deepEqual(rows.map((r) => Number(r.attempt)), [2]);

    // A stalled process: its attempt comes back after its lease was retaken, and cannot complete.
    const stalled = runtime();
    let started = () => undefined as void;
    const isStarted = new Promise<void>((resolve) => { started = resolve; });
    let resume = () => undefined as void;
    const resumed = new Promise<void>((resolve) => { resume = resolve; });
    let refused: unknown;
    stalled.jobs.define('test.stall', async ({ job, complete }) => {
      started();
      await resumed;
      await t.carnet.db.transaction(async (tx) => {
        await tx.query('INSERT INTO effect (job, attempt) VALUES ($1, $2)', [job.id, job.attempts]);
        await complete(tx);
      }).catch((error: unknown) => { refused = error; throw error; });
    });
    bg.jobs.define('test.stall', async ({ job, complete }) => {
      await t.carnet.db.transaction(async (tx) => {
        await tx.query('INSERT INTO effect (job, attempt) VALUES ($1, $2)', [job.id, job.attempts]);
        await complete(tx);
      });
    });
    const stall = await bg.jobs.enqueue(t.carnet.db, { kind: 'test.stall' });
    const stalledRun = stalled.runOnce();
    await isStarted;
    advance(30_001);
    await bg.runOnce();
    resume();
    await stalledRun;
    await stalled.close();
    assert.match(String(refused), /lost its lease/);
    const { rows: effects } = await t.carnet.db.query<{ attempt: number }>('SELECT attempt FROM effect WHERE job = $1', [stall.id]);
    assert.deepEqual(effects.map((r) => Number(r.attempt)), [2], 'only the attempt holding the lease wrote');
    assert.deepEqual([(await bg.jobs.get(stall.id))?.state, (await bg.jobs.get(stall.id))?.attempts], ['done', 2]);
  });

  test('a timeout aborts the attempt and counts as a failure; shutting down gives leases back', async () => {
    bg.jobs.define('test.slow', async ({ signal }) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      throw new Error('aborted');
    }, { timeoutMs: 50, maxAttempts: 1 });
    const slow = await bg.jobs.enqueue(t.carnet.db, { kind: 'test.slow' });
    await bg.runOnce();
    const timedOut = await bg.jobs.get(slow.id);
    assert.deepEqual([timedOut?.state, timedOut?.lastError], ['dead', 'timed out after 50 ms']);

    const stopping = runtime();
    let started = () => undefined as void;
    const isStarted = new Promise<void>((resolve) => { started = resolve; });
    stopping.jobs.define('test.stoppable', async ({ signal }) => {
      started();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      throw new Error(String(signal.reason));
    });
    const { id } = await stopping.jobs.enqueue(t.carnet.db, { kind: 'test.stoppable' });
    const run = stopping.runOnce();
    await isStarted;
    await stopping.close(0);
    await run;
    const released = await bg.jobs.get(id);
    assert.deepEqual([released?.state, released?.attempts, released?.leaseOwner], ['pending', 0, null], 'back in the queue, the attempt not counted');
    await bg.jobs.cancel(id);
  });

  test('a kind limited to one attempt at a time in a process', async () => {
    let running = 0;
    let most = 0;
    bg.jobs.define('test.exclusive', async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    }, { concurrency: 1 });
    await bg.jobs.enqueueMany(t.carnet.db, Array.from({ length: 5 }, () => ({ kind: 'test.exclusive' })));
    assert.equal((await bg.runOnce()).jobs, 5);
    assert.equal(most, 1);
  });
});
