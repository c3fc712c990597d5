import { personAnchors, widenToPersons, type PersonLinks } from '../access/person-scope.js';
import type { Principal } from '../access/principal.js';
import { roleClass } from '../access/roles.js';
import { personLinksOf } from '../mpi/store/link-store.js';
import type { Queryable } from '../storage/database.js';

/**
 * Which source records make each person a request's principal names, resolved per request and kept a
 * short while (CARNET_PERSON_SCOPE_TTL_MS, default 1 s): most requests of a session then cost no query.
 * The cache is emptied the moment an MPI link, merge or unmerge commits in this process (the `persons`
 * commit signal) or in another one (its NOTIFY), so the TTL only bounds how long a change made where no
 * signal reaches can go unseen. A lookup that raced such a change is not kept.
 */
export class PersonScopes {
  private readonly cache = new Map<string, { readonly records: readonly string[]; readonly until: number }>();
  private generation = 0;

  constructor(private readonly ttlMs: number, private readonly now: () => number = () => performance.now()) {}

  /** Forgets every person (after a link change commits). */
  clear(): void {
    this.generation++;
    this.cache.clear();
  }

  /**
   * The principal widened to whole persons (access/person-scope.ts). `reader` is where the request reads:
   * inside a transaction the links are read there (they may be its own, uncommitted) and not cached.
   */
  async widen(principal: Principal, reader: Queryable, cacheable: boolean): Promise<Principal> {
    const anchors = personAnchors(principal);
    if (anchors.length === 0 || !widens(principal)) return principal;
    return widenToPersons(principal, await this.links(anchors, reader, cacheable));
  }

  private async links(anchors: readonly string[], reader: Queryable, cacheable: boolean): Promise<PersonLinks> {
    const links = new Map<string, readonly string[]>();
    const now = this.now();
    const missing: string[] = [];
    for (const anchor of anchors) {
      const hit = cacheable ? this.cache.get(anchor) : undefined;
      if (hit && hit.until > now) links.set(anchor, hit.records);
      else missing.push(anchor);
    }
    if (missing.length === 0) return links;
    const generation = this.generation;
    const found = await personLinksOf(reader, missing);
    const keep = cacheable && this.ttlMs > 0 && generation === this.generation;
    for (const anchor of missing) {
      const records = found.get(anchor) ?? [anchor];
      links.set(anchor, records);
      if (keep) this.cache.set(anchor, { records, until: now + this.ttlMs });
    }
    if (this.cache.size > MAX_ENTRIES) this.evictExpired(now);
    return links;
  }

  private evictExpired(now: number): void {
    for (const [anchor, entry] of this.cache) if (entry.until <= now) this.cache.delete(anchor);
    if (this.cache.size > MAX_ENTRIES) this.cache.clear();
  }
}

/** Bounds the cache under many distinct sessions (entries live a second by default). */
const MAX_ENTRIES = 10_000;

/** Whose context is a person: patients and proxies, and any token launched in a patient context. */
function widens(principal: Principal): boolean {
  return roleClass(principal.role) === 'own-record' || principal.launchPatient !== undefined;
}
