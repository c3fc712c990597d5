import { randomUUID } from 'node:crypto';
import { traceRows } from '../../audit/trail.js';
import { notificationBundle } from '../../subscriptions/notification.js';
import type { PayloadContent } from '../../subscriptions/spec.js';
import { eventOf, listNotifications, versionContent } from '../../subscriptions/notification-store.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { ownSubscription } from './subscription-access.js';

/** The Subscriptions R5 Backport IG's `$events`. */
export const BACKPORT_EVENTS = 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-events';
/** Events one call replays at most; a subscriber asks again from the next number. */
export const MAX_EVENTS = 100;
const CONTENTS = new Set<PayloadContent>(['empty', 'id-only', 'full-resource']);

function number(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw errors.invalid(`${name} must be a positive event number (got "${raw}")`);
  return Number(raw);
}

/**
 * `GET Subscription/[id]/$events?eventsSinceNumber=&eventsUntilNumber=&content=`: the subscription's
 * events by number, replayed as a `query-event` notification Bundle — exactly the events it was notified
 * of (chosen with its owner's access when they happened), resources as they were at those versions.
 * A subscriber that sees a gap in event numbers (or in `$status`) repairs it here.
 */
export const subscriptionEventsOperation: Handler = async (input) => {
  const query = input.request.query;
  for (const name of query.keys()) {
    if (!['eventsSinceNumber', 'eventsUntilNumber', 'content', '_format', '_pretty'].includes(name)) throw errors.invalid(`$events does not take the parameter "${name}"`);
  }
  const since = number(query, 'eventsSinceNumber') ?? 1;
  const until = number(query, 'eventsUntilNumber') ?? Number.MAX_SAFE_INTEGER;
  if (until < since) throw errors.invalid('eventsUntilNumber is before eventsSinceNumber');
  const asked = query.get('content');
  if (asked !== null && !CONTENTS.has(asked as PayloadContent)) throw errors.invalid('content must be empty, id-only or full-resource');
  const sub = await ownSubscription(input);
  const content = (asked as PayloadContent | null) ?? sub.channel.content;
  const rows = await listNotifications(input.reader, sub.id, since, until, MAX_EVENTS);
  const events = await Promise.all(rows.map(async (n) => eventOf(n, content === 'full-resource' ? await versionContent(input.reader, n) : undefined)));
  traceRows(input.request.audit, rows.map((n) => ({ resourceType: n.resourceType, id: n.resourceId, patientId: n.patientId })));
  return {
    status: 200,
    body: notificationBundle({
      fhirBaseUrl: input.ctx.fhirBaseUrl, subscriptionId: sub.id, status: sub.status, ...(sub.topic ? { topic: sub.topic } : {}), type: 'query-event', eventsSinceStart: sub.eventsSinceStart,
      now: input.ctx.clock(), bundleId: randomUUID(), content, events,
    }),
  };
};
