import type { Queryable } from '../storage/database.js';
import { SqlBuilder } from '../storage/sql/builder.js';
import { int, text, textOrNull, type Row } from '../storage/sql/rows.js';
import type { NotificationEvent } from './notification.js';
import { NOTIFICATION_COLUMNS, toNotification, type NotificationRow } from './rows.js';

/** The numbered notifications of a subscription: read, replayed (`$events`), with their versions' contents, withdrawn. */

export async function readNotification(q: Queryable, id: string, number: number): Promise<NotificationRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `SELECT ${NOTIFICATION_COLUMNS} FROM subscription_notification ${b.where(b.eq('subscription_id', id), b.eq('number', number, 'bigint'))}`, b.params,
  );
  return rows[0] ? toNotification(rows[0]) : undefined;
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

/** The notifications `from`..`to` of several subscriptions (one statement), in order, by subscription. */
export async function listWindows(q: Queryable, windows: readonly { id: string; from: number; to: number }[]): Promise<Map<string, NotificationRow[]>> {
  const out = new Map<string, NotificationRow[]>(windows.map((w) => [w.id, []]));
  if (windows.length === 0) return out;
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(
    `SELECT n.subscription_id, ${NOTIFICATION_COLUMNS.split(', ').map((c) => `n.${c}`).join(', ')}
       FROM unnest(${b.bind(windows.map((w) => w.id), 'text[]')}, ${b.bind(windows.map((w) => w.from), 'bigint[]')}, ${b.bind(windows.map((w) => w.to), 'bigint[]')}) AS w(id, f, t)
       JOIN subscription_notification n ON n.subscription_id = w.id AND n.number BETWEEN w.f AND w.t
      ORDER BY n.subscription_id, n.number`,
    b.params,
  );
  for (const r of rows) out.get(text(r, 'subscription_id'))?.push(toNotification(r));
  return out;
}

/** The contents of the versions notifications of any subscriptions are about (one statement), by `Type/id/version`; deletes have none. */
export async function contentsByVersion(db: Queryable, list: readonly NotificationRow[]): Promise<Map<string, string>> {
  const wanted = [...new Map(list.filter((n) => n.kind !== 'delete').map((n) => [versionKey(n), n])).values()];
  if (wanted.length === 0) return new Map();
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT v.resource_type, v.id, v.version_id, v.content
       FROM unnest(${b.bind(wanted.map((n) => n.resourceType), 'text[]')}, ${b.bind(wanted.map((n) => n.resourceId), 'text[]')}, ${b.bind(wanted.map((n) => n.versionId), 'int[]')}) AS u(t, i, ver)
       JOIN resource_version v ON v.resource_type = u.t AND v.id = u.i AND v.version_id = u.ver
      ${b.where('v.content IS NOT NULL')}`,
    b.params,
  );
  return new Map(rows.map((r) => [`${text(r, 'resource_type')}/${text(r, 'id')}/${int(r, 'version_id')}`, text(r, 'content')]));
}

export function versionKey(n: Pick<NotificationRow, 'resourceType' | 'resourceId' | 'versionId'>): string {
  return `${n.resourceType}/${n.resourceId}/${n.versionId}`;
}
