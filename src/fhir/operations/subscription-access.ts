import { agentKey, type Principal } from '../../access/principal.js';
import { readCurrent } from '../../storage/resource-store.js';
import type { Queryable } from '../../storage/database.js';
import { readSubscription } from '../../subscriptions/subscription-store.js';
import { type SubscriptionRow } from '../../subscriptions/rows.js';
import { checkRead } from '../access.js';
import { errors } from '../outcomes.js';
import type { HandlerInput } from '../router/types.js';

/**
 * The subscription an operation on `Subscription/[id]` is about: readable by the requester like the
 * resource itself (403/404), and — because what it reports was decided with its owner's access, not the
 * requester's — asked by its owner or a platform client only.
 */
export async function ownSubscription({ request, ctx, reader, params }: HandlerInput, db: Queryable = reader): Promise<SubscriptionRow> {
  const id = params.id as string;
  const row = await readCurrent(db, 'Subscription', id);
  if (!row) throw errors.notFound(`Subscription/${id} does not exist`);
  if (row.deleted) throw errors.gone(`Subscription/${id} was deleted`);
  await checkRead(request, ctx, db, row);
  const sub = await readSubscription(db, id);
  if (!sub) throw errors.notFound(`Subscription/${id} does not exist`);
  const principal: Principal | undefined = request.access?.principal;
  if (principal && !principal.platform && (!sub.owner || agentKey(principal) !== `${sub.owner.kind}:${sub.owner.subject}`)) {
    throw errors.forbidden('Only the subscription\'s owner (or a platform client) may ask: its events were chosen with the owner\'s access');
  }
  return sub;
}
