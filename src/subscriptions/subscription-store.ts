import type { Queryable } from '../storage/database.js';
import { SqlBuilder } from '../storage/sql/builder.js';
import { text, type Row } from '../storage/sql/rows.js';
import type { DeliveryState } from './status.js';
import { COLUMNS, toRow, type SubscriptionDefinition, type SubscriptionRow } from './rows.js';

/** The subscription rows: what a client wrote (the criteria index, owner, channel) and their delivery state. */

export async function readSubscription(q: Queryable, id: string, lock = false): Promise<SubscriptionRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM subscription ${b.where(b.eq('id', id))}${lock ? ' FOR UPDATE' : ''}`, b.params);
  return rows[0] ? toRow(rows[0]) : undefined;
}

export interface SubscriptionWrite extends SubscriptionDefinition {
  /** The criteria index's value keys (criteria-index.ts), when it pins no patient. */
  readonly criteriaKeys: readonly string[] | null;
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
    b.bind(now.toISOString(), 'timestamptz'), b.bind(w.patientKeys, 'text[]'), b.bind(w.topic, 'text'), b.bind(heartbeat, 'int'), b.bind(w.criteriaKeys, 'text[]'),
  ];
  const { rows } = await q.query<Row>(
    `INSERT INTO subscription (id, resource_type, criteria, status, owner, channel, failures, last_error, ends_at, updated_at, patient_keys, topic, heartbeat_seconds, criteria_keys)
     VALUES (${values.join(', ')})
     ON CONFLICT (id) DO UPDATE SET resource_type = EXCLUDED.resource_type, criteria = EXCLUDED.criteria, status = EXCLUDED.status,
       patient_keys = EXCLUDED.patient_keys, criteria_keys = EXCLUDED.criteria_keys, topic = EXCLUDED.topic, heartbeat_seconds = EXCLUDED.heartbeat_seconds,
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

/** Several subscriptions by id (one statement), locked in id order when `lock` (a batch delivery records them). */
export async function readSubscriptions(q: Queryable, ids: readonly string[], lock = false): Promise<SubscriptionRow[]> {
  if (ids.length === 0) return [];
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM subscription ${b.where(b.any('id', [...new Set(ids)], 'text'))} ORDER BY id${lock ? ' FOR UPDATE' : ''}`, b.params);
  return rows.map(toRow);
}
