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
import { enqueueDelivery, enqueueStatusSync, type DeliverPayload } from './hook.js';
import { notificationBundle } from './notification.js';
import { principalOfOwner } from './owner.js';
import { maskConsents, masksConsents } from '../consent/masking.js';
import { nextState, type StatusEvent } from './status.js';
import { eventOf, markDelivered, readNotification, readSubscription, saveDeliveryState, versionContent, type NotificationRow, type SubscriptionRow } from './store.js';

export interface DeliverySettings {
  readonly endpoints: EndpointPolicy;
  /** How long an endpoint may take to answer. */
  readonly timeoutMs: number;
  /** Name resolution (injectable for tests). */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
}

const resolveHost = async (host: string): Promise<string[]> => (await lookup(host, { all: true })).map((a) => a.address);

/**
 * One attempt at delivering notification `number` of a subscription: POST to its endpoint, then — in one
 * transaction with the job's completion — record it delivered, enqueue the next notification's job (so
 * a subscription's notifications go out one at a time, in order), and audit it. A failure is recorded
 * (status `error` after repeated failures, with the reason) and audited, then thrown so that the job
 * is retried with backoff; the notification waits at the head, nothing after it is sent first.
 */
export function deliverNotification(ctx: FhirContext, jobs: Jobs, settings: DeliverySettings) {
  const db = ctx.db;
  return async ({ job, signal, complete }: JobContext<DeliverPayload>): Promise<unknown> => {
    const { subscription, number, round } = job.payload;
    const sub = await readSubscription(db, subscription);
    if (!sub || sub.round !== round) return { skipped: 'superseded' };
    if (sub.status === 'off') return { skipped: 'off' };
    const notification = await readNotification(db, subscription, number);
    if (!notification) return { skipped: 'no such notification' };
    let failure: string | undefined;
    if (number > sub.deliveredThrough) {
      try {
        await post(ctx, sub, notification, settings, signal);
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
    }
    const now = ctx.clock();
    if (failure !== undefined) {
      if (signal.aborted && signal.reason === 'shutdown') throw new Error(failure);
      await db.transaction(async (tx) => {
        await settle(tx, ctx, jobs, subscription, { kind: 'failed', error: failure as string });
        await audit(tx, ctx, sub, notification, failure);
      });
      throw new Error(failure);
    }
    await db.transaction(async (tx) => {
      const handOn = await markDelivered(tx, subscription, number, round, now);
      if (handOn) await enqueueDelivery(jobs, tx, { subscription, number: handOn.next, round });
      await settle(tx, ctx, jobs, subscription, { kind: 'delivered' });
      if (number > sub.deliveredThrough) await audit(tx, ctx, sub, notification, undefined);
      await complete(tx, { delivered: number });
    });
    return { delivered: number };
  };
}

async function settle(tx: Queryable, ctx: FhirContext, jobs: Jobs, id: string, event: StatusEvent): Promise<void> {
  const locked = await readSubscription(tx, id, true);
  if (!locked) return;
  const transition = nextState(locked, event);
  if (!transition.changed && transition.failures === locked.failures && transition.lastError === locked.lastError) return;
  const row = await saveDeliveryState(tx, id, transition, ctx.clock());
  if (row && transition.changed) await enqueueStatusSync(jobs, tx, row);
}

async function post(ctx: FhirContext, sub: SubscriptionRow, n: NotificationRow, settings: DeliverySettings, signal: AbortSignal): Promise<void> {
  const { endpoint, headers, content, mime } = sub.channel;
  if (!isAllowListed(endpoint, settings.endpoints)) {
    // Checked again at each delivery: a public name may have come to resolve to a private address.
    const addresses = await (settings.resolve ?? resolveHost)(new URL(endpoint).hostname).catch(() => [] as string[]);
    if (addresses.length === 0) throw new Error(`${new URL(endpoint).hostname} does not resolve`);
    if (addresses.some(isPrivateAddress)) throw new Error(`${new URL(endpoint).hostname} resolves to a private address`);
  }
  let body: string | undefined;
  if (mime !== undefined) {
    const version = content === 'full-resource' ? await versionContent(ctx.db, n) : undefined;
    // A professional's notification shows a Consent as any answer to them does (consent/masking.ts).
    const bundle = notificationBundle({
      fhirBaseUrl: ctx.fhirBaseUrl, subscriptionId: sub.id, status: sub.status, eventsSinceStart: sub.eventsSinceStart,
      ...(sub.topic ? { topic: sub.topic } : {}), now: ctx.clock(), bundleId: randomUUID(), content, events: [eventOf(n, version)],
    });
    body = JSON.stringify(sub.owner && masksConsents(principalOfOwner(sub.owner)) ? maskConsents(bundle as unknown as Record<string, unknown>) : bundle);
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
async function audit(tx: Queryable, ctx: FhirContext, sub: SubscriptionRow, n: NotificationRow, failure: string | undefined): Promise<void> {
  if (!ctx.audit || !sub.owner) return;
  const url = new URL(sub.channel.endpoint);
  const record: AuditRecord = auditRecord({
    uid: randomUUID(), recorded: ctx.clock().toISOString(), event: 'subscription-notification', action: 'E',
    outcome: failure === undefined ? '0' : '8', ...(failure !== undefined ? { outcomeDesc: failure } : {}),
    agent: principalAgent(principalOfOwner(sub.owner), undefined),
    patients: n.patientId ? [n.patientId] : [],
    entities: [`Subscription/${sub.id}`, `${n.resourceType}/${n.resourceId}/_history/${n.versionId}`],
    details: { endpoint: `${url.origin}${url.pathname}`, 'event-number': String(n.number), payload: sub.channel.mime === undefined ? 'none' : sub.channel.content },
  });
  await ctx.audit.insert(tx, [record]);
}
