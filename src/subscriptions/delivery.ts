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
import { visibleTo } from './matcher.js';
import { notificationBundle, type NotificationEvent, type NotificationType } from './notification.js';
import { principalOfOwner } from './owner.js';
import { maskConsents, masksConsents } from '../consent/masking.js';
import { ownerProblem } from './standing.js';
import { nextState, type StatusEvent } from './status.js';
import {
  eventOf, markDelivered, readNotification, readSubscription, releaseSignal, saveDeliveryState, stopDelivery, versionContent,
  withdrawNotification, withdrawRound, type NotificationRow, type SubscriptionRow,
} from './store.js';

export interface DeliverySettings {
  readonly endpoints: EndpointPolicy;
  /** How long an endpoint may take to answer. */
  readonly timeoutMs: number;
  /** Name resolution (injectable for tests). */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
}

const resolveHost = async (host: string): Promise<string[]> => (await lookup(host, { all: true })).map((a) => a.address);

/**
 * One attempt at delivering notification `number` of a subscription (or its handshake or heartbeat):
 * check that its owner still has the access it subscribed with (standing.ts) and still may see the
 * resource, POST to the endpoint, then — in one transaction with the job's completion — record it
 * delivered, enqueue the next notification's job (so a subscription's notifications go out one at a
 * time, in order), and audit it. A failure is recorded (status `error` after repeated failures, with the
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
    const notification = await nextDeliverable(ctx, jobs, sub, job.payload.number);
    if (!notification) return { skipped: 'withdrawn' };
    const { number } = notification;
    let failure: string | undefined;
    if (number > sub.deliveredThrough) {
      try {
        await post(ctx, sub, bodyOf(ctx, sub, 'event-notification', [eventOf(notification, await payloadContent(ctx.db, sub, notification))]), settings, signal);
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
    }
    const now = ctx.clock();
    if (failure !== undefined) {
      if (signal.aborted && signal.reason === 'shutdown') throw new Error(failure);
      await db.transaction(async (tx) => {
        await settle(tx, ctx, jobs, subscription, { kind: 'failed', error: failure as string });
        await audit(tx, ctx, sub, { notification }, failure);
      });
      throw new Error(failure);
    }
    await db.transaction(async (tx) => {
      const handOn = await markDelivered(tx, subscription, number, round, now);
      if (handOn) await enqueueDelivery(jobs, tx, { subscription, number: handOn.next, round });
      await settle(tx, ctx, jobs, subscription, { kind: 'delivered' });
      if (number > sub.deliveredThrough) await audit(tx, ctx, sub, { notification }, undefined);
      await complete(tx, { delivered: number });
    });
    return { delivered: number };
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

/**
 * The notification to send as `number`: the owner must still be allowed to see its resource as it now
 * stands. One it may no longer see (a consent written since it matched) is withdrawn — the later ones
 * move up a number and a new round of delivery starts with a job of its own, or none when nothing is
 * left (undefined is returned then). Deletes are sent as matched: nothing of the resource is left to see.
 */
export async function nextDeliverable(ctx: FhirContext, jobs: Jobs, sub: SubscriptionRow, number: number): Promise<NotificationRow | undefined> {
  return ctx.db.transaction(async (tx) => {
    await readSubscription(tx, sub.id, true);
    const { notification, withdrawn } = await deliverableAt(tx, ctx, sub, number);
    if (withdrawn === 0) return notification;
    const round = await withdrawRound(tx, sub.id, notification !== undefined);
    if (notification) await enqueueDelivery(jobs, tx, { subscription: sub.id, number, round });
    return undefined;
  });
}

/** The notification that is `number` once those the owner may no longer see are withdrawn (row locked by the caller). */
export async function deliverableAt(tx: Queryable, ctx: FhirContext, sub: SubscriptionRow, number: number): Promise<{ notification: NotificationRow | undefined; withdrawn: number }> {
  let withdrawn = 0;
  for (;;) {
    const n = await readNotification(tx, sub.id, number);
    if (!n || n.kind === 'delete' || number <= sub.deliveredThrough || await visibleTo(tx, ctx, sub, n.resourceType, n.resourceId, ctx.clock())) {
      return { notification: n, withdrawn };
    }
    await withdrawNotification(tx, sub.id, number);
    withdrawn++;
  }
}

/** The resource as it was at that version, when the payload carries it. */
export async function payloadContent(q: Queryable, sub: SubscriptionRow, n: NotificationRow): Promise<string | undefined> {
  return sub.channel.content === 'full-resource' && n.kind !== 'delete' ? versionContent(q, n) : undefined;
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
  const n = 'notification' in what ? what.notification : undefined;
  const record: AuditRecord = auditRecord({
    uid: randomUUID(), recorded: ctx.clock().toISOString(), event: 'subscription-notification', action: 'E',
    outcome: failure === undefined ? '0' : '8', ...(failure !== undefined ? { outcomeDesc: failure } : {}),
    agent: principalAgent(principalOfOwner(sub.owner), undefined),
    patients: n?.patientId ? [n.patientId] : [],
    entities: [`Subscription/${sub.id}`, ...(n ? [`${n.resourceType}/${n.resourceId}/_history/${n.versionId}`] : [])],
    details: {
      channel: sub.channel.type, endpoint: endpointOf(sub),
      ...(n ? { 'event-number': String(n.number), change: n.kind } : { type: 'signal' in what ? what.signal : '' }),
      payload: sub.channel.mime === undefined ? 'none' : sub.channel.content,
    },
  });
  await ctx.audit.insert(tx, [record]);
}

/** Where it went, without query string or headers (they may carry secrets). */
function endpointOf(sub: SubscriptionRow): string {
  if (sub.channel.type === 'websocket') return 'websocket';
  const url = new URL(sub.channel.endpoint);
  return `${url.origin}${url.pathname}`;
}
