import type { Parameters } from '@medplum/fhirtypes';
import { agentKey } from '../../access/principal.js';
import { ownerProblem } from '../../subscriptions/standing.js';
import { issueBindingToken } from '../../subscriptions/ws-token.js';
import { errors, FhirError } from '../outcomes.js';
import type { Handler, HandlerInput } from '../router/types.js';
import { ownSubscription } from './subscription-access.js';

/** The Subscriptions R5 Backport IG's `$get-ws-binding-token`. */
export const BACKPORT_WS_TOKEN = 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-get-ws-binding-token';
/** Subscriptions one token may bind. */
const MAX_PER_TOKEN = 100;

/** The subscription ids asked for: the instance's, or `id` parameters (query or a Parameters body). */
function askedIds(input: HandlerInput): string[] {
  if (input.params.id) return [input.params.id];
  const ids = input.request.query.getAll('id').flatMap((v) => v.split(','));
  const body = input.request.body as Parameters | undefined;
  if (body && typeof body === 'object') {
    if (body.resourceType !== 'Parameters') throw errors.invalid('$get-ws-binding-token takes a Parameters resource');
    for (const p of body.parameter ?? []) {
      if (p.name !== 'id') throw errors.invalid(`$get-ws-binding-token does not take the parameter "${p.name}"`);
      ids.push(String(p.valueId ?? p.valueString ?? ''));
    }
  }
  for (const name of input.request.query.keys()) if (!['id', '_format', '_pretty'].includes(name)) throw errors.invalid(`$get-ws-binding-token does not take the parameter "${name}"`);
  const unique = [...new Set(ids.map((id) => id.replace(/^Subscription\//, '').trim()))];
  if (unique.length === 0 || unique.some((id) => !/^[A-Za-z0-9\-.]{1,64}$/.test(id))) throw errors.invalid('$get-ws-binding-token needs the id of one or several of your websocket subscriptions');
  if (unique.length > MAX_PER_TOKEN) throw errors.invalid(`one token binds at most ${MAX_PER_TOKEN} subscriptions`);
  return unique;
}

/**
 * `GET|POST Subscription/[id]/$get-ws-binding-token` or `Subscription/$get-ws-binding-token?id=…&id=…`:
 * a short-lived token with which the subscriptions' owner binds them on Carnet's websocket endpoint
 * (`bind-with-token`). Only the owner may ask (its events were chosen with its access), only for
 * websocket subscriptions, and only while it keeps the access it subscribed with.
 */
export const subscriptionWsTokenOperation: Handler = async (input) => {
  const sockets = input.ctx.subscriptionSockets;
  if (!sockets) throw errors.notSupported('This server has no websocket channel');
  const principal = input.request.access?.principal;
  if (!principal) throw errors.forbidden('A binding token is issued to a subscription\'s owner');
  const ids = askedIds(input);
  for (const id of ids) {
    const sub = await ownSubscription({ ...input, params: { ...input.params, id } });
    if (sub.channel.type !== 'websocket') throw new FhirError('unprocessable', `Subscription/${id} has the ${sub.channel.type} channel, not websocket`);
    if (sub.status === 'off') throw new FhirError('unprocessable', `Subscription/${id} is off`);
    if (!sub.owner || `${sub.owner.kind}:${sub.owner.subject}` !== agentKey(principal)) {
      throw errors.forbidden(`Subscription/${id} is not yours: a websocket delivers only to the subscription's owner`);
    }
    const problem = await ownerProblem(input.reader, sub.owner, sub.resourceType);
    if (problem) throw errors.forbidden(`Subscription/${id} cannot be bound: ${problem}`);
  }
  const expiresAt = new Date(input.ctx.clock().getTime() + sockets.tokenSeconds * 1000);
  const token = issueBindingToken(sockets.key, { subscriptions: ids, owner: agentKey(principal), expiresAt });
  const body: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'token', valueString: token },
      { name: 'expiration', valueDateTime: expiresAt.toISOString() },
      ...ids.map((id) => ({ name: 'subscription', valueString: `${input.ctx.fhirBaseUrl}/Subscription/${id}` })),
      { name: 'websocket-url', valueUrl: sockets.url },
    ],
  };
  return { status: 200, body };
};
