import type { Queryable } from '../storage/database.js';
import { SqlBuilder } from '../storage/sql/builder.js';
import { bool, int, iso, isoOrNull, json, jsonOrNull, text, textOrNull, textsOrNull, type Row } from '../storage/sql/rows.js';
import type { Owner } from './owner.js';
import type { Channel, SubscriptionStatus } from './spec.js';
import type { DeliveryState } from './status.js';
import type { NotificationEvent } from './notification.js';

/** The subscription tables (migration 11): the criteria index, delivery state, numbered notifications. */
/** What a subscription is (its criteria, owner and channel), shared by the stored row and a write. */
interface SubscriptionDefinition extends DeliveryState {
  readonly id: string;
  readonly resourceType: string;
  readonly criteria: string;
  readonly topic: string | null;
  readonly patientKeys: readonly string[] | null;
  readonly owner: Owner | null;
  readonly channel: Channel;
}

export interface SubscriptionRow extends SubscriptionDefinition {
  readonly eventsSinceStart: number;
  readonly deliveredThrough: number;
  readonly inFlight: boolean;
  readonly round: number;
  readonly statusVersion: number;
  readonly endsAt: string | null;
}

export interface NotificationRow extends NewNotification {
  readonly number: number;
}

/** A match of a subscription: the event and the version it is about. */
export interface NewNotification {
  readonly eventSeq: number;
  readonly kind: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly versionId: number;
  readonly patientId: string | null;
  readonly at: string;
}

const COLUMNS = `id, resource_type, criteria, topic, patient_keys, status, owner, channel, events_since_start, delivered_through, in_flight, round, failures,
  last_error, status_version, ends_at`;
const NOTIFICATION_COLUMNS = 'number, event_seq, kind, resource_type, resource_id, version_id, patient_id, at';

function toRow(r: Row): SubscriptionRow {
  return {
    id: text(r, 'id'), resourceType: text(r, 'resource_type'), criteria: text(r, 'criteria'),
    topic: textOrNull(r, 'topic'), patientKeys: textsOrNull(r, 'patient_keys'), status: text(r, 'status') as SubscriptionStatus,
    owner: jsonOrNull<Owner>(r, 'owner'), channel: json<Channel>(r, 'channel'),
    eventsSinceStart: int(r, 'events_since_start'), deliveredThrough: int(r, 'delivered_through'), inFlight: bool(r, 'in_flight'),
    round: int(r, 'round'), failures: int(r, 'failures'), lastError: textOrNull(r, 'last_error'),
    statusVersion: int(r, 'status_version'), endsAt: isoOrNull(r, 'ends_at'),
  };
}

function toNotification(r: Row): NotificationRow {
  return {
    number: int(r, 'number'), eventSeq: int(r, 'event_seq'), kind: text(r, 'kind'), resourceType: text(r, 'resource_type'),
    resourceId: text(r, 'resource_id'), versionId: int(r, 'version_id'), patientId: textOrNull(r, 'patient_id'), at: iso(r, 'at'),
  };
}

