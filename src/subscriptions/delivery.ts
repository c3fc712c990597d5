import { lookup } from 'node:dns/promises';
import { randomUUID } from 'node:crypto';
import { auditRecord } from '../audit/event.js';
import type { AuditRecord } from '../audit/record.js';
import { principalAgent } from '../audit/fhir-audit.js';
import type { FhirContext } from '../fhir/context.js';
import type { JobContext } from '../jobs/jobs.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Queryable } from '../storage/database.js';
import { isAllowListed, isPrivateAddress, type EndpointPolicy } from './endpoint.js';
import { enqueueDelivery, enqueueStatusSync, type DeliverPayload, type Signal } from './hook.js';
import { eventsOf, nextDeliverable } from './deliverable.js';
import { notificationBundle, type NotificationEvent, type NotificationType } from './notification.js';
import { principalOfOwner } from './owner.js';
import { maskConsents, masksConsents } from '../consent/masking.js';
import { ownerProblem } from './standing.js';
import { nextState, type StatusEvent } from './status.js';
import { markDelivered, readSubscription, releaseSignal, saveDeliveryState, stopDelivery, type NotificationRow, type SubscriptionRow } from './store.js';

export interface DeliverySettings {
  readonly endpoints: EndpointPolicy;
  /** The most events one notification Bundle carries (CARNET_SUBSCRIPTION_MAX_EVENTS). */
  readonly maxEvents: number;
  /** How long an endpoint may take to answer. */
  readonly timeoutMs: number;
  /** Name resolution (injectable for tests). */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
}

const resolveHost = async (host: string): Promise<string[]> => (await lookup(host, { all: true })).map((a) => a.address);

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
  return async ({ job, signal, complete }: JobContext<DeliverPayload>): Promise<unknown> => {
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

/** The notification's body: a Backport Bundle, or nothing for an R4 subscription without payload. */
export function bodyOf(ctx: FhirContext, sub: SubscriptionRow, type: NotificationType, events: readonly NotificationEvent[]): string | undefined {
  if (sub.channel.mime === undefined) return undefined;
  const bundle = notificationBundle({
    fhirBaseUrl: ctx.fhirBaseUrl, subscriptionId: sub.id, status: sub.status, type, eventsSinceStart: sub.eventsSinceStart,
    ...(sub.topic ? { topic: sub.topic } : {}), now: ctx.clock(), bundleId: randomUUID(), content: sub.channel.content, events,
  });
  // A professional's notification shows a Consent as any answer to them does (consent/masking.ts), on every channel.
  return JSON.stringify(sub.owner && masksConsents(principalOfOwner(sub.owner)) ? maskConsents(bundle as unknown as Record<string, unknown>) : bundle);
}

export async function settle(tx: Queryable, ctx: FhirContext, jobs: Jobs, id: string, event: StatusEvent): Promise<void> {
  const locked = await readSubscription(tx, id, true);
  if (!locked) return;
  const transition = nextState(locked, event);
  if (!transition.changed && transition.failures === locked.failures && transition.lastError === locked.lastError) return;
  const row = await saveDeliveryState(tx, id, transition, ctx.clock());
  if (row && transition.changed) await enqueueStatusSync(jobs, tx, row);
}

async function post(ctx: FhirContext, sub: SubscriptionRow, body: string | undefined, settings: DeliverySettings, signal: AbortSignal): Promise<void> {
  const { endpoint, headers, mime } = sub.channel;
  if (!isAllowListed(endpoint, settings.endpoints)) {
    // Checked again at each delivery: a public name may have come to resolve to a private address.
    const addresses = await (settings.resolve ?? resolveHost)(new URL(endpoint).hostname).catch(() => [] as string[]);
    if (addresses.length === 0) throw new Error(`${new URL(endpoint).hostname} does not resolve`);
    if (addresses.some(isPrivateAddress)) throw new Error(`${new URL(endpoint).hostname} resolves to a private address`);
  }
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'user-agent': 'Carnet', ...Object.fromEntries(headers.map((h) => [h.name, h.value])), ...(body !== undefined ? { 'content-type': mime as string } : {}) },
    ...(body !== undefined ? { body } : {}),
    redirect: 'manual',
    signal: AbortSignal.any([signal, AbortSignal.timeout(settings.timeoutMs)]),
  }).catch((error: unknown) => {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const name = (error as { name?: string }).name;
    throw new Error(name === 'TimeoutError' ? `the endpoint did not answer within ${settings.timeoutMs} ms` : `the endpoint could not be reached${cause ? ` (${cause})` : ''}`);
  });
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299) throw new Error(`the endpoint answered ${response.status}`);
}

/** Who was told what about whom: the owner (the recipient), the subscription, the resource, the patient. */
export async function audit(
  tx: Queryable, ctx: FhirContext, sub: SubscriptionRow, what: { notification: NotificationRow } | { signal: Signal }, failure: string | undefined,
): Promise<void> {
  if (!ctx.audit || !sub.owner) return;
  await ctx.audit.insert(tx, [auditOf(ctx, sub, what, failure)]);
}

/** One audit record per event of a notification Bundle, inserted together. */
async function auditNotifications(tx: Queryable, ctx: FhirContext, sub: SubscriptionRow, list: readonly NotificationRow[], failure: string | undefined): Promise<void> {
  if (!ctx.audit || !sub.owner || list.length === 0) return;
  await ctx.audit.insert(tx, list.map((notification) => auditOf(ctx, sub, { notification }, failure)));
}

function auditOf(ctx: FhirContext, sub: SubscriptionRow, what: { notification: NotificationRow } | { signal: Signal }, failure: string | undefined): AuditRecord {
  const n = 'notification' in what ? what.notification : undefined;
  return auditRecord({
    uid: randomUUID(), recorded: ctx.clock().toISOString(), event: 'subscription-notification', action: 'E',
    outcome: failure === undefined ? '0' : '8', ...(failure !== undefined ? { outcomeDesc: failure } : {}),
    agent: principalAgent(principalOfOwner(sub.owner as NonNullable<SubscriptionRow['owner']>), undefined),
    patients: n?.patientId ? [n.patientId] : [],
    entities: [`Subscription/${sub.id}`, ...(n ? [`${n.resourceType}/${n.resourceId}/_history/${n.versionId}`] : [])],
    details: {
      channel: sub.channel.type, endpoint: endpointOf(sub),
      ...(n ? { 'event-number': String(n.number), change: n.kind } : { type: 'signal' in what ? what.signal : '' }),
      payload: sub.channel.mime === undefined ? 'none' : sub.channel.content,
    },
  });
}

/** Where it went, without query string or headers (they may carry secrets). */
function endpointOf(sub: SubscriptionRow): string {
  if (sub.channel.type === 'websocket') return 'websocket';
  const url = new URL(sub.channel.endpoint);
  return `${url.origin}${url.pathname}`;
}
