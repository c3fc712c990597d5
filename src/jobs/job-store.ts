import type { Queryable } from '../storage/database.js';
import { SqlBuilder } from '../storage/sql/builder.js';
import { bool, dateOrNull, int, text, textOrNull, type Row } from '../storage/sql/rows.js';
import { JOB_COLUMNS, jobFromRow, type Job, type JobState } from './job.js';
import type { Settlement } from './lifecycle.js';
import type { Schedule } from './schedule.js';

/**
 * The SQL of the job queue. Times come from the injected clock, never from `now()`, so that tests (and
 * every process) agree on what is due. A running job is identified by its lease: (id, owner, attempt).
 */

/** The lease `lease` is still held: the job runs the same attempt for the same owner. */
function held(b: SqlBuilder, lease: Lease): string {
  return b.and(b.eq('id', lease.id), b.eq('lease_owner', lease.owner), b.eq('attempts', lease.attempt), "state = 'running'");
}

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
  const { rows } = await q.query<Row>(
    `INSERT INTO job (kind, key, payload, state, run_at, max_attempts, created_at)
     SELECT u.k, u.y, u.p, 'pending', u.r, u.m, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int[]) AS u(k, y, p, r, m)
     ON CONFLICT (kind, key) WHERE key IS NOT NULL DO NOTHING
     RETURNING id, kind, key`,
    [jobs.map((j) => j.kind), jobs.map((j) => j.key), jobs.map((j) => j.payload), jobs.map((j) => j.runAt.toISOString()), jobs.map((j) => j.maxAttempts), now.toISOString()],
  );
  const inserted = rows.map((r) => ({ id: int(r, 'id'), kind: text(r, 'kind'), key: textOrNull(r, 'key') }));
  const created = new Map(inserted.map((r) => [`${r.kind}\u0000${r.key ?? `#${r.id}`}`, r.id]));
  const keyed = jobs.filter((j) => j.key !== null && !created.has(`${j.kind}\u0000${j.key}`));
  const existing = new Map<string, number>();
  if (keyed.length > 0) {
    const b = new SqlBuilder();
    const found = await q.query<Row>(
      `SELECT id, kind, key FROM job ${b.where(`(kind, key) IN (SELECT * FROM unnest(${b.bind(keyed.map((j) => j.kind), 'text[]')}, ${b.bind(keyed.map((j) => j.key), 'text[]')}))`)}`,
      b.params,
    );
    for (const r of found.rows) existing.set(`${text(r, 'kind')}\u0000${text(r, 'key')}`, int(r, 'id'));
  }
  const unkeyed = inserted.filter((r) => r.key === null).map((r) => r.id).sort((a, b) => a - b);
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
  const b = new SqlBuilder();
  const at = now.toISOString();
  const { rows } = await q.query<Row>(
    `UPDATE job j SET state = 'running', attempts = j.attempts + 1, lease_owner = ${b.bind(owner)}, lease_until = ${b.bind(new Date(now.getTime() + leaseMs).toISOString())}, started_at = ${b.bind(at)}
       FROM (SELECT id FROM job ${b.where("state = 'pending'", `run_at <= ${b.bind(at)}`, b.any('kind', kinds, 'text'))}
              ORDER BY run_at, id LIMIT ${b.bind(limit)} FOR UPDATE SKIP LOCKED) due
      WHERE j.id = due.id
      RETURNING ${JOB_COLUMNS.split(',').map((c) => `j.${c.trim()}`).join(', ')}`,
    b.params,
  );
  return rows.map(jobFromRow).sort((a, b) => a.id - b.id);
}

/** The earliest time a pending job of these kinds becomes due (to sleep until then), if any. */
export async function nextDue(q: Queryable, kinds: readonly string[]): Promise<Date | undefined> {
  if (kinds.length === 0) return undefined;
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT min(run_at) AS at FROM job ${b.where("state = 'pending'", b.any('kind', kinds, 'text'))}`, b.params);
  return rows[0] ? dateOrNull(rows[0], 'at') ?? undefined : undefined;
}

/**
 * Extends the leases still held; returns, for each, whether cancellation was requested. A lease missing
 * from the answer is lost (it expired and was retaken): its attempt must stop.
 */
export async function extendLeases(q: Queryable, leases: readonly Lease[], until: Date): Promise<Map<number, boolean>> {
  if (leases.length === 0) return new Map();
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `UPDATE job SET lease_until = ${b.bind(until.toISOString())}
      ${b.where("state = 'running'", `(id, lease_owner, attempts) IN (SELECT * FROM unnest(${b.bind(leases.map((l) => l.id), 'bigint[]')}, ${b.bind(leases.map((l) => l.owner), 'text[]')}, ${b.bind(leases.map((l) => l.attempt), 'int[]')}))`)}
      RETURNING id, cancel_requested`,
    b.params,
  );
  return new Map(rows.map((r) => [int(r, 'id'), bool(r, 'cancel_requested')]));
}

/** Records progress and extends the lease; undefined when the lease is lost, else whether cancellation was asked. */
export async function recordProgress(q: Queryable, lease: Lease, progress: string, until: Date): Promise<boolean | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `UPDATE job SET progress = ${b.bind(progress)}, lease_until = ${b.bind(until.toISOString())} ${b.where(held(b, lease))} RETURNING cancel_requested`,
    b.params,
  );
  return rows[0] ? bool(rows[0], 'cancel_requested') : undefined;
}

/** Ends an attempt as decided (`settlement`), if the lease is still held. Returns whether it was. */
export async function settleJob(
  q: Queryable, lease: Lease, settlement: Settlement | { state: 'cancelled' }, now: Date, detail: { result?: string | null; error?: string | null },
): Promise<boolean> {
  const finished = settlement.state !== 'pending';
  const b = new SqlBuilder();
  const error = b.bind(detail.error ?? null, 'text');
  const { rowCount } = await q.query(
    `UPDATE job SET state = ${b.bind(settlement.state)}, run_at = COALESCE(${b.bind('runAt' in settlement && settlement.runAt ? settlement.runAt.toISOString() : null, 'timestamptz')}, run_at),
            attempts = COALESCE(${b.bind('attempts' in settlement ? settlement.attempts : null, 'int')}, attempts), lease_owner = NULL, lease_until = NULL,
            cancel_requested = false, result = COALESCE(${b.bind(detail.result ?? null, 'text')}, result), last_error = CASE WHEN ${error} IS NULL THEN last_error ELSE ${error} END,
            finished_at = ${finished ? b.bind(now.toISOString(), 'timestamptz') : 'NULL'}
      ${b.where(held(b, lease))}`,
    b.params,
  );
  return rowCount > 0;
}

/**
 * Ends many successful attempts with one statement (the worker groups the completions that arrive while
 * the previous group commits). Returns the ids whose lease was still held.
 */
export async function settleSucceeded(q: Queryable, done: readonly { lease: Lease; settlement: Settlement; result: string }[], now: Date): Promise<Set<number>> {
  if (done.length === 0) return new Set();
  const { rows } = await q.query<Row>(
    `UPDATE job j SET state = u.state, run_at = COALESCE(u.run_at, j.run_at), attempts = u.next_attempts, lease_owner = NULL, lease_until = NULL,
            cancel_requested = false, result = u.result, finished_at = CASE WHEN u.state = 'pending' THEN NULL ELSE $8::timestamptz END
       FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::int[], $7::text[]) AS u(id, owner, attempt, state, run_at, next_attempts, result)
      WHERE j.id = u.id AND j.lease_owner = u.owner AND j.attempts = u.attempt AND j.state = 'running'
      RETURNING j.id`,
    [done.map((d) => d.lease.id), done.map((d) => d.lease.owner), done.map((d) => d.lease.attempt), done.map((d) => d.settlement.state),
      done.map((d) => d.settlement.runAt?.toISOString() ?? null), done.map((d) => d.settlement.attempts), done.map((d) => d.result), now.toISOString()],
  );
  return new Set(rows.map((r) => int(r, 'id')));
}

/** Gives a lease back untouched (the process stops): the attempt does not count. */
export async function releaseJob(q: Queryable, lease: Lease, now: Date): Promise<void> {
  const b = new SqlBuilder();
  await q.query(
    `UPDATE job SET state = 'pending', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, run_at = ${b.bind(now.toISOString())}
      ${b.where(held(b, lease))}`,
    b.params,
  );
}

export async function anyExpired(q: Queryable, now: Date): Promise<boolean> {
  const b = new SqlBuilder();
  const { rows } = await q.query(`SELECT 1 FROM job ${b.where("state = 'running'", `lease_until < ${b.bind(now.toISOString())}`)} LIMIT 1`, b.params);
  return rows.length > 0;
}

/** Running jobs whose lease ran out (their process died or stalled), locked for settling. */
export async function expiredLeases(tx: Queryable, now: Date, limit: number): Promise<Job[]> {
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(
    `SELECT ${JOB_COLUMNS} FROM job ${b.where("state = 'running'", `lease_until < ${b.bind(now.toISOString())}`)} ORDER BY lease_until LIMIT ${b.bind(limit)} FOR UPDATE SKIP LOCKED`,
    b.params,
  );
  return rows.map(jobFromRow);
}

export async function readJob(q: Queryable, id: number): Promise<Job | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT ${JOB_COLUMNS} FROM job ${b.where(b.eq('id', id))}`, b.params);
  return rows[0] ? jobFromRow(rows[0]) : undefined;
}

