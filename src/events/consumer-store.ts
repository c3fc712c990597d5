import type { Queryable } from '../storage/database.js';
import { EVENT_COLUMNS, eventFromRow, type ChangeEvent, type ChangeKind, type EventCursor } from './event.js';

/**
 * The SQL of the outbox's readers. Every read is bounded by the horizon — the oldest transaction still
 * running, `pg_snapshot_xmin(pg_current_snapshot())` — so that what a consumer has passed can never be
 * joined later by an event of a transaction that commits after it looked (docs/events-and-jobs.md).
 */

type Row = Record<string, unknown>;

const HORIZON = 'pg_snapshot_xmin(pg_current_snapshot())';

/** Creates the consumer's cursor if it has none: at the horizon ("now") or before every kept event. */
export async function ensureConsumer(db: Queryable, name: string, start: 'now' | 'beginning', at: Date): Promise<void> {
  await db.query(
    `INSERT INTO event_consumer (name, cursor_xid, cursor_seq, created_at)
     VALUES ($1, CASE WHEN $2 = 'now' THEN ${HORIZON} ELSE '0'::xid8 END, 0, $3)
     ON CONFLICT (name) DO NOTHING`,
    [name, start, at.toISOString()],
  );
}

/** Names of these consumers that have events to read now. One index probe each. */
export async function consumersWithWork(db: Queryable, names: readonly string[]): Promise<{ ready: string[]; waiting: boolean }> {
  const { rows } = await db.query<{ name: string | null; waiting: boolean }>(
    `SELECT c.name, false AS waiting FROM event_consumer c
      WHERE c.name = ANY($1::text[]) AND EXISTS (
        SELECT 1 FROM change_event e WHERE (e.xid, e.seq) > (c.cursor_xid, c.cursor_seq) AND e.xid < ${HORIZON})
     UNION ALL
     -- committed events that wait for an older transaction to end before anyone may read them
     SELECT NULL, EXISTS (SELECT 1 FROM change_event WHERE xid >= ${HORIZON})`,
    [[...names]],
  );
  return { ready: rows.filter((r) => r.name !== null).map((r) => r.name as string), waiting: rows.some((r) => r.waiting) };
}

/** Locks the consumer's cursor for this transaction, or returns undefined when another process holds it. */
export async function lockConsumer(tx: Queryable, name: string): Promise<EventCursor | undefined> {
  const { rows } = await tx.query<Row>(
    'SELECT cursor_xid::text AS xid, cursor_seq AS seq FROM event_consumer WHERE name = $1 FOR UPDATE SKIP LOCKED',
    [name],
  );
  const row = rows[0];
  return row ? { xid: String(row.xid), seq: Number(row.seq) } : undefined;
}

export interface EventFilter {
  readonly types?: readonly string[];
  readonly kinds?: readonly ChangeKind[];
}

/** The next events after `cursor` (at most `limit`), and the horizon they were read under. */
export async function readEvents(tx: Queryable, cursor: EventCursor, filter: EventFilter, limit: number): Promise<{ events: ChangeEvent[]; horizon: string }> {
  const horizon = (await tx.query<{ h: string }>(`SELECT ${HORIZON}::text AS h`)).rows[0]?.h as string;
  const { rows } = await tx.query<Row>(
    `SELECT ${EVENT_COLUMNS} FROM change_event
      WHERE (xid, seq) > ($1::xid8, $2::bigint) AND xid < $3::xid8
        AND ($4::text[] IS NULL OR resource_type = ANY($4::text[])) AND ($5::text[] IS NULL OR kind = ANY($5::text[]))
      ORDER BY xid, seq LIMIT $6`,
    [cursor.xid, cursor.seq, horizon, filter.types ? [...filter.types] : null, filter.kinds ? [...filter.kinds] : null, limit],
  );
  return { events: rows.map(eventFromRow), horizon };
}

export async function advanceConsumer(tx: Queryable, name: string, cursor: EventCursor, handled: number, at: Date): Promise<void> {
  await tx.query(
    `UPDATE event_consumer SET cursor_xid = $2::xid8, cursor_seq = $3, handled = handled + $4, failures = 0, last_error = NULL,
            last_handled_at = CASE WHEN $4 > 0 THEN $5::timestamptz ELSE last_handled_at END
      WHERE name = $1`,
    [name, cursor.xid, cursor.seq, handled, at.toISOString()],
  );
}

