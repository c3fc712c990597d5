import type { Bundle, BundleEntry, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import type { PayloadContent, SubscriptionStatus } from './spec.js';

/**
 * The body of one notification (pure), in the shape of the Subscriptions R5 Backport IG for R4: a
 * `history` Bundle whose first entry is the SubscriptionStatus (a Parameters resource) with the
 * subscription's event count and this event's number, then — for `id-only` and `full-resource` — the
 * changed resource's entry (its URL, and its content for `full-resource`). `empty` carries the status
 * alone. A subscription without a payload (R4) gets an empty POST: no body at all.
 */
export interface NotificationInput {
  readonly fhirBaseUrl: string;
  readonly subscriptionId: string;
  readonly status: SubscriptionStatus;
  readonly eventsSinceStart: number;
  readonly number: number;
  readonly at: string;
  readonly now: Date;
  readonly bundleId: string;
  readonly content: PayloadContent;
  readonly focus: { readonly resourceType: string; readonly id: string; readonly versionId: number; readonly created: boolean };
  /** The version's stored JSON, for `full-resource`. */
  readonly resource?: string;
}

export function notificationBundle(input: NotificationInput): Bundle {
  const { fhirBaseUrl: base, focus } = input;
  const subscription = `${base}/Subscription/${input.subscriptionId}`;
  const focusUrl = `${base}/${focus.resourceType}/${focus.id}`;
  const event: ParametersParameter = {
    name: 'notification-event',
    part: [
      { name: 'event-number', valueString: String(input.number) },
      { name: 'timestamp', valueInstant: input.at },
      ...(input.content !== 'empty' ? [{ name: 'focus', valueReference: { reference: `${focusUrl}/_history/${focus.versionId}` } }] : []),
    ],
  };
  const status: Parameters = {
    resourceType: 'Parameters',
    id: `${input.bundleId}-status`,
    parameter: [
      { name: 'subscription', valueReference: { reference: subscription } },
      { name: 'status', valueCode: input.status },
      { name: 'type', valueCode: 'event-notification' },
      { name: 'events-since-subscription-start', valueString: String(input.eventsSinceStart) },
      event,
    ],
  };
  const entries: BundleEntry[] = [{
    fullUrl: `urn:uuid:${input.bundleId}-status`,
    resource: status,
    request: { method: 'GET', url: `${subscription}/$status` },
    response: { status: '200' },
  }];
  if (input.content !== 'empty') {
    entries.push({
      fullUrl: focusUrl,
      ...(input.content === 'full-resource' && input.resource ? { resource: JSON.parse(input.resource) as Resource } : {}),
      request: { method: focus.created ? 'POST' : 'PUT', url: focus.created ? focus.resourceType : `${focus.resourceType}/${focus.id}` },
      response: { status: focus.created ? '201' : '200' },
    });
  }
  return { resourceType: 'Bundle', id: input.bundleId, type: 'history', timestamp: input.now.toISOString(), entry: entries };
}
