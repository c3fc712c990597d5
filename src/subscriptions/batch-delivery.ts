import type { NewJob } from '../jobs/job.js';
import type { JobContext, Jobs } from '../jobs/jobs.js';
import { retryDelayMs } from '../jobs/backoff.js';
import type { FhirContext } from '../fhir/context.js';
import type { BatchItem } from './batching.js';
import { auditOf, bodyOf, post, type DeliverySettings } from './send.js';
import { markDeliveredMany } from './delivery-store.js';
import { batchJobs, deliveryJob, enqueueStatusSync, type BatchPayload } from './hook.js';
import { visibleOf } from './matcher.js';
import { contentsByVersion, eventOf, listWindows, versionKey } from './notification-store.js';
import type { NotificationRow, SubscriptionRow } from './rows.js';
import { StandingCache } from './standing.js';
import { DELIVERY_BACKOFF, nextState } from './status.js';
import { readSubscriptions, saveDeliveryState } from './subscription-store.js';

interface Ready {
  readonly item: BatchItem;
  readonly sub: SubscriptionRow;
  /** The notifications of the window (from item.number, at most maxEvents). */
  readonly list: readonly NotificationRow[];
}

interface Sent extends Ready {
  /** Those not delivered by an earlier attempt (whose completion was lost). */
  readonly fresh: readonly NotificationRow[];
  readonly failure: string | undefined;
}

/**
 * One attempt at a batch delivery job (batching.ts): the subscriptions of one endpoint origin whose
 * delivery started together. It does for each what the delivery of one subscription does (delivery.ts) —
 * the owner's standing, the owner's visibility of what is to be sent, one notification Bundle per
 * subscription with up to `maxEvents` events — with a few statements for them all: their rows, their
 * windows of notifications, one visibility search per owner and type, the versions' contents; then the
 * POSTs, all at once; then one transaction records what was delivered, hands each subscription's next
 * notifications on (to the batch job of their origin), audits every event and completes the job.
 *
 * What is not ordinary is left to a delivery job of that subscription alone, in the same transaction:
 * an owner who lost its access (that job stops delivery and says why), a notification the owner may no
 * longer see (that job withdraws it), and a failed POST (that job retries it with backoff, the failure
 * counted in the status). Nothing is written before the final transaction, so a process killed midway
 * leaves the whole job to be run again (at least once).
 */