/** Records a failed batch (outside the rolled-back transaction), for operators. */
export async function recordConsumerFailure(db: Queryable, name: string, message: string): Promise<void> {
  await db.query('UPDATE event_consumer SET failures = failures + 1, last_error = $2 WHERE name = $1', [name, message.slice(0, 2000)]);
}

export interface ConsumerLag {
  readonly name: string;
  readonly cursor: EventCursor;
  /** Events after the cursor (committed and readable now), counted up to 1,000,000. */
  readonly behind: number;
  /** Age of the oldest event not yet handled (0 when caught up). */
  readonly oldestAgeSeconds: number;
  readonly handled: number;
  readonly failures: number;
  readonly lastError: string | null;
  readonly lastHandledAt: string | null;
  readonly createdAt: string;
}

function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

/** Every consumer's position and lag (`name` for one). */
export async function consumerLag(db: Queryable, now: Date, name?: string): Promise<ConsumerLag[]> {
  const { rows } = await db.query<Row>(
    `SELECT c.name, c.cursor_xid::text AS xid, c.cursor_seq AS seq, c.handled, c.failures, c.last_error, c.last_handled_at, c.created_at,
            (SELECT count(*) FROM (SELECT 1 FROM change_event e WHERE (e.xid, e.seq) > (c.cursor_xid, c.cursor_seq) AND e.xid < ${HORIZON}
                                    LIMIT 1000000) behind) AS behind,
            (SELECT e.at FROM change_event e WHERE (e.xid, e.seq) > (c.cursor_xid, c.cursor_seq) AND e.xid < ${HORIZON}
              ORDER BY e.xid, e.seq LIMIT 1) AS oldest
       FROM event_consumer c WHERE ($1::text IS NULL OR c.name = $1) ORDER BY c.name`,
    [name ?? null],
  );
  return rows.map((row) => {
    const oldest = iso(row.oldest);
    return {
      name: row.name as string,
      cursor: { xid: String(row.xid), seq: Number(row.seq) },
      behind: Number(row.behind),
      oldestAgeSeconds: oldest ? Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000) : 0,
      handled: Number(row.handled),
      failures: Number(row.failures),
      lastError: (row.last_error as string | null) ?? null,
      lastHandledAt: iso(row.last_handled_at),
      createdAt: iso(row.created_at) as string,
    };
  });
}

/** Moves a consumer past the first event it has not handled (an operator's way past a poison event). */
export async function skipOneEvent(tx: Queryable, name: string): Promise<ChangeEvent | undefined> {
  const cursor = (await tx.query<Row>('SELECT cursor_xid::text AS xid, cursor_seq AS seq FROM event_consumer WHERE name = $1 FOR UPDATE', [name])).rows[0];
  if (!cursor) return undefined;
  const { rows } = await tx.query<Row>(
    `SELECT ${EVENT_COLUMNS} FROM change_event WHERE (xid, seq) > ($1::xid8, $2::bigint) AND xid < ${HORIZON} ORDER BY xid, seq LIMIT 1`,
    [cursor.xid, Number(cursor.seq)],
  );
  const head = rows[0] ? eventFromRow(rows[0]) : undefined;
  if (head) await tx.query('UPDATE event_consumer SET cursor_xid = $2::xid8, cursor_seq = $3, failures = 0, last_error = NULL WHERE name = $1', [name, head.xid, head.seq]);
  return head;
}

export async function deleteConsumer(db: Queryable, name: string): Promise<boolean> {
  return (await db.query('DELETE FROM event_consumer WHERE name = $1', [name])).rowCount > 0;
}

/**
 * Deletes (at most `limit`) events every consumer has passed and older than `before`; with no consumer,
 * every readable event older than `before`. Returns how many went.
 */
export async function pruneEvents(db: Queryable, before: Date, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM change_event WHERE (xid, seq) IN (
       SELECT e.xid, e.seq FROM change_event e
        WHERE e.xid < ${HORIZON} AND e.at < $1
          AND (NOT EXISTS (SELECT 1 FROM event_consumer)
               OR (e.xid, e.seq) <= (SELECT cursor_xid, cursor_seq FROM event_consumer ORDER BY cursor_xid, cursor_seq LIMIT 1))
        ORDER BY e.xid, e.seq LIMIT $2)`,
    [before.toISOString(), limit],
  );
  return rowCount;
}
