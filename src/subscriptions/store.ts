import type { Queryable } from '../storage/database.js';
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

type Row = Record<string, unknown>;
const COLUMNS = `id, resource_type, criteria, topic, patient_keys, status, owner, channel, events_since_start, delivered_through, in_flight, round, failures,
  last_error, status_version, ends_at`;

function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

function toRow(r: Row): SubscriptionRow {
  return {
    id: r.id as string, resourceType: r.resource_type as string, criteria: r.criteria as string,
    topic: (r.topic as string | null) ?? null, patientKeys: (r.patient_keys as string[] | null) ?? null, status: r.status as SubscriptionStatus,
    owner: r.owner ? (JSON.parse(r.owner as string) as Owner) : null, channel: JSON.parse(r.channel as string) as Channel,
    eventsSinceStart: Number(r.events_since_start), deliveredThrough: Number(r.delivered_through), inFlight: Boolean(r.in_flight),
    round: Number(r.round), failures: Number(r.failures), lastError: (r.last_error as string | null) ?? null,
    statusVersion: Number(r.status_version), endsAt: r.ends_at ? iso(r.ends_at) : null,
  };
}

function toNotification(r: Row): NotificationRow {
  return {
    number: Number(r.number), eventSeq: Number(r.event_seq), kind: r.kind as string, resourceType: r.resource_type as string,
    resourceId: r.resource_id as string, versionId: Number(r.version_id), patientId: (r.patient_id as string | null) ?? null, at: iso(r.at),
  };
}

export async function readSubscription(q: Queryable, id: string, lock = false): Promise<SubscriptionRow | undefined> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM subscription WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

export interface SubscriptionWrite extends SubscriptionDefinition {
  readonly endsAt: string | null;
  readonly statusChanged: boolean;
  readonly restart: boolean;
}

/** Stores what a client wrote; returns the row as it now is. */
export async function saveSubscription(q: Queryable, w: SubscriptionWrite, now: Date): Promise<SubscriptionRow> {
  const { rows } = await q.query<Row>(
    `INSERT INTO subscription (id, resource_type, criteria, status, owner, channel, failures, last_error, ends_at, updated_at, patient_keys, topic, heartbeat_seconds)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $13::text[], $14, $15)
     ON CONFLICT (id) DO UPDATE SET resource_type = EXCLUDED.resource_type, criteria = EXCLUDED.criteria, status = EXCLUDED.status,
       patient_keys = EXCLUDED.patient_keys, topic = EXCLUDED.topic, heartbeat_seconds = EXCLUDED.heartbeat_seconds,
       owner = EXCLUDED.owner, channel = EXCLUDED.channel, failures = EXCLUDED.failures, last_error = EXCLUDED.last_error,
       ends_at = EXCLUDED.ends_at, updated_at = EXCLUDED.updated_at,
       status_version = subscription.status_version + $11, round = subscription.round + $12,
       in_flight = subscription.in_flight AND $12 = 0
     RETURNING ${COLUMNS}`,
    [w.id, w.resourceType, w.criteria, w.status, w.owner ? JSON.stringify(w.owner) : null, JSON.stringify(w.channel), w.failures, w.lastError,
      w.endsAt, now.toISOString(), w.statusChanged ? 1 : 0, w.restart ? 1 : 0, w.patientKeys, w.topic,
      // Heartbeats of a rest-hook are jobs (dueHeartbeats); a websocket's are sent by the socket's process.
      w.channel.type === 'rest-hook' && w.channel.mime !== undefined ? w.channel.heartbeatSeconds ?? null : null],
  );
  return toRow(rows[0] as Row);
}

export async function deleteSubscription(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM subscription WHERE id = $1', [id]);
}

/** Delivery state after an attempt (the status, its version bumped when it changed). */
export async function saveDeliveryState(q: Queryable, id: string, state: DeliveryState & { changed: boolean }, now: Date): Promise<SubscriptionRow | undefined> {
  const { rows } = await q.query<Row>(
    `UPDATE subscription SET status = $2, failures = $3, last_error = $4, status_version = status_version + $5, updated_at = $6
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, state.status, state.failures, state.lastError, state.changed ? 1 : 0, now.toISOString()],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

/**
 * The subscriptions that may match a batch of changes (the index, one statement per batch): those of
 * the changed types that pin no patient, and those that pin one of the changed resources' patients.
 */
export async function candidateSubscriptions(q: Queryable, types: readonly string[], patients: readonly string[], now: Date): Promise<SubscriptionRow[]> {
  if (types.length === 0) return [];
  const live = `status IN ('active', 'error') AND owner IS NOT NULL AND (ends_at IS NULL OR ends_at > $3) AND resource_type = ANY($1::text[])`;
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM subscription WHERE patient_keys IS NULL AND ${live}
     UNION ALL
     SELECT ${COLUMNS} FROM subscription WHERE patient_keys && $2::text[] AND ${live}
     ORDER BY id`,
    [types, patients, now.toISOString()],
  );
  return rows.map(toRow);
}

