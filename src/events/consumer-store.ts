import type { Queryable } from '../storage/database.js';
import { SqlBuilder } from '../storage/sql/builder.js';
import { int, isoOrNull, iso, text, textOrNull, type Row } from '../storage/sql/rows.js';
import { EVENT_COLUMNS, eventFromRow, type ChangeEvent, type ChangeKind, type EventCursor } from './event.js';

/**
 * The SQL of the outbox's readers. A consumer's position is a snapshot (see EventCursor): it reads the
 * events of transactions visible now and not in its snapshot — so an event of a transaction that was
 * still running when the consumer last looked is read once it commits, and a long transaction holds back
 * only its own events. The index on (xid, seq) bounds every scan from the snapshot's xmin.
 */

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
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT c.name FROM event_consumer c
      ${b.where(b.any('c.name', names, 'text'), `EXISTS (SELECT 1 FROM change_event e WHERE ${pending('e', 'c.base_snapshot', 'pg_current_snapshot()')})`)}`,
    b.params,
  );
  return rows.map((r) => text(r, 'name'));
}

const CURSOR_COLUMNS = 'base_snapshot AS base, target_snapshot AS target, after_seq';

function cursorOf(row: Row): EventCursor {
  return { base: text(row, 'base'), target: textOrNull(row, 'target'), afterSeq: int(row, 'after_seq') };
}

/** Locks the consumer's cursor for this transaction, or returns undefined when another process holds it. */
export async function lockConsumer(tx: Queryable, name: string): Promise<EventCursor | undefined> {
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(`SELECT ${CURSOR_COLUMNS} FROM event_consumer ${b.where(b.eq('name', name))} FOR UPDATE SKIP LOCKED`, b.params);
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
  const target = cursor.target ?? text((await tx.query<Row>('SELECT pg_current_snapshot()::text AS s')).rows[0] ?? {}, 's');
  const b = new SqlBuilder();
  const where = b.where(
    pending('e', b.bind(cursor.base), `${b.bind(target)}::pg_snapshot`),
    `e.seq > ${b.bind(cursor.afterSeq)}`,
    filter.types && b.any('e.resource_type', filter.types, 'text'),
    filter.kinds && b.any('e.kind', filter.kinds, 'text'),
  );
  const { rows } = await tx.query<Row>(`SELECT ${EVENT_COLUMNS} FROM change_event e ${where} ORDER BY e.seq LIMIT ${b.bind(limit)}`, b.params);
  return { events: rows.map(eventFromRow), target };
}

export async function advanceConsumer(tx: Queryable, name: string, cursor: EventCursor, handled: number, at: Date): Promise<void> {
  const b = new SqlBuilder();
  await tx.query(
    `UPDATE event_consumer SET base_snapshot = ${b.bind(cursor.base)}, target_snapshot = ${b.bind(cursor.target)}, after_seq = ${b.bind(cursor.afterSeq)},
            handled = handled + ${b.bind(handled, 'int')}, failures = 0, last_error = NULL,
            last_handled_at = ${handled > 0 ? b.bind(at.toISOString(), 'timestamptz') : 'last_handled_at'}
      ${b.where(b.eq('name', name))}`,
    b.params,
  );
}

/** Records a failed batch (outside the rolled-back transaction), for operators. */
export async function recordConsumerFailure(db: Queryable, name: string, message: string): Promise<void> {
  const b = new SqlBuilder();
  await db.query(`UPDATE event_consumer SET failures = failures + 1, last_error = ${b.bind(message.slice(0, 2000))} ${b.where(b.eq('name', name))}`, b.params);
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

/** Every consumer's position and lag (`name` for one). */
export async function consumerLag(db: Queryable, now: Date, name?: string): Promise<ConsumerLag[]> {
  const behind = `FROM change_event e WHERE ${pending('e', 'c.base_snapshot', 'pg_current_snapshot()')}
                    AND (c.target_snapshot IS NULL OR NOT pg_visible_in_snapshot(e.xid, c.target_snapshot::pg_snapshot) OR e.seq > c.after_seq)`;
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT c.name, ${CURSOR_COLUMNS}, c.handled, c.failures, c.last_error, c.last_handled_at, c.created_at,
            (SELECT count(*) FROM (SELECT 1 ${behind} LIMIT 1000000) b) AS behind,
            (SELECT min(e.at) ${behind}) AS oldest
       FROM event_consumer c ${b.where(name !== undefined && b.eq('c.name', name))} ORDER BY c.name`,
    b.params,
  );
  return rows.map((row) => {
    const oldest = isoOrNull(row, 'oldest');
    return {
      name: text(row, 'name'),
      cursor: cursorOf(row),
      behind: int(row, 'behind'),
      oldestAgeSeconds: oldest ? Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000) : 0,
      handled: int(row, 'handled'),
      failures: int(row, 'failures'),
      lastError: textOrNull(row, 'last_error'),
      lastHandledAt: isoOrNull(row, 'last_handled_at'),
      createdAt: iso(row, 'created_at'),
    };
  });
}

/** Moves a consumer past the first event it has not handled (an operator's way past a poison event). */
export async function skipOneEvent(tx: Queryable, name: string): Promise<ChangeEvent | undefined> {
  const b = new SqlBuilder();
  const row = (await tx.query<Row>(`SELECT ${CURSOR_COLUMNS} FROM event_consumer ${b.where(b.eq('name', name))} FOR UPDATE`, b.params)).rows[0];
  if (!row) return undefined;
  const cursor = cursorOf(row);
  const { events: [head], target } = await readEvents(tx, cursor, {}, 1);
  if (head) {
    const u = new SqlBuilder();
    await tx.query(`UPDATE event_consumer SET target_snapshot = ${u.bind(target)}, after_seq = ${u.bind(head.seq)}, failures = 0, last_error = NULL ${u.where(u.eq('name', name))}`, u.params);
  }
  return head;
}

export async function deleteConsumer(db: Queryable, name: string): Promise<boolean> {
  const b = new SqlBuilder();
  return (await db.query(`DELETE FROM event_consumer ${b.where(b.eq('name', name))}`, b.params)).rowCount > 0;
}

/**
 * Deletes (at most `limit`) events older than `before` that every consumer has passed — visible in every
 * consumer's snapshot; with no consumer, every committed one. Exact even while a long transaction keeps
 * the snapshots' xmin back, so the readers' scans stay short. Returns how many went.
 */
export async function pruneEvents(db: Queryable, before: Date, limit: number): Promise<number> {
  const b = new SqlBuilder();
  const passed = b.where(
    `e.at < ${b.bind(before.toISOString())}`, 'pg_visible_in_snapshot(e.xid, pg_current_snapshot())',
    'NOT EXISTS (SELECT 1 FROM event_consumer c WHERE NOT pg_visible_in_snapshot(e.xid, c.base_snapshot::pg_snapshot))',
  );
  const { rowCount } = await db.query(
    `DELETE FROM change_event WHERE (xid, seq) IN (SELECT e.xid, e.seq FROM change_event e ${passed} ORDER BY e.xid, e.seq LIMIT ${b.bind(limit)})`,
    b.params,
  );
  return rowCount;
}