export async function readSubscription(q: Queryable, id: string, lock = false): Promise<SubscriptionRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM subscription ${b.where(b.eq('id', id))}${lock ? ' FOR UPDATE' : ''}`, b.params);
  return rows[0] ? toRow(rows[0]) : undefined;
}

export interface SubscriptionWrite extends SubscriptionDefinition {
  readonly endsAt: string | null;
  readonly statusChanged: boolean;
  readonly restart: boolean;
}

/** Stores what a client wrote; returns the row as it now is. */
export async function saveSubscription(q: Queryable, w: SubscriptionWrite, now: Date): Promise<SubscriptionRow> {
  const b = new SqlBuilder();
  const restart = b.bind(w.restart ? 1 : 0, 'int');
  // Heartbeats of a rest-hook are jobs (dueHeartbeats); a websocket's are sent by the socket's process.
  const heartbeat = w.channel.type === 'rest-hook' && w.channel.mime !== undefined ? w.channel.heartbeatSeconds ?? null : null;
  const values = [
    b.bind(w.id), b.bind(w.resourceType), b.bind(w.criteria), b.bind(w.status), b.bind(w.owner ? JSON.stringify(w.owner) : null, 'text'),
    b.bind(JSON.stringify(w.channel)), b.bind(w.failures, 'int'), b.bind(w.lastError, 'text'), b.bind(w.endsAt, 'timestamptz'),
    b.bind(now.toISOString(), 'timestamptz'), b.bind(w.patientKeys, 'text[]'), b.bind(w.topic, 'text'), b.bind(heartbeat, 'int'),
  ];
  const { rows } = await q.query<Row>(
    `INSERT INTO subscription (id, resource_type, criteria, status, owner, channel, failures, last_error, ends_at, updated_at, patient_keys, topic, heartbeat_seconds)
     VALUES (${values.join(', ')})
     ON CONFLICT (id) DO UPDATE SET resource_type = EXCLUDED.resource_type, criteria = EXCLUDED.criteria, status = EXCLUDED.status,
       patient_keys = EXCLUDED.patient_keys, topic = EXCLUDED.topic, heartbeat_seconds = EXCLUDED.heartbeat_seconds,
       owner = EXCLUDED.owner, channel = EXCLUDED.channel, failures = EXCLUDED.failures, last_error = EXCLUDED.last_error,
       ends_at = EXCLUDED.ends_at, updated_at = EXCLUDED.updated_at,
       status_version = subscription.status_version + ${b.bind(w.statusChanged ? 1 : 0, 'int')}, round = subscription.round + ${restart},
       in_flight = subscription.in_flight AND ${restart} = 0
     RETURNING ${COLUMNS}`,
    b.params,
  );
  return toRow(rows[0] as Row);
}

export async function deleteSubscription(q: Queryable, id: string): Promise<void> {
  const b = new SqlBuilder();
  await q.query(`DELETE FROM subscription ${b.where(b.eq('id', id))}`, b.params);
}

/** Delivery state after an attempt (the status, its version bumped when it changed). */
export async function saveDeliveryState(q: Queryable, id: string, state: DeliveryState & { changed: boolean }, now: Date): Promise<SubscriptionRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `UPDATE subscription SET status = ${b.bind(state.status)}, failures = ${b.bind(state.failures, 'int')}, last_error = ${b.bind(state.lastError, 'text')},
            status_version = status_version + ${b.bind(state.changed ? 1 : 0, 'int')}, updated_at = ${b.bind(now.toISOString(), 'timestamptz')}
      ${b.where(b.eq('id', id))} RETURNING ${COLUMNS}`,
    b.params,
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

/**
 * The subscriptions that may match a batch of changes (the index, one statement per batch): those of
 * the changed types that pin no patient, and those that pin one of the changed resources' patients.
 */
export async function candidateSubscriptions(q: Queryable, types: readonly string[], patients: readonly string[], now: Date): Promise<SubscriptionRow[]> {
  if (types.length === 0) return [];
  const b = new SqlBuilder();
  const live = b.and(
    "status IN ('active', 'error')", 'owner IS NOT NULL', `(ends_at IS NULL OR ends_at > ${b.bind(now.toISOString(), 'timestamptz')})`, b.any('resource_type', types, 'text'),
  );
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM subscription ${b.where('patient_keys IS NULL', live)}
     UNION ALL
     SELECT ${COLUMNS} FROM subscription ${b.where(`patient_keys && ${b.bind([...patients], 'text[]')}`, live)}
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

export async function readNotification(q: Queryable, id: string, number: number): Promise<NotificationRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `SELECT ${NOTIFICATION_COLUMNS} FROM subscription_notification ${b.where(b.eq('subscription_id', id), b.eq('number', number, 'bigint'))}`, b.params,
  );
  return rows[0] ? toNotification(rows[0]) : undefined;
}

/** `delivered_at` of notifications `from`..`through` of a subscription. */
async function stampDelivered(q: Queryable, id: string, from: number, through: number, now: Date): Promise<void> {
  const b = new SqlBuilder();
  await q.query(
    `UPDATE subscription_notification SET delivered_at = ${b.bind(now.toISOString(), 'timestamptz')}
      ${b.where(b.eq('subscription_id', id), `number BETWEEN ${b.bind(from, 'bigint')} AND ${b.bind(through, 'bigint')}`)}`,
    b.params,
  );
}

/**
 * Records notifications `from`..`number` as delivered (the subscription row locked); returns the next one
 * to deliver, or nothing — then no delivery is in flight until the matcher appends again. A job of an
 * earlier round (delivery was restarted meanwhile) records its delivery and hands nothing on: the
 * restarted job carries on.
 */
export async function markDelivered(q: Queryable, id: string, from: number, number: number, round: number, now: Date): Promise<{ next: number } | undefined> {
  const lock = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT events_since_start, round FROM subscription ${lock.where(lock.eq('id', id))} FOR UPDATE`, lock.params);
  const row = rows[0];
  if (!row) return undefined;
  await stampDelivered(q, id, from, number, now);
  const current = int(row, 'round') === round;
  const more = int(row, 'events_since_start') > number;
  const b = new SqlBuilder();
  await q.query(
    `UPDATE subscription SET delivered_through = GREATEST(delivered_through, ${b.bind(number, 'bigint')}), last_sent_at = ${b.bind(now.toISOString(), 'timestamptz')}
            ${current ? `, in_flight = ${b.bind(more, 'boolean')}` : ''}
      ${b.where(b.eq('id', id))}`,
    b.params,
  );
  return current && more ? { next: number + 1 } : undefined;
}

