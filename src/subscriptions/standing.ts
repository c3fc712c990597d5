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

const ownerKey = (owner: Owner): string => `${owner.kind}:${owner.subject}:${owner.clientId}:${owner.grantId ?? ''}`;

/**
 * The owners' facts known to this process, kept a short while (CARNET_SUBSCRIPTION_STANDING_MS, default
 * 5 s): at 10,000 subscriptions of a few owners, matching and each delivery then cost no query of the
 * auth tables. The cache is emptied the moment a change that can take an owner's rights away commits —
 * an account disabled, a grant revoked, a client's registration changed — in this process (the `owners`
 * commit topic) or in another one (its NOTIFY), so the window only bounds how long a change made where
 * no signal reaches (an operator's SQL) can go unseen. A read that raced such a change is not kept.
 */
export class OwnerStanding {
  private readonly cache = new Map<string, { readonly facts: OwnerFacts; readonly until: number }>();
  private generation = 0;

  constructor(private readonly ttlMs: number, private readonly now: () => number = () => performance.now(), private readonly max = 10_000) {}

  /** Forgets every owner (after a change to accounts, grants or clients commits). */
  clear(): void {
    this.generation++;
    this.cache.clear();
  }

  async facts(q: Queryable, owner: Owner): Promise<OwnerFacts> {
    const key = ownerKey(owner);
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) return hit.facts;
    const generation = this.generation;
    const facts = await readFacts(q, owner);
    if (this.ttlMs > 0 && generation === this.generation) {
      if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { facts, until: this.now() + this.ttlMs });
    }
    return facts;
  }
}

/** The owner's facts, read once per owner and kept for a matcher batch or a delivery (and a while longer in `shared`). */
export class StandingCache {
  private readonly known = new Map<string, Promise<OwnerFacts>>();

  constructor(private readonly q: Queryable, private readonly shared?: OwnerStanding) {}

  async problem(owner: Owner, resourceType: string): Promise<string | undefined> {
    const key = ownerKey(owner);
    let facts = this.known.get(key);
    if (!facts) {
      facts = this.shared ? this.shared.facts(this.q, owner) : readFacts(this.q, owner);
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

/** One owner's standing, for a single delivery or binding (`shared`: the process's cache). */
export function ownerProblem(q: Queryable, owner: Owner, resourceType: string, shared?: OwnerStanding): Promise<string | undefined> {
  return new StandingCache(q, shared).problem(owner, resourceType);
}
