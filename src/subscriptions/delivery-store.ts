import type { Queryable } from '../storage/database.js';
import { SqlBuilder } from '../storage/sql/builder.js';
import { bool, int, text, type Row } from '../storage/sql/rows.js';

/**
 * A subscription's delivery slot (`in_flight`, `round`) and progress (`delivered_through`): one delivery
 * at a time per subscription, handed on from notification to notification, handshake and heartbeat in line.
 */

/** `delivered_at` of notifications `from`..`through` of a subscription. */
export async function stampDelivered(q: Queryable, id: string, from: number, through: number, now: Date): Promise<void> {
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

/** Websocket notifications `from`..`through` went out (the row locked by the sender). */
export async function markSent(q: Queryable, id: string, from: number, through: number, now: Date): Promise<void> {
  await stampDelivered(q, id, from, through, now);
  const b = new SqlBuilder();
  await q.query(
    `UPDATE subscription SET delivered_through = GREATEST(delivered_through, ${b.bind(through, 'bigint')}), last_sent_at = ${b.bind(now.toISOString(), 'timestamptz')}
      ${b.where(b.eq('id', id))}`,
    b.params,
  );
}

/** A batch delivery's record of one subscription: notifications `from`..`through` delivered in round `round`. */
export interface Delivered {
  readonly id: string;
  readonly from: number;
  readonly through: number;
  readonly round: number;
}

/**
 * markDelivered for several subscriptions with two statements (their rows locked by the caller, who
 * read `eventsSinceStart` and `round` with the lock): returns those whose next notifications are to be
 * handed on, with the number to start from. A subscription restarted meanwhile (another round) records
 * its delivery and hands nothing on, as in markDelivered.
 */
export async function markDeliveredMany(
  q: Queryable, list: readonly Delivered[], locked: ReadonlyMap<string, { eventsSinceStart: number; round: number }>, now: Date,
): Promise<{ id: string; number: number; round: number }[]> {
  const work = list.filter((d) => locked.has(d.id));
  if (work.length === 0) return [];
  const at = now.toISOString();
  const stamp = new SqlBuilder();
  await q.query(
    `UPDATE subscription_notification n SET delivered_at = ${stamp.bind(at, 'timestamptz')}
       FROM unnest(${stamp.bind(work.map((d) => d.id), 'text[]')}, ${stamp.bind(work.map((d) => d.from), 'bigint[]')}, ${stamp.bind(work.map((d) => d.through), 'bigint[]')}) AS d(id, f, t)
      ${stamp.where('n.subscription_id = d.id', 'n.number BETWEEN d.f AND d.t')}`,
    stamp.params,
  );
  const state = work.map((d) => {
    const row = locked.get(d.id) as { eventsSinceStart: number; round: number };
    const current = row.round === d.round;
    return { d, current, more: row.eventsSinceStart > d.through };
  });
  const b = new SqlBuilder();
  await q.query(
    `UPDATE subscription s SET delivered_through = GREATEST(s.delivered_through, u.t), last_sent_at = ${b.bind(at, 'timestamptz')},
            in_flight = CASE WHEN u.cur THEN u.more ELSE s.in_flight END
       FROM unnest(${b.bind(state.map((x) => x.d.id), 'text[]')}, ${b.bind(state.map((x) => x.d.through), 'bigint[]')}, ${b.bind(state.map((x) => x.current), 'boolean[]')},
                   ${b.bind(state.map((x) => x.more), 'boolean[]')}) AS u(id, t, cur, more)
      ${b.where('s.id = u.id')}`,
    b.params,
  );
  return state.filter((x) => x.current && x.more).map((x) => ({ id: x.d.id, number: x.d.through + 1, round: x.d.round }));
}
