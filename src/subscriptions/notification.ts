import type { Bundle, BundleEntry, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import type { PayloadContent, SubscriptionStatus } from './spec.js';

/**
 * Notification Bundles (pure), in the shape of the Subscriptions R5 Backport IG for R4: a `history`
 * Bundle whose first entry is the SubscriptionStatus (a Parameters resource) with the subscription's
 * event count and each event's number, then — for `id-only` and `full-resource` — each changed
 * resource's entry (its URL, and its content for `full-resource`). `empty` carries the status alone.
 * The same shape answers `$status` (`query-status`, no events) and `$events` (`query-event`). A
 * subscription without a payload (R4) gets an empty POST: no body at all.
 */
export type NotificationType = 'event-notification' | 'query-status' | 'query-event' | 'handshake' | 'heartbeat';

export interface NotificationEvent {
  readonly number: number;
  readonly at: string;
  /** The version the event is about; for a delete, the deleted version (its content is not sent). */
  readonly focus: { readonly resourceType: string; readonly id: string; readonly versionId: number; readonly kind: 'create' | 'update' | 'delete' };
  /** The version's stored JSON, for `full-resource`. */
  readonly resource?: string;
}

export interface NotificationInput {
  readonly fhirBaseUrl: string;
  readonly subscriptionId: string;
  readonly status: SubscriptionStatus;
  readonly type?: NotificationType;
  readonly topic?: string;
  readonly eventsSinceStart: number;
  readonly error?: string;
  readonly now: Date;
  readonly bundleId: string;
  readonly content: PayloadContent;
  readonly events: readonly NotificationEvent[];
}

function eventParameter(base: string, content: PayloadContent, e: NotificationEvent): ParametersParameter {
  return {
    name: 'notification-event',
    part: [
      { name: 'event-number', valueString: String(e.number) },
      { name: 'timestamp', valueInstant: e.at },
      ...(content !== 'empty' ? [{ name: 'focus', valueReference: { reference: `${base}/${e.focus.resourceType}/${e.focus.id}/_history/${e.focus.versionId}` } }] : []),
    ],
  };
}

/** The SubscriptionStatus of a notification or a query. */
export function subscriptionStatus(input: NotificationInput): Parameters {
  const base = input.fhirBaseUrl;
  return {
    resourceType: 'Parameters',
    id: `${input.bundleId}-status`,
    parameter: [
      { name: 'subscription', valueReference: { reference: `${base}/Subscription/${input.subscriptionId}` } },
      ...(input.topic ? [{ name: 'topic', valueCanonical: input.topic }] : []),
      { name: 'status', valueCode: input.status },
      { name: 'type', valueCode: input.type ?? 'event-notification' },
      { name: 'events-since-subscription-start', valueString: String(input.eventsSinceStart) },
      ...input.events.map((e) => eventParameter(base, input.content, e)),
      ...(input.error ? [{ name: 'error', valueCodeableConcept: { text: input.error } }] : []),
    ],
  };
}

/** A history entry's request and response, by the kind of change (a delete has no resource). */
const ENTRY_METHOD = { create: 'POST', update: 'PUT', delete: 'DELETE' } as const;
const ENTRY_STATUS = { create: '201', update: '200', delete: '204' } as const;

export function notificationBundle(input: NotificationInput): Bundle {
  const base = input.fhirBaseUrl;
  const entries: BundleEntry[] = [{
    fullUrl: `urn:uuid:${input.bundleId}-status`,
    resource: subscriptionStatus(input),
    request: { method: 'GET', url: `${base}/Subscription/${input.subscriptionId}/$status` },
    response: { status: '200' },
  }];
  if (input.content !== 'empty') {
    for (const { focus, resource } of input.events) {
      entries.push({
        fullUrl: `${base}/${focus.resourceType}/${focus.id}`,
        ...(input.content === 'full-resource' && resource && focus.kind !== 'delete' ? { resource: JSON.parse(resource) as Resource } : {}),
        request: { method: ENTRY_METHOD[focus.kind], url: focus.kind === 'create' ? focus.resourceType : `${focus.resourceType}/${focus.id}` },
        response: { status: ENTRY_STATUS[focus.kind] },
      });
    }
  }
  return { resourceType: 'Bundle', id: input.bundleId, type: 'history', timestamp: input.now.toISOString(), entry: entries };
}