/**
 * Takes the subscription's delivery slot for a handshake or heartbeat (nothing else is in flight), so
 * that it goes out in line with the notifications: those matched meanwhile wait for it.
 */
export async function claimSignal(q: Queryable, id: string): Promise<{ round: number } | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`UPDATE subscription SET in_flight = true ${b.where(b.eq('id', id), 'NOT in_flight')} RETURNING round`, b.params);
  return rows[0] ? { round: int(rows[0], 'round') } : undefined;
}

/**
 * After a handshake or heartbeat was sent (or given up): hands the slot on to the first undelivered
 * notification, if any, else frees it. `sent` records when the endpoint last heard from Carnet.
 */
export async function releaseSignal(q: Queryable, id: string, round: number, sent: Date | undefined): Promise<{ next: number } | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `UPDATE subscription SET in_flight = events_since_start > delivered_through, last_sent_at = COALESCE(${b.bind(sent?.toISOString() ?? null, 'timestamptz')}, last_sent_at)
      ${b.where(b.eq('id', id), b.eq('round', round, 'int'))} RETURNING in_flight, delivered_through`,
    b.params,
  );
  const row = rows[0];
  return row && bool(row, 'in_flight') ? { next: int(row, 'delivered_through') + 1 } : undefined;
}

/**
 * Active rest-hook subscriptions with a heartbeatPeriod that have sent nothing for that long and have
 * nothing in flight: each is claimed (in flight) for its heartbeat, in the caller's transaction.
 */
export async function claimDueHeartbeats(q: Queryable, now: Date, limit: number): Promise<{ id: string; round: number }[]> {
  const b = new SqlBuilder();
  const due = b.where(
    'heartbeat_seconds IS NOT NULL', "status = 'active'", 'NOT in_flight', 'owner IS NOT NULL',
    `COALESCE(last_sent_at, updated_at) + heartbeat_seconds * interval '1 second' <= ${b.bind(now.toISOString(), 'timestamptz')}`,
  );
  const { rows } = await q.query<Row>(
    `UPDATE subscription SET in_flight = true WHERE id IN (SELECT id FROM subscription ${due} ORDER BY id LIMIT ${b.bind(limit, 'int')} FOR UPDATE SKIP LOCKED)
     RETURNING id, round`,
    b.params,
  );
  return rows.map((r) => ({ id: text(r, 'id'), round: int(r, 'round') }));
}

/** After a restart (the client reactivated it): the first undelivered notification, marked in flight. */
export async function restartDelivery(q: Queryable, id: string): Promise<{ number: number; round: number } | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `UPDATE subscription SET in_flight = true ${b.where(b.eq('id', id), 'NOT in_flight', 'events_since_start > delivered_through')}
     RETURNING delivered_through, round`,
    b.params,
  );
  const row = rows[0];
  return row ? { number: int(row, 'delivered_through') + 1, round: int(row, 'round') } : undefined;
}

/** Notifications `from`..`to` of a subscription, in order, at most `limit` (for `$events`). */
export async function listNotifications(q: Queryable, id: string, from: number, to: number, limit: number): Promise<NotificationRow[]> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `SELECT ${NOTIFICATION_COLUMNS} FROM subscription_notification
      ${b.where(b.eq('subscription_id', id), `number BETWEEN ${b.bind(from, 'bigint')} AND ${b.bind(to, 'bigint')}`)} ORDER BY number LIMIT ${b.bind(limit, 'int')}`,
    b.params,
  );
  return rows.map(toNotification);
}

/** A stored notification as an event of a notification Bundle. */
export function eventOf(n: NotificationRow, resource: string | undefined): NotificationEvent {
  return {
    number: n.number, at: n.at, focus: { resourceType: n.resourceType, id: n.resourceId, versionId: n.versionId, kind: n.kind === 'create' ? 'create' : n.kind === 'delete' ? 'delete' : 'update' },
    ...(resource ? { resource } : {}),
  };
}