/** The keyed job (kind, key), whatever its state. */
export async function readKeyedJob(q: Queryable, kind: string, key: string): Promise<Job | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT ${JOB_COLUMNS} FROM job ${b.where(b.eq('kind', kind), b.eq('key', key))}`, b.params);
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
  const b = new SqlBuilder();
  const where = b.where(
    query.state !== undefined && b.eq('state', query.state),
    query.kind !== undefined && b.eq('kind', query.kind),
    query.beforeId !== undefined && `id < ${b.bind(query.beforeId, 'bigint')}`,
  );
  const { rows } = await q.query<Row>(`SELECT ${JOB_COLUMNS} FROM job ${where} ORDER BY id DESC LIMIT ${b.bind(query.limit)}`, b.params);
  return rows.map(jobFromRow);
}

/** Jobs per kind and state (the operator's overview). */
export async function countJobs(q: Queryable): Promise<{ kind: string; state: JobState; count: number }[]> {
  const { rows } = await q.query<Row>('SELECT kind, state, count(*) AS n FROM job GROUP BY kind, state ORDER BY kind, state');
  return rows.map((r) => ({ kind: text(r, 'kind'), state: text(r, 'state') as JobState, count: int(r, 'n') }));
}

/**
 * Cancels a job: a pending or dead one at once; a running one is asked to stop (its worker aborts the
 * attempt's signal and records it cancelled). Returns the state it is left in, or undefined if it had
 * already finished or does not exist.
 */
export async function cancelJob(q: Queryable, id: number, now: Date): Promise<'cancelled' | 'cancelling' | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `UPDATE job SET state = CASE WHEN state = 'running' THEN 'running' ELSE 'cancelled' END,
            cancel_requested = (state = 'running'),
            finished_at = CASE WHEN state = 'running' THEN finished_at ELSE ${b.bind(now.toISOString(), 'timestamptz')} END
      ${b.where(b.eq('id', id), "state IN ('pending', 'running', 'dead')")} RETURNING state`,
    b.params,
  );
  const state = rows[0] ? text(rows[0], 'state') : undefined;
  return state === undefined ? undefined : state === 'running' ? 'cancelling' : 'cancelled';
}

/**
 * The keyed job (kind, key) pending again at a new time with a new payload, whatever state it was left in
 * (unless an attempt is running): a reminder moved with its appointment. False when there is no such row.
 */
export async function rearmKeyedJob(q: Queryable, job: JobInsert & { key: string }): Promise<boolean> {
  const b = new SqlBuilder();
  const { rowCount } = await q.query(
    `UPDATE job SET state = 'pending', run_at = ${b.bind(job.runAt.toISOString(), 'timestamptz')}, payload = ${b.bind(job.payload)}, attempts = 0,
            max_attempts = ${b.bind(job.maxAttempts, 'int')}, last_error = NULL, result = NULL,
            finished_at = NULL, cancel_requested = false, lease_owner = NULL, lease_until = NULL
      ${b.where(b.eq('kind', job.kind), b.eq('key', job.key), "state <> 'running'")}`,
    b.params,
  );
  return rowCount > 0;
}

/** Cancels the keyed job (kind, key) if it is pending. */
export async function cancelKeyedJob(q: Queryable, kind: string, key: string, now: Date): Promise<boolean> {
  const b = new SqlBuilder();
  const { rowCount } = await q.query(
    `UPDATE job SET state = 'cancelled', finished_at = ${b.bind(now.toISOString(), 'timestamptz')} ${b.where(b.eq('kind', kind), b.eq('key', key), "state = 'pending'")}`,
    b.params,
  );
  return rowCount > 0;
}

/** Runs a dead or cancelled job again (from its first attempt, now). Returns whether it did. */
export async function retryJob(q: Queryable, id: number, now: Date): Promise<boolean> {
  const b = new SqlBuilder();
  const { rowCount } = await q.query(
    `UPDATE job SET state = 'pending', attempts = 0, run_at = ${b.bind(now.toISOString())}, finished_at = NULL, cancel_requested = false
      ${b.where(b.eq('id', id), "state IN ('dead', 'cancelled')")}`,
    b.params,
  );
  return rowCount > 0;
}

/** Deletes (at most `limit`) jobs done or cancelled before `before`. Dead jobs stay until retried or cancelled. */
export async function pruneJobs(q: Queryable, before: Date, limit: number): Promise<number> {
  const b = new SqlBuilder();
  const old = b.where("state IN ('done', 'cancelled')", `finished_at < ${b.bind(before.toISOString())}`, 'schedule IS NULL');
  const { rowCount } = await q.query(`DELETE FROM job WHERE id IN (SELECT id FROM job ${old} LIMIT ${b.bind(limit)})`, b.params);
  return rowCount;
}
