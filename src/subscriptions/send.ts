import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { auditRecord } from '../audit/event.js';
import type { AuditRecord } from '../audit/record.js';
import { principalAgent } from '../audit/fhir-audit.js';
import { maskConsents, masksConsents } from '../consent/masking.js';
import type { FhirContext } from '../fhir/context.js';
import type { Queryable } from '../storage/database.js';
import { isAllowListed, isPrivateAddress, type EndpointPolicy } from './endpoint.js';
import type { Signal } from './hook.js';
import { notificationBundle, type NotificationEvent, type NotificationType } from './notification.js';
import { principalOfOwner } from './owner.js';
import type { NotificationRow, SubscriptionRow } from './rows.js';

/** What goes out to a subscriber and the audit record of it: the notification's body, the POST, who was told what. */

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

export async function post(ctx: FhirContext, sub: SubscriptionRow, body: string | undefined, settings: DeliverySettings, signal: AbortSignal): Promise<void> {
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
export async function auditNotifications(tx: Queryable, ctx: FhirContext, sub: SubscriptionRow, list: readonly NotificationRow[], failure: string | undefined): Promise<void> {
  if (!ctx.audit || !sub.owner || list.length === 0) return;
  await ctx.audit.insert(tx, list.map((notification) => auditOf(ctx, sub, { notification }, failure)));
}

export function auditOf(ctx: FhirContext, sub: SubscriptionRow, what: { notification: NotificationRow } | { signal: Signal }, failure: string | undefined): AuditRecord {
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