export async function deliverBatch(
  ctx: FhirContext, jobs: Jobs, settings: DeliverySettings, { job, signal, complete }: Pick<JobContext<BatchPayload>, 'job' | 'signal' | 'complete'>,
): Promise<unknown> {
  const db = ctx.db;
  const items = job.payload.items;
  const subs = new Map((await readSubscriptions(db, items.map((i) => i.subscription))).map((s) => [s.id, s]));
  const standing = new StandingCache(db, ctx.ownerStanding);
  const alone: BatchItem[] = [];
  const candidates: { item: BatchItem; sub: SubscriptionRow }[] = [];
  for (const item of items) {
    const sub = subs.get(item.subscription);
    if (!sub || sub.round !== item.round || sub.status === 'off') continue; // superseded, deleted or off, as for one subscription
    if (!sub.owner || (await standing.problem(sub.owner, sub.resourceType))) alone.push(item);
    else candidates.push({ item, sub });
  }
  const windows = await listWindows(db, candidates.map(({ item }) => ({ id: item.subscription, from: item.number, to: item.number + settings.maxEvents - 1 })));
  const ready = await visibleWindows(ctx, candidates.map((c) => ({ ...c, list: windows.get(c.item.subscription) ?? [] })), alone);
  const contents = await contentsByVersion(db, ready.filter((r) => r.sub.channel.content === 'full-resource').flatMap((r) => r.list));
  const sent: Sent[] = await Promise.all(ready.map(async (r): Promise<Sent> => {
    const fresh = r.list.filter((n) => n.number > r.sub.deliveredThrough);
    if (fresh.length === 0) return { ...r, fresh, failure: undefined };
    try {
      const last = (r.list.at(-1) as NotificationRow).number;
      const status = { ...r.sub, eventsSinceStart: Math.max(r.sub.eventsSinceStart, last) };
      const events = fresh.map((n) => eventOf(n, r.sub.channel.content === 'full-resource' ? contents.get(versionKey(n)) : undefined));
      await post(ctx, r.sub, bodyOf(ctx, status, 'event-notification', events), settings, signal);
      return { ...r, fresh, failure: undefined };
    } catch (error) {
      return { ...r, fresh, failure: error instanceof Error ? error.message : String(error) };
    }
  }));
  if (signal.aborted && signal.reason === 'shutdown') throw new Error('shutting down');
  const now = ctx.clock();
  const delivered = sent.filter((s) => s.failure === undefined);
  const failed = sent.filter((s) => s.failure !== undefined);
  await db.transaction(async (tx) => {
    const locked = new Map((await readSubscriptions(tx, sent.map((s) => s.item.subscription), true)).map((s) => [s.id, s]));
    const handOn = await markDeliveredMany(tx, delivered.map((s) => ({
      id: s.item.subscription, from: s.item.number, through: (s.list.at(-1) as NotificationRow).number, round: s.item.round,
    })), locked, now);
    // A delivery makes an erroring subscription active again; a failure counts towards `error`.
    for (const s of sent) {
      const row = locked.get(s.item.subscription);
      if (!row) continue;
      const transition = nextState(row, s.failure === undefined ? { kind: 'delivered' } : { kind: 'failed', error: s.failure });
      if (!transition.changed && transition.failures === row.failures && transition.lastError === row.lastError) continue;
      const saved = await saveDeliveryState(tx, row.id, transition, now);
      if (saved && transition.changed) await enqueueStatusSync(jobs, tx, saved);
    }
    if (ctx.audit) {
      const records = sent.filter((s) => s.sub.owner).flatMap((s) => s.fresh.map((notification) => auditOf(ctx, s.sub, { notification }, s.failure)));
      if (records.length > 0) await ctx.audit.insert(tx, records);
    }
    const next: NewJob[] = [
      ...batchJobs(handOn.map((h) => ({ subscription: h.id, number: h.number, round: h.round, endpoint: subs.get(h.id)?.channel.endpoint ?? '' }))),
      ...alone.map((item) => deliveryJob(item)),
      // Retried alone, with backoff (its job counts the attempts); the others go on.
      ...failed.filter((s) => locked.has(s.item.subscription)).map((s) => deliveryJob(s.item, undefined, retryDelayMs(1, DELIVERY_BACKOFF, Math.random))),
    ];
    if (next.length > 0) await (jobs).enqueueMany(tx, next);
    await complete(tx, { delivered: delivered.length, failed: failed.length, alone: alone.length });
  });
  return { delivered: delivered.length, failed: failed.length, alone: alone.length };
}

/**
 * The windows whose undelivered notifications the owner may all still see (one search per owner and
 * resource type for the whole batch); the others go to `alone`, whose job withdraws what is hidden.
 * Deletes are sent as matched.
 */
async function visibleWindows(ctx: FhirContext, windows: readonly Ready[], alone: BatchItem[]): Promise<Ready[]> {
  const groups = new Map<string, { sub: SubscriptionRow; type: string; ids: Set<string> }>();
  const keyOf = (sub: SubscriptionRow, type: string) => JSON.stringify([sub.owner, type]);
  for (const w of windows) {
    for (const n of w.list) {
      if (n.kind === 'delete' || n.number <= w.sub.deliveredThrough) continue;
      const key = keyOf(w.sub, n.resourceType);
      const group = groups.get(key) ?? { sub: w.sub, type: n.resourceType, ids: new Set<string>() };
      group.ids.add(n.resourceId);
      groups.set(key, group);
    }
  }
  const visible = new Map<string, Set<string>>();
  const now = ctx.clock();
  for (const [key, g] of groups) visible.set(key, await visibleOf(ctx.db, ctx, g.sub, g.type, [...g.ids], now));
  const out: Ready[] = [];
  for (const w of windows) {
    const hidden = w.list.some((n) => n.kind !== 'delete' && n.number > w.sub.deliveredThrough && !visible.get(keyOf(w.sub, n.resourceType))?.has(n.resourceId));
    if (hidden || w.list.length === 0) alone.push(w.item);
    else out.push(w);
  }
  return out;
}