export async function versionContent(db: Queryable, n: NotificationRow): Promise<string | undefined> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT content FROM resource_version ${b.where(b.eq('resource_type', n.resourceType), b.eq('id', n.resourceId), b.eq('version_id', n.versionId, 'int'))}`,
    b.params,
  );
  return rows[0] ? textOrNull(rows[0], 'content') ?? undefined : undefined;
}

/** The contents of the versions these notifications are about (one statement), by notification number; deletes have none. */
export async function versionContents(db: Queryable, list: readonly NotificationRow[]): Promise<Map<number, string>> {
  const wanted = list.filter((n) => n.kind !== 'delete');
  if (wanted.length === 0) return new Map();
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT u.n, v.content FROM unnest(${b.bind(wanted.map((n) => n.number), 'bigint[]')}, ${b.bind(wanted.map((n) => n.resourceType), 'text[]')},
                                       ${b.bind(wanted.map((n) => n.resourceId), 'text[]')}, ${b.bind(wanted.map((n) => n.versionId), 'int[]')}) AS u(n, t, i, ver)
       JOIN resource_version v ON v.resource_type = u.t AND v.id = u.i AND v.version_id = u.ver
      ${b.where('v.content IS NOT NULL')}`,
    b.params,
  );
  return new Map(rows.map((r) => [int(r, 'n'), text(r, 'content')]));
}

/**
 * Takes notification `number` back before it was delivered (its resource is no longer the owner's to
 * see): it is removed and the later ones move up a number, so the subscriber never learns there was
 * one — not as an id, not in the count. Only undelivered notifications come after it (delivery is in
 * order). The caller holds the subscription's row lock.
 */
export async function withdrawNotification(q: Queryable, id: string, number: number): Promise<void> {
  const del = new SqlBuilder();
  await q.query(`DELETE FROM subscription_notification ${del.where(del.eq('subscription_id', id), del.eq('number', number, 'bigint'))}`, del.params);
  // Through negative numbers: the primary key is checked row by row.
  const up = new SqlBuilder();
  await q.query(
    `UPDATE subscription_notification SET number = -(number - 1) ${up.where(up.eq('subscription_id', id), `number > ${up.bind(number, 'bigint')}`)}`, up.params,
  );
  const back = new SqlBuilder();
  await q.query(`UPDATE subscription_notification SET number = -number ${back.where(back.eq('subscription_id', id), 'number < 0')}`, back.params);
  const count = new SqlBuilder();
  await q.query(`UPDATE subscription SET events_since_start = events_since_start - 1 ${count.where(count.eq('id', id))}`, count.params);
}

/** Delivery stopped (the owner lost its access): nothing in flight until the subscription is written again. */
export async function stopDelivery(q: Queryable, id: string, round: number): Promise<void> {
  const b = new SqlBuilder();
  await q.query(`UPDATE subscription SET in_flight = false ${b.where(b.eq('id', id), b.eq('round', round, 'int'))}`, b.params);
}

/**
 * After withdrawals: a new delivery round (the jobs keyed by the old numbers are done with), in flight
 * when a notification is left to send, free otherwise. Returns the new round.
 */
export async function withdrawRound(q: Queryable, id: string, more: boolean): Promise<number> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `UPDATE subscription SET round = round + 1, in_flight = ${b.bind(more, 'boolean')} ${b.where(b.eq('id', id))} RETURNING round`, b.params,
  );
  return int(rows[0] as Row, 'round');
}

/** A websocket notification went out (the row locked by the sender). */
export async function markSent(q: Queryable, id: string, number: number, now: Date): Promise<void> {
  await stampDelivered(q, id, number, number, now);
  const b = new SqlBuilder();
  await q.query(
    `UPDATE subscription SET delivered_through = GREATEST(delivered_through, ${b.bind(number, 'bigint')}), last_sent_at = ${b.bind(now.toISOString(), 'timestamptz')}
      ${b.where(b.eq('id', id))}`,
    b.params,
  );
}

/** The subscription's row, locked, or nothing when another transaction holds it (it delivers, or the matcher appends). */
export async function tryLockSubscription(q: Queryable, id: string): Promise<SubscriptionRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM subscription ${b.where(b.eq('id', id))} FOR UPDATE SKIP LOCKED`, b.params);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Which of these subscriptions have notifications not yet sent (or are gone, or off: their sockets are told). */
export async function pendingSubscriptions(q: Queryable, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `SELECT i AS id FROM unnest(${b.bind([...ids], 'text[]')}) AS i LEFT JOIN subscription s ON s.id = i
      ${b.where("s.id IS NULL OR s.status = 'off' OR s.events_since_start > s.delivered_through")}`,
    b.params,
  );
  return rows.map((r) => text(r, 'id'));
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