/**
 * Numbers and stores a subscription's new notifications, in the matcher's transaction. When no delivery
 * is in flight for it, returns the notification the new delivery job starts with (and marks one in flight).
 */
export async function appendNotifications(q: Queryable, id: string, list: readonly NewNotification[], deliverByJob = true): Promise<{ start?: { number: number; round: number } }> {
  if (list.length === 0) return {};
  const { rows } = await q.query<Row>(
    `SELECT events_since_start, delivered_through, in_flight, round FROM subscription WHERE id = $1 FOR UPDATE`, [id],
  );
  const row = rows[0];
  if (!row) return {};
  const first = Number(row.events_since_start) + 1;
  await q.query(
    `INSERT INTO subscription_notification (subscription_id, number, event_seq, kind, resource_type, resource_id, version_id, patient_id, at)
     SELECT $1, $2 + o - 1, s, k, t, i, v, p, a
       FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::timestamptz[]) WITH ORDINALITY AS x(s, k, t, i, v, p, a, o)`,
    [id, first, list.map((n) => n.eventSeq), list.map((n) => n.kind), list.map((n) => n.resourceType), list.map((n) => n.resourceId),
      list.map((n) => n.versionId), list.map((n) => n.patientId), list.map((n) => n.at)],
  );
  // A websocket's notifications are not delivered by jobs: nothing is put in flight for them.
  const start = deliverByJob && !row.in_flight;
  await q.query(
    'UPDATE subscription SET events_since_start = events_since_start + $2, in_flight = in_flight OR $3 WHERE id = $1', [id, list.length, deliverByJob],
  );
  return start ? { start: { number: Number(row.delivered_through) + 1, round: Number(row.round) } } : {};
}

export async function readNotification(q: Queryable, id: string, number: number): Promise<NotificationRow | undefined> {
  const { rows } = await q.query<Row>(
    `SELECT number, event_seq, kind, resource_type, resource_id, version_id, patient_id, at FROM subscription_notification
      WHERE subscription_id = $1 AND number = $2`, [id, number],
  );
  return rows[0] ? toNotification(rows[0]) : undefined;
}

/**
 * Records notification `number` as delivered (the subscription row locked); returns the next one to
 * deliver, or nothing — then no delivery is in flight until the matcher appends again. A job of an
 * earlier round (delivery was restarted meanwhile) records its delivery and hands nothing on: the
 * restarted job carries on.
 */
export async function markDelivered(q: Queryable, id: string, number: number, round: number, now: Date): Promise<{ next: number } | undefined> {
  const { rows } = await q.query<Row>('SELECT events_since_start, round FROM subscription WHERE id = $1 FOR UPDATE', [id]);
  const row = rows[0];
  if (!row) return undefined;
  await q.query('UPDATE subscription_notification SET delivered_at = $3 WHERE subscription_id = $1 AND number = $2', [id, number, now.toISOString()]);
  const current = Number(row.round) === round;
  const more = Number(row.events_since_start) > number;
  await q.query(
    `UPDATE subscription SET delivered_through = GREATEST(delivered_through, $2), last_sent_at = $3${current ? ', in_flight = $4' : ''} WHERE id = $1`,
    current ? [id, number, now.toISOString(), more] : [id, number, now.toISOString()],
  );
  return current && more ? { next: number + 1 } : undefined;
}

/**
 * Takes the subscription's delivery slot for a handshake or heartbeat (nothing else is in flight), so
 * that it goes out in line with the notifications: those matched meanwhile wait for it.
 */
export async function claimSignal(q: Queryable, id: string): Promise<{ round: number } | undefined> {
  const { rows } = await q.query<Row>('UPDATE subscription SET in_flight = true WHERE id = $1 AND NOT in_flight RETURNING round', [id]);
  return rows[0] ? { round: Number(rows[0].round) } : undefined;
}

/**
 * After a handshake or heartbeat was sent (or given up): hands the slot on to the first undelivered
 * notification, if any, else frees it. `sent` records when the endpoint last heard from Carnet.
 */
export async function releaseSignal(q: Queryable, id: string, round: number, sent: Date | undefined): Promise<{ next: number } | undefined> {
  const { rows } = await q.query<Row>(
    `UPDATE subscription SET in_flight = events_since_start > delivered_through, last_sent_at = COALESCE($3, last_sent_at)
      WHERE id = $1 AND round = $2 RETURNING in_flight, delivered_through`, [id, round, sent?.toISOString() ?? null],
  );
  const row = rows[0];
  return row && row.in_flight ? { next: Number(row.delivered_through) + 1 } : undefined;
}

/**
 * Active rest-hook subscriptions with a heartbeatPeriod that have sent nothing for that long and have
 * nothing in flight: each is claimed (in flight) for its heartbeat, in the caller's transaction.
 */
