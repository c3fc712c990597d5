import { randomUUID } from 'node:crypto';
import { subscriptionStatus } from '../../subscriptions/notification.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { ownSubscription } from './subscription-access.js';

/** The Subscriptions R5 Backport IG's `$status`. */
export const BACKPORT_STATUS = 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status';

/**
 * `GET Subscription/[id]/$status`: a searchset Bundle holding the subscription's SubscriptionStatus
 * (`query-status`): its status, the reason when in error, and how many events it has had — so a
 * subscriber that missed notifications sees the gap and replays it with `$events`.
 */
export const subscriptionStatusOperation: Handler = async (input) => {
  for (const name of input.request.query.keys()) if (!['_format', '_pretty'].includes(name)) throw errors.invalid(`$status does not take the parameter "${name}"`);
  const sub = await ownSubscription(input);
  const bundleId = randomUUID();
  const status = subscriptionStatus({
    fhirBaseUrl: input.ctx.fhirBaseUrl, subscriptionId: sub.id, status: sub.status, ...(sub.topic ? { topic: sub.topic } : {}), type: 'query-status', eventsSinceStart: sub.eventsSinceStart,
    ...(sub.status === 'error' && sub.lastError ? { error: sub.lastError } : {}), now: input.ctx.clock(), bundleId, content: sub.channel.content, events: [],
  });
  return {
    status: 200,
    body: { resourceType: 'Bundle', id: bundleId, type: 'searchset', total: 1, entry: [{ fullUrl: `urn:uuid:${bundleId}-status`, resource: status, search: { mode: 'match' } }] },
  };
};
