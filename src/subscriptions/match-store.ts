import type { Queryable } from '../storage/database.js';
import { SqlBuilder } from '../storage/sql/builder.js';
import { bool, int, text, type Row } from '../storage/sql/rows.js';
import { COLUMNS, toRow, type NewNotification, type SubscriptionRow } from './rows.js';

/** What the matcher reads and writes: the candidates of a batch (the index), the numbered notifications, deleted resources stood in for. */

/** A change the matcher looks candidates up for. */
export interface Changed {
  readonly resourceType: string;
  readonly id: string;
  readonly kind: string;
}

/**
 * The subscriptions that may match a batch of changes (the index, one statement per batch): those of
 * the changed types indexed by their type alone, those that pin one of the changed resources' patients,
 * and those whose value keys (criteria-index.ts) the changed resources' index rows carry — read from
 * the stored rows, the same keys as resourceKeys. A deleted resource has no index rows left: the
 * subscriptions of its type with value keys are its candidates (the matcher's search decides).
 */
export async function candidateSubscriptions(q: Queryable, changes: readonly Changed[], patients: readonly string[], now: Date): Promise<SubscriptionRow[]> {
  const types = [...new Set(changes.map((c) => c.resourceType))];
  if (types.length === 0) return [];
  const b = new SqlBuilder();
  const live = b.and(
    "status IN ('active', 'error')", 'owner IS NOT NULL', `(ends_at IS NULL OR ends_at > ${b.bind(now.toISOString(), 'timestamptz')})`, b.any('resource_type', types, 'text'),
  );
  const current = changes.filter((c) => c.kind !== 'delete');
  const deletedTypes = [...new Set(changes.filter((c) => c.kind === 'delete').map((c) => c.resourceType))];
  const rids = `SELECT r.rid FROM resource r JOIN unnest(${b.bind(current.map((c) => c.resourceType), 'text[]')}, ${b.bind(current.map((c) => c.id), 'text[]')}) AS c(t, i)
                  ON r.resource_type = c.t AND r.id = c.i ${b.where('NOT r.deleted')}`;
  const keys = `SELECT 't:' || t.param || ':' || t.code FROM search_token t ${b.where(`t.rid IN (${rids})`, 't.code IS NOT NULL')}
                UNION SELECT 'r:' || s.param || ':' || s.target FROM search_reference s ${b.where(`s.rid IN (${rids})`, 's.target IS NOT NULL')}`;
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM subscription ${b.where('patient_keys IS NULL', 'criteria_keys IS NULL', live)}
     UNION ALL
     SELECT ${COLUMNS} FROM subscription ${b.where(`patient_keys && ${b.bind([...patients], 'text[]')}`, live)}
     UNION
     SELECT ${COLUMNS} FROM subscription ${b.where('patient_keys IS NULL', `criteria_keys && ARRAY(${keys})`, live)}
     UNION
     SELECT ${COLUMNS} FROM subscription ${b.where('patient_keys IS NULL', 'criteria_keys IS NOT NULL', b.any('resource_type', deletedTypes, 'text'), live)}
     ORDER BY id`,
    b.params,
  );
  return rows.map(toRow);
}

/** The new notifications of one subscription, in event order, and whether delivery jobs send them (rest-hook) or its socket does. */
export interface Append {
  readonly id: string;
  readonly notifications: readonly NewNotification[];
  readonly deliverByJob: boolean;
}

/**
 * Numbers and stores the new notifications of many subscriptions, in the matcher's transaction, with
 * three statements whatever their number (their rows locked in id order). Returns, for each subscription
 * delivered by jobs that had no delivery in flight, the notification its new delivery job starts with
 * (it is marked in flight). A subscription deleted meanwhile is skipped.
 */
export async function appendNotifications(q: Queryable, list: readonly Append[]): Promise<{ id: string; number: number; round: number }[]> {
  const work = list.filter((a) => a.notifications.length > 0);
  if (work.length === 0) return [];
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `WITH old AS (SELECT id, events_since_start, delivered_through, in_flight FROM subscription ${b.where(b.any('id', work.map((a) => a.id), 'text'))} ORDER BY id FOR UPDATE),
          u AS (SELECT * FROM unnest(${b.bind(work.map((a) => a.id), 'text[]')}, ${b.bind(work.map((a) => a.notifications.length), 'bigint[]')}, ${b.bind(work.map((a) => a.deliverByJob), 'boolean[]')}) AS u(id, n, job))
     UPDATE subscription s SET events_since_start = s.events_since_start + u.n, in_flight = s.in_flight OR u.job
       FROM old JOIN u ON u.id = old.id
      ${b.where('s.id = old.id')}
      RETURNING s.id, old.events_since_start AS before, old.delivered_through, old.in_flight AS was_in_flight, s.round`,
    b.params,
  );
  const locked = new Map(rows.map((r) => [text(r, 'id'), r]));
  const numbered = work.flatMap((a) => {
    const row = locked.get(a.id);
    return row ? a.notifications.map((n, k) => ({ id: a.id, number: int(row, 'before') + 1 + k, n })) : [];
  });
  const ins = new SqlBuilder();
  const col = <T>(f: (x: (typeof numbered)[number]) => T, cast: string) => ins.bind(numbered.map(f), cast);
  await q.query(
    `INSERT INTO subscription_notification (subscription_id, number, event_seq, kind, resource_type, resource_id, version_id, patient_id, at)
     SELECT * FROM unnest(${col((x) => x.id, 'text[]')}, ${col((x) => x.number, 'bigint[]')}, ${col((x) => x.n.eventSeq, 'bigint[]')}, ${col((x) => x.n.kind, 'text[]')},
                          ${col((x) => x.n.resourceType, 'text[]')}, ${col((x) => x.n.resourceId, 'text[]')}, ${col((x) => x.n.versionId, 'int[]')},
                          ${col((x) => x.n.patientId, 'text[]')}, ${col((x) => x.n.at, 'timestamptz[]')})`,
    ins.params,
  );
  // A websocket's notifications are not delivered by jobs: nothing is put in flight for them.
  return work.flatMap((a) => {
    const row = locked.get(a.id);
    return row && a.deliverByJob && !bool(row, 'was_in_flight') ? [{ id: a.id, number: int(row, 'delivered_through') + 1, round: int(row, 'round') }] : [];
  });
}

/**
 * Each deleted resource (still deleted at that version) made current again as it was just before its
 * delete — the last version with content, its compartment, labels and writer — for the matcher to search
 * it inside a savepoint it rolls back. Returns the row ids and contents to index.
 */
export async function standInForDeleted(
  tx: Queryable, deletes: readonly { resourceType: string; id: string; versionId: number | null }[],
): Promise<{ rid: string; content: string }[]> {
  const b = new SqlBuilder();
  const d = `unnest(${b.bind(deletes.map((e) => e.resourceType), 'text[]')}, ${b.bind(deletes.map((e) => e.id), 'text[]')}, ${b.bind(deletes.map((e) => e.versionId), 'int[]')}) AS d(t, i, dv)`;
  const { rows } = await tx.query<Row>(
    `UPDATE resource r SET deleted = false, content = v.content, patient_id = v.patient_id, author_org = v.author_org, sensitivity = v.sensitivity
       FROM ${d}
       JOIN LATERAL (SELECT content, patient_id, author_org, sensitivity FROM resource_version
                      WHERE resource_type = d.t AND id = d.i AND version_id < d.dv AND NOT deleted ORDER BY version_id DESC LIMIT 1) v ON true
      ${b.where('r.resource_type = d.t', 'r.id = d.i', 'r.version_id = d.dv', 'r.deleted')}
      RETURNING r.rid::text AS rid, v.content`,
    b.params,
  );
  return rows.map((r) => ({ rid: text(r, 'rid'), content: text(r, 'content') }));
}
