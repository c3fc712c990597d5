import type { FhirContext } from '../fhir/context.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Queryable } from '../storage/database.js';
import { enqueueDelivery } from './hook.js';
import { visibleOf } from './matcher.js';
import type { NotificationEvent } from './notification.js';
import { contentsByVersion, eventOf, listNotifications, versionKey, withdrawNotification } from './notification-store.js';
import { readSubscription } from './subscription-store.js';
import { withdrawRound } from './delivery-store.js';
import { type NotificationRow, type SubscriptionRow } from './rows.js';

/**
 * What a delivery may send: the next notifications of a subscription, in order, those the owner may no
 * longer see taken back first. A notification Bundle carries several events (the R5 Backport's
 * SubscriptionStatus lists each one's number), so a subscription that fell behind — its endpoint was
 * down, or notifications arrive faster than one round trip — catches up with a few POSTs, not one per event.
 */

/**
 * The notifications from `number` on (at most `max`) once those the owner may no longer see are
 * withdrawn; the subscription's row is locked by the caller. Visibility is one search per resource type
 * of the window; deletes are sent as matched (nothing of the resource is left to see), and notifications
 * already delivered are not checked again.
 */
export async function deliverableRange(
  tx: Queryable, ctx: FhirContext, sub: SubscriptionRow, number: number, max: number,
): Promise<{ notifications: NotificationRow[]; withdrawn: number }> {
  let withdrawn = 0;
  for (;;) {
    const list = await listNotifications(tx, sub.id, number, number + max - 1, max);
    const check = list.filter((n) => n.kind !== 'delete' && n.number > sub.deliveredThrough);
    const hidden: NotificationRow[] = [];
    for (const type of new Set(check.map((n) => n.resourceType))) {
      const ofType = check.filter((n) => n.resourceType === type);
      const visible = await visibleOf(tx, ctx, sub, type, ofType.map((n) => n.resourceId), ctx.clock());
      hidden.push(...ofType.filter((n) => !visible.has(n.resourceId)));
    }
    if (hidden.length === 0) return { notifications: list, withdrawn };
    // From the last: each withdrawal moves the later ones up a number.
    for (const n of hidden.sort((a, b) => b.number - a.number)) await withdrawNotification(tx, sub.id, n.number);
    withdrawn += hidden.length;
  }
}

/**
 * The notifications to send from `number`: when some were withdrawn, the later ones moved up a number
 * and a new round of delivery starts with a job of its own, or none when nothing is left (undefined is
 * returned then). `eventsSinceStart` is the count as locked with them, for the SubscriptionStatus.
 */
export async function nextDeliverable(
  ctx: FhirContext, jobs: Jobs, sub: SubscriptionRow, number: number, max: number,
): Promise<{ notifications: NotificationRow[]; eventsSinceStart: number } | undefined> {
  return ctx.db.transaction(async (tx) => {
    const locked = await readSubscription(tx, sub.id, true);
    if (!locked) return undefined;
    const { notifications, withdrawn } = await deliverableRange(tx, ctx, sub, number, max);
    if (withdrawn === 0) return notifications.length > 0 ? { notifications, eventsSinceStart: locked.eventsSinceStart } : undefined;
    const round = await withdrawRound(tx, sub.id, notifications.length > 0);
    if (notifications.length > 0) await enqueueDelivery(jobs, tx, { subscription: sub.id, number, round });
    return undefined;
  });
}

/** The events of a notification Bundle, each with its version's content when the payload carries it (one statement). */
export async function eventsOf(q: Queryable, sub: SubscriptionRow, list: readonly NotificationRow[]): Promise<NotificationEvent[]> {
  const contents = sub.channel.content === 'full-resource' ? await contentsByVersion(q, list) : new Map<string, string>();
  return list.map((n) => eventOf(n, contents.get(versionKey(n))));
}
