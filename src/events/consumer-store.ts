import type { Queryable } from '../storage/database.js';
import { EVENT_COLUMNS, eventFromRow, type ChangeEvent, type ChangeKind, type EventCursor } from './event.js';

/**
 * The SQL of the outbox's readers. A consumer's position is a snapshot (see EventCursor): it reads the
 * events of transactions visible now and not in its snapshot — so an event of a transaction that was
 * still running when the consumer last looked is read once it commits, and a long transaction holds back
 * only its own events. The index on (xid, seq) bounds every scan from the snapshot's xmin.
 */

type Row = Record<string, unknown>;

/** Events newer than cursor `c` (columns base_snapshot, target_snapshot, after_seq) and visible in `visible`. */
function pending(e: string, base: string, visible: string): string {
  return `${e}.xid >= pg_snapshot_xmin(${base}::pg_snapshot) AND NOT pg_visible_in_snapshot(${e}.xid, ${base}::pg_snapshot)
          AND pg_visible_in_snapshot(${e}.xid, ${visible})`;
}

/** Creates the consumer's cursor if it has none yet: at the current snapshot ("now"), or before every kept event. */
export async function ensureConsumer(db: Queryable, name: string, start: 'now' | 'beginning', at: Date): Promise<void> {
  await db.query(
    `INSERT INTO event_consumer (name, base_snapshot, created_at)
     VALUES ($1, CASE WHEN $2 = 'now' THEN pg_current_snapshot()::text ELSE '3:3:' END, $3)
     ON CONFLICT (name) DO NOTHING`,
    [name, start, at.toISOString()],
  );
}

/** Names of these consumers that have events to read now. One index probe each. */
export async function consumersWithWork(db: Queryable, names: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.name FROM event_consumer c
      WHERE c.name = ANY($1::text[])
        AND EXISTS (SELECT 1 FROM change_event e WHERE ${pending('e', 'c.base_snapshot', 'pg_current_snapshot()')})`,
    [[...names]],
  );
  return rows.map((r) => r.name);
}

const CURSOR_COLUMNS = 'base_snapshot AS base, target_snapshot AS target, after_seq';

function cursorOf(row: Row): EventCursor {
  return { base: row.base as string, target: (row.target as string | null) ?? null, afterSeq: Number(row.after_seq) };
}

/** Locks the consumer's cursor for this transaction, or returns undefined when another process holds it. */
export async function lockConsumer(tx: Queryable, name: string): Promise<EventCursor | undefined> {
  const { rows } = await tx.query<Row>(`SELECT ${CURSOR_COLUMNS} FROM event_consumer WHERE name = $1 FOR UPDATE SKIP LOCKED`, [name]);
  return rows[0] ? cursorOf(rows[0]) : undefined;
}

export interface EventFilter {
  readonly types?: readonly string[];
  readonly kinds?: readonly ChangeKind[];
}

/**
 * The next events after `cursor` (at most `limit`, in seq order), and the snapshot they were read up to:
 * the cursor's pinned target, or the current snapshot.
 */
export async function readEvents(tx: Queryable, cursor: EventCursor, filter: EventFilter, limit: number): Promise<{ events: ChangeEvent[]; target: string }> {
  const target = cursor.target ?? ((await tx.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s')).rows[0]?.s as string);
  const { rows } = await tx.query<Row>(
    `SELECT ${EVENT_COLUMNS} FROM change_event e
      WHERE ${pending('e', '$1', '$2::pg_snapshot')} AND e.seq > $3
        AND ($4::text[] IS NULL OR e.resource_type = ANY($4::text[])) AND ($5::text[] IS NULL OR e.kind = ANY($5::text[]))
      ORDER BY e.seq LIMIT $6`,
    [cursor.base, target, cursor.afterSeq, filter.types ? [...filter.types] : null, filter.kinds ? [...filter.kinds] : null, limit],
  );
  return { events: rows.map(eventFromRow), target };
}

export async function advanceConsumer(tx: Queryable, name: string, cursor: EventCursor, handled: number, at: Date): Promise<void> {
  await tx.query(
    `UPDATE event_consumer SET base_snapshot = $2, target_snapshot = $3, after_seq = $4, handled = handled + $5, failures = 0, last_error = NULL,
            last_handled_at = CASE WHEN $5 > 0 THEN $6::timestamptz ELSE last_handled_at END
      WHERE name = $1`,
    [name, cursor.base, cursor.target, cursor.afterSeq, handled, at.toISOString()],
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
  const behind = `FROM change_event e WHERE ${pending('e', 'c.base_snapshot', 'pg_current_snapshot()')}
                    AND (c.target_snapshot IS NULL OR NOT pg_visible_in_snapshot(e.xid, c.target_snapshot::pg_snapshot) OR e.seq > c.after_seq)`;
  const { rows } = await db.query<Row>(
    `SELECT c.name, ${CURSOR_COLUMNS}, c.handled, c.failures, c.last_error, c.last_handled_at, c.created_at,
            (SELECT count(*) FROM (SELECT 1 ${behind} LIMIT 1000000) b) AS behind,
            (SELECT min(e.at) ${behind}) AS oldest
       FROM event_consumer c WHERE ($1::text IS NULL OR c.name = $1) ORDER BY c.name`,
    [name ?? null],
  );
  return rows.map((row) => {
    const oldest = iso(row.oldest);
    return {
      name: row.name as string,
      cursor: cursorOf(row),
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
  const row = (await tx.query<Row>(`SELECT ${CURSOR_COLUMNS} FROM event_consumer WHERE name = $1 FOR UPDATE`, [name])).rows[0];
  if (!row) return undefined;
  const cursor = cursorOf(row);
  const { events: [head], target } = await readEvents(tx, cursor, {}, 1);
  if (head) {
    await tx.query('UPDATE event_consumer SET target_snapshot = $2, after_seq = $3, failures = 0, last_error = NULL WHERE name = $1', [name, target, head.seq]);
  }
  return head;
}

export async function deleteConsumer(db: Queryable, name: string): Promise<boolean> {
  return (await db.query('DELETE FROM event_consumer WHERE name = $1', [name])).rowCount > 0;
}

/**
 * Deletes (at most `limit`) events older than `before` that every consumer has passed — visible in every
 * consumer's snapshot; with no consumer, every committed one. Exact even while a long transaction keeps
 * the snapshots' xmin back, so the readers' scans stay short. Returns how many went.
 */
export async function pruneEvents(db: Queryable, before: Date, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM change_event WHERE (xid, seq) IN (
       SELECT e.xid, e.seq FROM change_event e
        WHERE e.at < $1 AND pg_visible_in_snapshot(e.xid, pg_current_snapshot())
          AND NOT EXISTS (SELECT 1 FROM event_consumer c WHERE NOT pg_visible_in_snapshot(e.xid, c.base_snapshot::pg_snapshot))
        ORDER BY e.xid, e.seq LIMIT $2)`,
    [before.toISOString(), limit],
  );
  return rowCount;
}
