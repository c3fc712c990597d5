import type { Queryable } from '../storage/database.js';
import { JOB_COLUMNS, jobFromRow, type Job, type JobState } from './job.js';
import type { Settlement } from './lifecycle.js';
import type { Schedule } from './schedule.js';

/**
 * The SQL of the job queue. Times come from the injected clock, never from `now()`, so that tests (and
 * every process) agree on what is due. A running job is identified by its lease: (id, owner, attempt).
 */

type Row = Record<string, unknown>;

export interface Lease {
  readonly id: number;
  readonly owner: string;
  readonly attempt: number;
}

export interface JobInsert {
  readonly kind: string;
  readonly key: string | null;
  readonly payload: string;
  readonly runAt: Date;
  readonly maxAttempts: number;
}

/** Inserts jobs; those whose (kind, key) already exists are left alone. Returns the ids, in order, and whether each is new. */
export async function insertJobs(q: Queryable, jobs: readonly JobInsert[], now: Date): Promise<{ id: number; created: boolean }[]> {
  if (jobs.length === 0) return [];
  const { rows } = await q.query<{ id: number | string; kind: string; key: string | null }>(
    `INSERT INTO job (kind, key, payload, state, run_at, max_attempts, created_at)
     SELECT u.k, u.y, u.p, 'pending', u.r, u.m, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int[]) AS u(k, y, p, r, m)
     ON CONFLICT (kind, key) WHERE key IS NOT NULL DO NOTHING
     RETURNING id, kind, key`,
    [jobs.map((j) => j.kind), jobs.map((j) => j.key), jobs.map((j) => j.payload), jobs.map((j) => j.runAt.toISOString()), jobs.map((j) => j.maxAttempts), now.toISOString()],
  );
  const created = new Map(rows.map((r) => [`${r.kind}\u0000${r.key ?? `#${r.id}`}`, Number(r.id)]));
  const keyed = jobs.filter((j) => j.key !== null && !created.has(`${j.kind}\u0000${j.key}`));
  const existing = new Map<string, number>();
  if (keyed.length > 0) {
    const found = await q.query<{ id: number | string; kind: string; key: string }>(
      'SELECT id, kind, key FROM job WHERE (kind, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
      [keyed.map((j) => j.kind), keyed.map((j) => j.key)],
    );
    for (const r of found.rows) existing.set(`${r.kind}\u0000${r.key}`, Number(r.id));
  }
  const unkeyed = rows.filter((r) => r.key === null).map((r) => Number(r.id)).sort((a, b) => a - b);
  return jobs.map((j) => {
    if (j.key === null) return { id: unkeyed.shift() as number, created: true };
    const name = `${j.kind}\u0000${j.key}`;
    const id = created.get(name);
    // The same key twice in one call: the first creates it, the second finds it.
    if (id !== undefined) {
      created.delete(name);
      existing.set(name, id);
      return { id, created: true };
    }
    return { id: existing.get(name) as number, created: false };
  });
}

/** A periodic job's row: created once, its schedule kept current; a cancelled schedule stays paused. */
export async function upsertSchedule(q: Queryable, kind: string, key: string, schedule: Schedule, payload: string, firstRun: Date, maxAttempts: number, now: Date): Promise<void> {
  await q.query(
    `INSERT INTO job (kind, key, payload, state, run_at, max_attempts, schedule, created_at)
     VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7)
     ON CONFLICT (kind, key) WHERE key IS NOT NULL DO UPDATE SET
       payload = EXCLUDED.payload, max_attempts = EXCLUDED.max_attempts, schedule = EXCLUDED.schedule,
       run_at = CASE WHEN job.state = 'pending' AND job.schedule IS DISTINCT FROM EXCLUDED.schedule THEN EXCLUDED.run_at
                     WHEN job.state IN ('done', 'dead') THEN EXCLUDED.run_at ELSE job.run_at END,
       state = CASE WHEN job.state IN ('done', 'dead') THEN 'pending' ELSE job.state END`,
    [kind, key, payload, firstRun.toISOString(), maxAttempts, JSON.stringify(schedule), now.toISOString()],
  );
}

/** Leases up to `limit` due jobs of these kinds, oldest first, skipping those another process is taking. */
export async function leaseJobs(q: Queryable, kinds: readonly string[], limit: number, owner: string, now: Date, leaseMs: number): Promise<Job[]> {
  if (kinds.length === 0 || limit <= 0) return [];
  const { rows } = await q.query<Row>(
    `UPDATE job j SET state = 'running', attempts = j.attempts + 1, lease_owner = $1, lease_until = $2, started_at = $3
       FROM (SELECT id FROM job WHERE state = 'pending' AND run_at <= $3 AND kind = ANY($4::text[])
              ORDER BY run_at, id LIMIT $5 FOR UPDATE SKIP LOCKED) due
      WHERE j.id = due.id
      RETURNING ${JOB_COLUMNS.split(',').map((c) => `j.${c.trim()}`).join(', ')}`,
    [owner, new Date(now.getTime() + leaseMs).toISOString(), now.toISOString(), [...kinds], limit],
  );
  return rows.map(jobFromRow).sort((a, b) => a.id - b.id);
}

/** The earliest time a pending job of these kinds becomes due (to sleep until then), if any. */
export async function nextDue(q: Queryable, kinds: readonly string[]): Promise<Date | undefined> {
  if (kinds.length === 0) return undefined;
  const { rows } = await q.query<{ at: unknown }>(`SELECT min(run_at) AS at FROM job WHERE state = 'pending' AND kind = ANY($1::text[])`, [[...kinds]]);
  const at = rows[0]?.at;
  return at === null || at === undefined ? undefined : new Date(at instanceof Date ? at.getTime() : String(at));
}

/**
 * Extends the leases still held; returns, for each, whether cancellation was requested. A lease missing
 * from the answer is lost (it expired and was retaken): its attempt must stop.
 */
export async function extendLeases(q: Queryable, leases: readonly Lease[], until: Date): Promise<Map<number, boolean>> {
  if (leases.length === 0) return new Map();
  const { rows } = await q.query<{ id: number | string; cancel_requested: boolean }>(
    `UPDATE job SET lease_until = $4 WHERE state = 'running'
        AND (id, lease_owner, attempts) IN (SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[]))
      RETURNING id, cancel_requested`,
    [leases.map((l) => l.id), leases.map((l) => l.owner), leases.map((l) => l.attempt), until.toISOString()],
  );
  return new Map(rows.map((r) => [Number(r.id), Boolean(r.cancel_requested)]));
}

/** Records progress and extends the lease; undefined when the lease is lost, else whether cancellation was asked. */
export async function recordProgress(q: Queryable, lease: Lease, progress: string, until: Date): Promise<boolean | undefined> {
  const { rows } = await q.query<{ cancel_requested: boolean }>(
    `UPDATE job SET progress = $4, lease_until = $5 WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'running'
      RETURNING cancel_requested`,
    [lease.id, lease.owner, lease.attempt, progress, until.toISOString()],
  );
  return rows[0] ? Boolean(rows[0].cancel_requested) : undefined;
}

/** Ends an attempt as decided (`settlement`), if the lease is still held. Returns whether it was. */
export async function settleJob(
  q: Queryable, lease: Lease, settlement: Settlement | { state: 'cancelled' }, now: Date, detail: { result?: string | null; error?: string | null },
): Promise<boolean> {
  const finished = settlement.state !== 'pending';
  const { rowCount } = await q.query(
    `UPDATE job SET state = $4, run_at = COALESCE($5, run_at), attempts = COALESCE($6, attempts), lease_owner = NULL, lease_until = NULL,
            cancel_requested = false, result = COALESCE($7, result), last_error = CASE WHEN $8::text IS NULL THEN last_error ELSE $8 END,
            finished_at = CASE WHEN $9 THEN $10::timestamptz ELSE NULL END
      WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'running'`,
    [lease.id, lease.owner, lease.attempt, settlement.state, 'runAt' in settlement && settlement.runAt ? settlement.runAt.toISOString() : null,
      'attempts' in settlement ? settlement.attempts : null, detail.result ?? null, detail.error ?? null, finished, now.toISOString()],
  );
  return rowCount > 0;
}

/**
 * Ends many successful attempts with one statement (the worker groups the completions that arrive while
 * the previous group commits). Returns the ids whose lease was still held.
 */
export async function settleSucceeded(q: Queryable, done: readonly { lease: Lease; settlement: Settlement; result: string }[], now: Date): Promise<Set<number>> {
  if (done.length === 0) return new Set();
  const { rows } = await q.query<{ id: number | string }>(
    `UPDATE job j SET state = u.state, run_at = COALESCE(u.run_at, j.run_at), attempts = u.next_attempts, lease_owner = NULL, lease_until = NULL,
            cancel_requested = false, result = u.result, finished_at = CASE WHEN u.state = 'pending' THEN NULL ELSE $8::timestamptz END
       FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::int[], $7::text[]) AS u(id, owner, attempt, state, run_at, next_attempts, result)
      WHERE j.id = u.id AND j.lease_owner = u.owner AND j.attempts = u.attempt AND j.state = 'running'
      RETURNING j.id`,
    [done.map((d) => d.lease.id), done.map((d) => d.lease.owner), done.map((d) => d.lease.attempt), done.map((d) => d.settlement.state),
      done.map((d) => d.settlement.runAt?.toISOString() ?? null), done.map((d) => d.settlement.attempts), done.map((d) => d.result), now.toISOString()],
  );
  return new Set(rows.map((r) => Number(r.id)));
}

/** Gives a lease back untouched (the process stops): the attempt does not count. */
export async function releaseJob(q: Queryable, lease: Lease, now: Date): Promise<void> {
  await q.query(
    `UPDATE job SET state = 'pending', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, run_at = $4
      WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'running'`,
    [lease.id, lease.owner, lease.attempt, now.toISOString()],
  );
}

export async function anyExpired(q: Queryable, now: Date): Promise<boolean> {
  const { rows } = await q.query(`SELECT 1 FROM job WHERE state = 'running' AND lease_until < $1 LIMIT 1`, [now.toISOString()]);
  return rows.length > 0;
}

/** Running jobs whose lease ran out (their process died or stalled), locked for settling. */
export async function expiredLeases(tx: Queryable, now: Date, limit: number): Promise<Job[]> {
  const { rows } = await tx.query<Row>(
    `SELECT ${JOB_COLUMNS} FROM job WHERE state = 'running' AND lease_until < $1 ORDER BY lease_until LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now.toISOString(), limit],
  );
  return rows.map(jobFromRow);
}

export async function readJob(q: Queryable, id: number): Promise<Job | undefined> {
  const { rows } = await q.query<Row>(`SELECT ${JOB_COLUMNS} FROM job WHERE id = $1`, [id]);
  return rows[0] ? jobFromRow(rows[0]) : undefined;
}

export interface JobListQuery {
  readonly state?: JobState;
  readonly kind?: string;
  /** Keyset paging: only jobs with a smaller id. */
  readonly beforeId?: number;
  readonly limit: number;
}

/** Jobs, newest first. */
export async function listJobs(q: Queryable, query: JobListQuery): Promise<Job[]> {
  const { rows } = await q.query<Row>(
    `SELECT ${JOB_COLUMNS} FROM job
      WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::bigint IS NULL OR id < $3)
      ORDER BY id DESC LIMIT $4`,
    [query.state ?? null, query.kind ?? null, query.beforeId ?? null, query.limit],
  );
  return rows.map(jobFromRow);
}

/** Jobs per kind and state (the operator's overview). */
export async function countJobs(q: Queryable): Promise<{ kind: string; state: JobState; count: number }[]> {
  const { rows } = await q.query<{ kind: string; state: JobState; n: number | string }>('SELECT kind, state, count(*) AS n FROM job GROUP BY kind, state ORDER BY kind, state');
  return rows.map((r) => ({ kind: r.kind, state: r.state, count: Number(r.n) }));
}

/**
 * Cancels a job: a pending or dead one at once; a running one is asked to stop (its worker aborts the
 * attempt's signal and records it cancelled). Returns the state it is left in, or undefined if it had
 * already finished or does not exist.
 */
export async function cancelJob(q: Queryable, id: number, now: Date): Promise<'cancelled' | 'cancelling' | undefined> {
  const { rows } = await q.query<{ state: string }>(
    `UPDATE job SET state = CASE WHEN state = 'running' THEN 'running' ELSE 'cancelled' END,
            cancel_requested = (state = 'running'),
            finished_at = CASE WHEN state = 'running' THEN finished_at ELSE $2::timestamptz END
      WHERE id = $1 AND state IN ('pending', 'running', 'dead') RETURNING state`,
    [id, now.toISOString()],
  );
  const state = rows[0]?.state;
  return state === undefined ? undefined : state === 'running' ? 'cancelling' : 'cancelled';
}

/**
 * The keyed job (kind, key) pending again at a new time with a new payload, whatever state it was left in
 * (unless an attempt is running): a reminder moved with its appointment. False when there is no such row.
 */
export async function rearmKeyedJob(q: Queryable, job: JobInsert & { key: string }): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE job SET state = 'pending', run_at = $3, payload = $4, attempts = 0, max_attempts = $5, last_error = NULL, result = NULL,
            finished_at = NULL, cancel_requested = false, lease_owner = NULL, lease_until = NULL
      WHERE kind = $1 AND key = $2 AND state <> 'running'`,
    [job.kind, job.key, job.runAt.toISOString(), job.payload, job.maxAttempts],
  );
  return rowCount > 0;
}

/** Cancels the keyed job (kind, key) if it is pending. */
export async function cancelKeyedJob(q: Queryable, kind: string, key: string, now: Date): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE job SET state = 'cancelled', finished_at = $3 WHERE kind = $1 AND key = $2 AND state = 'pending'`,
    [kind, key, now.toISOString()],
  );
  return rowCount > 0;
}

/** Runs a dead or cancelled job again (from its first attempt, now). Returns whether it did. */
export async function retryJob(q: Queryable, id: number, now: Date): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE job SET state = 'pending', attempts = 0, run_at = $2, finished_at = NULL, cancel_requested = false
      WHERE id = $1 AND state IN ('dead', 'cancelled')`,
    [id, now.toISOString()],
  );
  return rowCount > 0;
}

/** Deletes (at most `limit`) jobs done or cancelled before `before`. Dead jobs stay until retried or cancelled. */
export async function pruneJobs(q: Queryable, before: Date, limit: number): Promise<number> {
  const { rowCount } = await q.query(
    `DELETE FROM job WHERE id IN (SELECT id FROM job WHERE state IN ('done', 'cancelled') AND finished_at < $1 AND schedule IS NULL LIMIT $2)`,
    [before.toISOString(), limit],
  );
  return rowCount;
}
