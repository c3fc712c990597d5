import type { FhirContext } from '../fhir/context.js';
import type { JobContext } from '../jobs/jobs.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Queryable } from '../storage/database.js';
import { enqueueDelivery, enqueueStatusSync, type BatchPayload, type DeliverPayload, type Signal } from './hook.js';
import { deliverBatch } from './batch-delivery.js';
import { eventsOf, nextDeliverable } from './deliverable.js';
import { ownerProblem } from './standing.js';
import { nextState, type StatusEvent } from './status.js';
import { markDelivered, releaseSignal, stopDelivery } from './delivery-store.js';
import { readSubscription, saveDeliveryState } from './subscription-store.js';
import type { NotificationRow, SubscriptionRow } from './rows.js';
import { audit, auditNotifications, bodyOf, post, type DeliverySettings } from './send.js';

export type { DeliverySettings } from './send.js';

/**
 * One attempt at delivering the notifications of a subscription from `number` on (or its handshake or
 * heartbeat): check that its owner still has the access it subscribed with (standing.ts) and still may
 * see the resources, POST them in one Bundle (up to `maxEvents`, in order), then — in one transaction with
 * the job's completion — record them delivered, enqueue the job of the next ones (so a subscription's
 * notifications go out one POST at a time, in order), and audit each. A failure is recorded (status `error` after repeated failures, with the
 * reason) and audited, then thrown so that the job is retried with backoff; the notification waits at
 * the head, nothing after it is sent first. A failed heartbeat is not retried: the next one will come.
 */
export function deliverNotification(ctx: FhirContext, jobs: Jobs, settings: DeliverySettings) {
  const db = ctx.db;
  return async ({ job, signal, complete }: JobContext<DeliverPayload | BatchPayload>): Promise<unknown> => {
    if ('items' in job.payload) return deliverBatch(ctx, jobs, settings, { job: { ...job, payload: job.payload }, signal, complete });
    const { subscription, round } = job.payload;
    const sub = await readSubscription(db, subscription);
    if (!sub || sub.round !== round) return { skipped: 'superseded' };
    if (sub.status === 'off') return { skipped: 'off' };
    const problem = sub.owner ? await ownerProblem(db, sub.owner, sub.resourceType, ctx.ownerStanding) : 'it has no owner';
    if (problem) {
      await db.transaction(async (tx) => {
        await stopDelivery(tx, subscription, round);
        await settle(tx, ctx, jobs, subscription, { kind: 'revoked', error: `delivery stopped: ${problem}` });
        await complete(tx, { stopped: problem });
      });
      return { stopped: problem };
    }
    if (job.payload.signal) return deliverSignal(ctx, jobs, settings, sub, job.payload.signal, { signal, complete });
    const batch = await nextDeliverable(ctx, jobs, sub, job.payload.number, settings.maxEvents);
    if (!batch) return { skipped: 'withdrawn' };
    const first = job.payload.number;
    const last = (batch.notifications.at(-1) as NotificationRow).number;
    // Those an earlier attempt delivered (its completion was lost) are not sent again.
    const fresh = batch.notifications.filter((n) => n.number > sub.deliveredThrough);
    let failure: string | undefined;
    if (fresh.length > 0) {
      try {
        const status = { ...sub, eventsSinceStart: batch.eventsSinceStart };
        await post(ctx, sub, bodyOf(ctx, status, 'event-notification', await eventsOf(ctx.db, sub, fresh)), settings, signal);
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
    }
    const now = ctx.clock();
    if (failure !== undefined) {
      if (signal.aborted && signal.reason === 'shutdown') throw new Error(failure);
      await db.transaction(async (tx) => {
        await settle(tx, ctx, jobs, subscription, { kind: 'failed', error: failure as string });
        await auditNotifications(tx, ctx, sub, fresh, failure);
      });
      throw new Error(failure);
    }
    await db.transaction(async (tx) => {
      const handOn = await markDelivered(tx, subscription, first, last, round, now);
      if (handOn) await enqueueDelivery(jobs, tx, { subscription, number: handOn.next, round });
      await settle(tx, ctx, jobs, subscription, { kind: 'delivered' });
      await auditNotifications(tx, ctx, sub, fresh, undefined);
      await complete(tx, { delivered: first === last ? first : [first, last] });
    });
    return { delivered: first === last ? first : [first, last] };
  };
}

/** A handshake or heartbeat: the SubscriptionStatus alone, in line with the notifications. */
async function deliverSignal(
  ctx: FhirContext, jobs: Jobs, settings: DeliverySettings, sub: SubscriptionRow, type: Signal,
  { signal, complete }: Pick<JobContext<DeliverPayload>, 'signal' | 'complete'>,
): Promise<unknown> {
  let failure: string | undefined;
  try {
    await post(ctx, sub, bodyOf(ctx, sub, type, []), settings, signal);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  if (failure !== undefined && signal.aborted && signal.reason === 'shutdown') throw new Error(failure);
  await ctx.db.transaction(async (tx) => {
    await settle(tx, ctx, jobs, sub.id, failure === undefined ? { kind: 'delivered' } : { kind: 'failed', error: failure });
    await audit(tx, ctx, sub, { signal: type }, failure);
    // A handshake that failed is retried at the head; a heartbeat is not (the next one will come).
    if (failure !== undefined && type === 'handshake') return;
    const handOn = await releaseSignal(tx, sub.id, sub.round, failure === undefined ? ctx.clock() : undefined);
    if (handOn) await enqueueDelivery(jobs, tx, { subscription: sub.id, number: handOn.next, round: sub.round });
    await complete(tx, failure === undefined ? { sent: type } : { failed: type, error: failure });
  });
  if (failure !== undefined && type === 'handshake') throw new Error(failure);
  return failure === undefined ? { sent: type } : { failed: type };
}

export async function settle(tx: Queryable, ctx: FhirContext, jobs: Jobs, id: string, event: StatusEvent): Promise<void> {
  const locked = await readSubscription(tx, id, true);
  if (!locked) return;
  const transition = nextState(locked, event);
  if (!transition.changed && transition.failures === locked.failures && transition.lastError === locked.lastError) return;
  const row = await saveDeliveryState(tx, id, transition, ctx.clock());
  if (row && transition.changed) await enqueueStatusSync(jobs, tx, row);
}