export async function claimDueHeartbeats(q: Queryable, now: Date, limit: number): Promise<{ id: string; round: number }[]> {
  const { rows } = await q.query<Row>(
    `UPDATE subscription SET in_flight = true WHERE id IN (
       SELECT id FROM subscription
        WHERE heartbeat_seconds IS NOT NULL AND status = 'active' AND NOT in_flight AND owner IS NOT NULL
          AND COALESCE(last_sent_at, updated_at) + heartbeat_seconds * interval '1 second' <= $1::timestamptz
        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING id, round`, [now.toISOString(), limit],
  );
  return rows.map((r) => ({ id: r.id as string, round: Number(r.round) }));
}

/** After a restart (the client reactivated it): the first undelivered notification, marked in flight. */
export async function restartDelivery(q: Queryable, id: string): Promise<{ number: number; round: number } | undefined> {
  const { rows } = await q.query<Row>(
    `UPDATE subscription SET in_flight = true WHERE id = $1 AND NOT in_flight AND events_since_start > delivered_through
     RETURNING delivered_through, round`, [id],
  );
  const row = rows[0];
  return row ? { number: Number(row.delivered_through) + 1, round: Number(row.round) } : undefined;
}

/** Notifications `from`..`to` of a subscription, in order, at most `limit` (for `$events`). */
export async function listNotifications(q: Queryable, id: string, from: number, to: number, limit: number): Promise<NotificationRow[]> {
  const { rows } = await q.query<Row>(
    `SELECT number, event_seq, kind, resource_type, resource_id, version_id, patient_id, at FROM subscription_notification
      WHERE subscription_id = $1 AND number BETWEEN $2 AND $3 ORDER BY number LIMIT $4`, [id, from, to, limit],
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
  const { rows } = await db.query<{ content: string | null }>(
    'SELECT content FROM resource_version WHERE resource_type = $1 AND id = $2 AND version_id = $3', [n.resourceType, n.resourceId, n.versionId],
  );
  return rows[0]?.content ?? undefined;
}

/**
 * Takes notification `number` back before it was delivered (its resource is no longer the owner's to
 * see): it is removed and the later ones move up a number, so the subscriber never learns there was
 * one — not as an id, not in the count. Only undelivered notifications come after it (delivery is in
 * order). The caller holds the subscription's row lock.
 */
export async function withdrawNotification(q: Queryable, id: string, number: number): Promise<void> {
  await q.query('DELETE FROM subscription_notification WHERE subscription_id = $1 AND number = $2', [id, number]);
  // Through negative numbers: the primary key is checked row by row.
  await q.query('UPDATE subscription_notification SET number = -(number - 1) WHERE subscription_id = $1 AND number > $2', [id, number]);
  await q.query('UPDATE subscription_notification SET number = -number WHERE subscription_id = $1 AND number < 0', [id]);
  await q.query('UPDATE subscription SET events_since_start = events_since_start - 1 WHERE id = $1', [id]);
}

/** Delivery stopped (the owner lost its access): nothing in flight until the subscription is written again. */
export async function stopDelivery(q: Queryable, id: string, round: number): Promise<void> {
  await q.query('UPDATE subscription SET in_flight = false WHERE id = $1 AND round = $2', [id, round]);
}

/**
 * After withdrawals: a new delivery round (the jobs keyed by the old numbers are done with), in flight
 * when a notification is left to send, free otherwise. Returns the new round.
 */
export async function withdrawRound(q: Queryable, id: string, more: boolean): Promise<number> {
  const { rows } = await q.query<Row>('UPDATE subscription SET round = round + 1, in_flight = $2 WHERE id = $1 RETURNING round', [id, more]);
  return Number(rows[0]?.round);
}

/** A websocket notification went out (the row locked by the sender). */
export async function markSent(q: Queryable, id: string, number: number, now: Date): Promise<void> {
  await q.query('UPDATE subscription_notification SET delivered_at = $3 WHERE subscription_id = $1 AND number = $2', [id, number, now.toISOString()]);
  await q.query('UPDATE subscription SET delivered_through = GREATEST(delivered_through, $2), last_sent_at = $3 WHERE id = $1', [id, number, now.toISOString()]);
}

/** The subscription's row, locked, or nothing when another transaction holds it (it delivers, or the matcher appends). */
export async function tryLockSubscription(q: Queryable, id: string): Promise<SubscriptionRow | undefined> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM subscription WHERE id = $1 FOR UPDATE SKIP LOCKED`, [id]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Which of these subscriptions have notifications not yet sent (or are gone, or off: their sockets are told). */
export async function pendingSubscriptions(q: Queryable, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await q.query<{ id: string }>(
    `SELECT i AS id FROM unnest($1::text[]) AS i LEFT JOIN subscription s ON s.id = i
      WHERE s.id IS NULL OR s.status = 'off' OR s.events_since_start > s.delivered_through`, [ids],
  );
  return rows.map((r) => r.id);
}
