/**
 * Which delivery job sends what (pure). A change that matches many subscriptions — a clinic's
 * subscriptions are usually one per patient, all to the clinic's one server — would otherwise cost one
 * delivery job (lease, several statements, completion) per subscription and per event. Subscriptions
 * whose delivery starts together are put in one job per endpoint origin (scheme, host and port: the
 * server that receives them), up to `max` per job: the job POSTs each subscription its own notification
 * Bundle (the Backport's SubscriptionStatus names one subscription), all at once over the same
 * connections, and records them with a few statements whatever their number. A slow or hanging server
 * holds up only the jobs of its own origin.
 */

/** The most subscriptions one delivery job sends to (their POSTs go out at once). */
export const MAX_BATCH = 50;

/** One subscription's part of a delivery job: its notifications from `number` on, in delivery round `round`. */
export interface BatchItem {
  readonly subscription: string;
  readonly number: number;
  readonly round: number;
}

/** The origin of an endpoint (`https://clinic.example:8443`); an unparsable one is its own group. */
export function originOf(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return endpoint;
  }
}

/** Items grouped by the origin of their endpoint, each group cut in jobs of at most `max`, in a stable order. */
export function batchesOf<T extends BatchItem>(items: readonly T[], endpointOf: (item: T) => string, max: number): T[][] {
  const byOrigin = new Map<string, T[]>();
  for (const item of [...items].sort((a, b) => (a.subscription < b.subscription ? -1 : a.subscription > b.subscription ? 1 : 0))) {
    const origin = originOf(endpointOf(item));
    const list = byOrigin.get(origin) ?? [];
    list.push(item);
    byOrigin.set(origin, list);
  }
  const out: T[][] = [];
  const size = Math.max(1, Math.floor(max));
  for (const list of byOrigin.values()) for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The idempotency key of a batch job: its first item's (a notification starts one delivery chain once per round). */
export function batchKey(items: readonly BatchItem[]): string {
  const first = items[0];
  if (!first) throw new Error('an empty delivery batch');
  return `batch:${first.subscription}/${first.round}/${first.number}`;
}
