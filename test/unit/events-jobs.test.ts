import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextCursor, sameCursor } from '../../src/events/event.js';
import { retryDelayMs } from '../../src/jobs/backoff.js';
import { afterFailure, afterSuccess } from '../../src/jobs/lifecycle.js';
import { checkSchedule, nextRun, ScheduleError } from '../../src/jobs/schedule.js';
import { signalAfterCommit, withCommitSignals, type CommitTopic } from '../../src/storage/commit-signals.js';
import type { Database } from '../../src/storage/database.js';

describe('job backoff (pure)', () => {
  const backoff = { baseMs: 1000, maxMs: 60_000 };
  test('doubles from the base up to the cap, half fixed and half random', () => {
    assert.deepEqual([1, 2, 3, 4].map((a) => retryDelayMs(a, backoff, () => 0)), [500, 1000, 2000, 4000]);
    assert.deepEqual([1, 2, 3, 4].map((a) => retryDelayMs(a, backoff, () => 0.999999)), [1000, 2000, 4000, 8000]);
    assert.equal(retryDelayMs(30, backoff, () => 1), 60_000, 'never above the cap');
    assert.equal(retryDelayMs(30, backoff, () => 0), 30_000);
    for (let i = 0; i < 200; i++) {
      const d = retryDelayMs(3, backoff, Math.random);
      assert.ok(d >= 2000 && d <= 4000);
    }
  });
});

describe('schedules (pure)', () => {
  test('"every" slots are multiples of the interval since the epoch, strictly after the time given', () => {
    const hour = 3_600_000;
    assert.equal(nextRun({ every: hour }, new Date('2026-06-01T12:34:56Z')).toISOString(), '2026-06-01T13:00:00.000Z');
    assert.equal(nextRun({ every: hour }, new Date('2026-06-01T13:00:00Z')).toISOString(), '2026-06-01T14:00:00.000Z');
    assert.equal(nextRun({ every: 10 * 60_000 }, new Date('2026-06-01T13:00:00.001Z')).toISOString(), '2026-06-01T13:10:00.000Z');
  });
  test('cron expressions run in their time zone, across daylight-saving changes', () => {
    const monday6 = { cron: '0 6 * * 1', timeZone: 'America/Toronto' };
    assert.equal(nextRun(monday6, new Date('2026-12-02T04:00:00Z')).toISOString(), '2026-12-07T11:00:00.000Z', 'EST: UTC-5');
    assert.equal(nextRun(monday6, new Date('2026-03-07T12:00:00Z')).toISOString(), '2026-03-09T10:00:00.000Z', 'EDT from 8 March: UTC-4');
    assert.equal(nextRun({ cron: '*/15 * * * *' }, new Date('2026-06-01T12:07:00Z')).toISOString(), '2026-06-01T12:15:00.000Z', 'UTC by default');
  });
  test('bad schedules are refused when declared', () => {
    assert.throws(() => checkSchedule({ every: 10 }), ScheduleError);
    assert.throws(() => checkSchedule({ every: 1500.5 }), ScheduleError);
    assert.throws(() => checkSchedule({ cron: 'every monday' }), ScheduleError);
    assert.throws(() => checkSchedule({ cron: '0 6 * * 1', timeZone: 'Mars/Olympus' }), ScheduleError);
    assert.deepEqual(checkSchedule({ cron: '0 6 * * 1', timeZone: 'America/Toronto' }), { cron: '0 6 * * 1', timeZone: 'America/Toronto' });
  });
});

describe('job lifecycle (pure)', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const backoff = { baseMs: 1000, maxMs: 60_000 };
  test('a failure is retried until the attempts are spent, then the job is dead', () => {
    assert.deepEqual(afterFailure({ attempts: 1, maxAttempts: 3, schedule: null }, now, backoff, () => 0), { state: 'pending', runAt: new Date(now.getTime() + 500), attempts: 1 });
    assert.deepEqual(afterFailure({ attempts: 3, maxAttempts: 3, schedule: null }, now, backoff, () => 0), { state: 'dead', runAt: null, attempts: 3 });
    assert.deepEqual(afterSuccess({ attempts: 2, maxAttempts: 3, schedule: null }, now), { state: 'done', runAt: null, attempts: 2 });
  });
  test('a periodic job never finishes nor dies: it waits for its next slot, its attempts afresh', () => {
    const schedule = { every: 3_600_000 };
    const next = new Date('2026-06-01T13:00:00Z');
    assert.deepEqual(afterSuccess({ attempts: 1, maxAttempts: 3, schedule }, now), { state: 'pending', runAt: next, attempts: 0 });
    assert.deepEqual(afterFailure({ attempts: 3, maxAttempts: 3, schedule }, now, backoff, () => 0), { state: 'pending', runAt: next, attempts: 0 });
    assert.equal(afterFailure({ attempts: 1, maxAttempts: 3, schedule }, now, backoff, () => 0).runAt?.getTime(), now.getTime() + 500, 'retried within its slot first');
  });
});

describe('event cursors (pure)', () => {
  const at = { base: '100:105:101,103', target: null, afterSeq: 0 };
  test('a batch that was not full moves the cursor to the snapshot it read up to', () => {
    assert.deepEqual(nextCursor(at, '104:110:104', 77, false), { base: '104:110:104', target: null, afterSeq: 0 });
    assert.deepEqual(nextCursor(at, '104:110:104', undefined, false), { base: '104:110:104', target: null, afterSeq: 0 }, 'nothing matched: past it all the same');
  });
  test('a full batch pins the snapshot it catches up to and how far it got', () => {
    const pinned = nextCursor(at, '104:110:104', 77, true);
    assert.deepEqual(pinned, { base: '100:105:101,103', target: '104:110:104', afterSeq: 77 });
    assert.deepEqual(nextCursor(pinned, '104:110:104', 90, false), { base: '104:110:104', target: null, afterSeq: 0 });
    assert.equal(sameCursor(pinned, { ...pinned }), true);
    assert.equal(sameCursor(pinned, at), false);
  });
});

describe('commit signals', () => {
  const fake = (): Database => ({
    kind: 'pglite', description: 'fake', query: async () => ({ rows: [], rowCount: 0 }),
    transaction: async (work) => work({ query: async () => ({ rows: [], rowCount: 0 }) }), close: async () => undefined,
  });
  test('marks fire after the commit only; a rolled-back transaction signals nothing; autocommit fires at once', async () => {
    const db = withCommitSignals(fake());
    const heard: CommitTopic[][] = [];
    db.onCommit((topics) => heard.push([...topics].sort()));
    await db.transaction(async (tx) => {
      signalAfterCommit(tx, 'events');
      signalAfterCommit(tx, 'jobs');
      signalAfterCommit(tx, 'events');
      assert.deepEqual(heard, [], 'not before the commit');
    });
    await assert.rejects(db.transaction(async (tx) => {
      signalAfterCommit(tx, 'jobs');
      throw new Error('rollback');
    }));
    await db.transaction(async () => undefined);
    signalAfterCommit(db, 'jobs');
    assert.deepEqual(heard, [['events', 'jobs'], ['jobs']]);
  });
});
