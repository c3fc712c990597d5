import { decideType } from '../access/policy.js';
import { intersectScopes, parseScopes } from '../access/scopes.js';
import { findClient, findGrant, findUser, type ClientRow, type GrantRow, type UserRow } from '../storage/auth-store.js';
import type { Queryable } from '../storage/database.js';
import { principalOfOwner, type Owner } from './owner.js';

/**
 * Whether a subscription's owner still has the access it subscribed with — asked when its changes are
 * matched, when a notification is delivered and when a websocket binds. A subscription runs as the
 * principal that wrote it, but that principal's rights can be taken away afterwards: its client revoked
 * or disabled, its user account disabled or given another role or organisation, the SMART grant it came
 * through revoked, or the client's registration no longer allowing the scopes it searched with. Any of
 * these stops the subscription (status `error`, the reason given) until someone with the access writes
 * it again. Consents need no check here: matching and payloads apply them as they stand (visibility SQL).
 */
export interface OwnerFacts {
  readonly client: ClientRow | undefined;
  readonly user: UserRow | undefined;
  readonly grant: GrantRow | undefined;
}

/** Why the owner may no longer run the subscription (pure), or undefined while it may. */
export function standingProblem(owner: Owner, resourceType: string, facts: OwnerFacts): string | undefined {
  const { client, user, grant } = facts;
  if (!client || client.disabled) return `the owner's client ${owner.clientId} was revoked`;
  if (owner.kind === 'user') {
    if (!user || user.disabled) return 'the owner\'s account was disabled';
    if (user.role !== owner.role) return `the owner's role changed from ${owner.role} to ${user.role}`;
    if ((user.organization ?? '') !== (owner.organization ?? '')) return 'the owner no longer acts for the organisation it subscribed for';
  }
  if (owner.grantId && (!grant || grant.revokedAt)) return 'the authorization the owner subscribed with was revoked';
  const principal = principalOfOwner(owner);
  const scopes = intersectScopes(principal.scopes, parseScopes(client.scope));
  const decision = decideType({ ...principal, scopes }, 'search', resourceType);
  return decision.permit ? undefined : `the owner may no longer search ${resourceType}: ${decision.reason}`;
}

/** The owner's facts as they now are, read once per owner and kept for a matcher batch or a delivery. */
export class StandingCache {
  private readonly known = new Map<string, Promise<OwnerFacts>>();

  constructor(private readonly q: Queryable) {}

  async problem(owner: Owner, resourceType: string): Promise<string | undefined> {
    const key = `${owner.kind}:${owner.subject}:${owner.clientId}:${owner.grantId ?? ''}`;
    let facts = this.known.get(key);
    if (!facts) {
      facts = readFacts(this.q, owner);
      this.known.set(key, facts);
    }
    return standingProblem(owner, resourceType, await facts);
  }
}

async function readFacts(q: Queryable, owner: Owner): Promise<OwnerFacts> {
  // One after the other: a transaction's connection runs one statement at a time.
  const client = await findClient(q, owner.clientId);
  const user = owner.kind === 'user' ? await findUser(q, owner.subject) : undefined;
  const grant = owner.grantId ? await findGrant(q, owner.grantId) : undefined;
  return { client, user, grant };
}

/** One owner's standing, for a single delivery or binding. */
export function ownerProblem(q: Queryable, owner: Owner, resourceType: string): Promise<string | undefined> {
  return new StandingCache(q).problem(owner, resourceType);
}
