import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir/context.js';
import { extractIndex } from '../fhir/search/extract/index.js';
import type { SearchPlan } from '../fhir/search/model.js';
import { executeSearch } from '../fhir/search/execute.js';
import { readVisibility } from '../consent/visibility-sql.js';
import type { ChangeEvent } from '../events/event.js';
import type { Consumer } from '../events/consumers.js';
import type { Jobs } from '../jobs/jobs.js';
import { linkedPatientIds } from '../mpi/store/link-store.js';
import { signalAfterCommit } from '../storage/commit-signals.js';
import type { Queryable } from '../storage/database.js';
import { writeIndex } from '../storage/search-index.js';
import { batchJobs } from './hook.js';
import { groupCandidates, groupSearches, pinnedParameter, type Pinned } from './grouping.js';
import { SEARCH_LIMITS } from '../fhir/search/parse/request.js';
import { principalOfOwner } from './owner.js';
import { matchingPlan, UNSUBSCRIBABLE_TYPES } from './spec.js';
import { StandingCache } from './standing.js';
import { appendNotifications, candidateSubscriptions, standInForDeleted } from './match-store.js';
import { type NewNotification, type SubscriptionRow } from './rows.js';

export const MATCHER = 'subscriptions.match';
const BATCH = 200;
const PLAN_CACHE = 1000;

/**
 * The subscriptions consumer: for each batch of change events it looks up, with one statement, the
 * subscriptions whose criteria name the changed types and, when they pin patients, one of the changed
 * resources' patients (the index), then runs each candidate's criteria
 * as a real search restricted to the changed ids and to what the subscription's owner may see under
 * the patients' consents (the same visibility SQL as every search) — so a notification never reveals a
 * resource its owner could not read. Matches are numbered per subscription and the first one enqueues
 * the delivery job of its endpoint, all in the consumer's transaction (docs/events-and-jobs.md).
 *
 * A change matches when the resource, as it now stands, meets the criteria (R4B/R5: a resource that stops
 * matching after an update is not a match). An event whose resource has been changed again since is
 * left to the later event, which stands for it: one notification per current version.
 */
export function subscriptionMatcher(ctx: FhirContext, jobs: Jobs): Consumer {
  const plans = new Map<string, SearchPlan>();
  const planOf = (resourceType: string, criteria: string): SearchPlan => {
    const key = `${resourceType}?${criteria}`;
    let plan = plans.get(key);
    if (!plan) {
      plan = matchingPlan(resourceType, criteria, ctx.fhirBaseUrl, BATCH);
      if (plans.size >= PLAN_CACHE) plans.delete(plans.keys().next().value as string);
      plans.set(key, plan);
    }
    return plan;
  };
  const pins = new Map<string, Pinned | null>();
  const pinnedOf = (sub: SubscriptionRow): Pinned | undefined => {
    const key = `${sub.resourceType}?${sub.criteria}`;
    let pin = pins.get(key);
    if (pin === undefined) {
      pin = pinnedParameter(sub.resourceType, sub.criteria, sub.patientKeys ?? [], ctx.fhirBaseUrl) ?? null;
      if (pins.size >= PLAN_CACHE) pins.delete(pins.keys().next().value as string);
      pins.set(key, pin);
    }
    return pin ?? undefined;
  };
  return {
    name: MATCHER,
    kinds: ['create', 'update', 'delete'],
    batchSize: BATCH,
    async handle(events, tx) {
      const relevant = events.filter((e) => e.versionId !== null && !UNSUBSCRIBABLE_TYPES.includes(e.resourceType));
      const now = ctx.clock();
      const patients = [...new Set(relevant.filter((e) => e.patientId !== null).map((e) => `Patient/${e.patientId}`))];
      const candidates = await candidateSubscriptions(tx, relevant.map((e) => ({ resourceType: e.resourceType, id: e.id, kind: e.kind })), patients, now);
      if (candidates.length === 0) return;
      const standing = new StandingCache(tx, ctx.ownerStanding);
      // An owner who lost the access it subscribed with is told nothing (delivery reports why).
      const live: SubscriptionRow[] = [];
      for (const sub of candidates) if (sub.owner && !(await standing.problem(sub.owner, sub.resourceType))) live.push(sub);
      const matches: { sub: SubscriptionRow; matched: ChangeEvent[] }[] = [];
      await withDeletedRestored(tx, ctx, relevant.filter((e) => e.kind === 'delete'), async () => {
        for (const group of groupCandidates(live, (sub) => JSON.stringify(sub.owner), pinnedOf)) {
          const ofMember = (sub: SubscriptionRow): ChangeEvent[] => {
            const keys = sub.patientKeys ? new Set(sub.patientKeys) : undefined;
            return relevant.filter((e) => e.resourceType === sub.resourceType && (!keys || (e.patientId !== null && keys.has(`Patient/${e.patientId}`))));
          };
          const changed = new Map(group.members.map((sub) => [sub.id, ofMember(sub)]));
          const all = [...new Set([...changed.values()].flat())];
          if (all.length === 0) continue;
          const touched = [...new Set(all.map((e) => `Patient/${e.patientId}`))];
          const found = new Set<ChangeEvent>();
          for (const search of groupSearches(group, touched, SEARCH_LIMITS.valuesPerParameter)) {
            // A group's searches name this batch's patients: parsed for the batch, not kept in the plan cache.
            const plan = group.pinned ? matchingPlan(group.resourceType, search.criteria, ctx.fhirBaseUrl, BATCH) : planOf(group.resourceType, group.criteria);
            const named = new Set(search.patients);
            const events = group.pinned ? all.filter((e) => named.has(`Patient/${e.patientId}`)) : all;
            for (const e of await matchingEvents(tx, ctx, group.members[0] as SubscriptionRow, plan, events, now)) found.add(e);
          }
          for (const sub of group.members) {
            const matched = (changed.get(sub.id) ?? []).filter((e) => found.has(e));
            if (matched.length > 0) matches.push({ sub, matched });
          }
        }
      });
      const started = await appendNotifications(tx, matches.map(({ sub, matched }) => ({
        id: sub.id, notifications: matched.map(notificationOf), deliverByJob: sub.channel.type === 'rest-hook',
      })));
      // One delivery job per endpoint origin for the subscriptions whose delivery starts now (batching.ts).
      const endpoints = new Map(matches.map(({ sub }) => [sub.id, sub.channel.endpoint]));
      if (started.length > 0) await jobs.enqueueMany(tx, batchJobs(started.map((s) => ({ subscription: s.id, number: s.number, round: s.round, endpoint: endpoints.get(s.id) ?? '' }))));
      // A websocket's notifications are sent by the process holding its socket: wake them all.
      if (matches.some(({ sub }) => sub.channel.type !== 'rest-hook')) signalAfterCommit(tx, 'subscriptions');
    },
  };
}

/**
 * R4B/R5: a deleted resource that matched is an event. Its index rows went with the delete, so for the
 * time of `work` (a savepoint, rolled back after) each deleted resource stands as it was just before —
 * the last version with content, its compartment, labels and writer, indexed, at the delete's version
 * number — and the candidates' searches run on it exactly as on any change, under the same visibility.
 * A resource created again since is left to its later event.
 */
async function withDeletedRestored(tx: Queryable, ctx: FhirContext, deletes: readonly ChangeEvent[], work: () => Promise<void>): Promise<void> {
  if (deletes.length === 0) return work();
  await tx.query('SAVEPOINT subscription_deletes');
  try {
    const rows = await standInForDeleted(tx, deletes);
    await writeIndex(tx, rows.map((r) => ({ rid: r.rid, rows: extractIndex(JSON.parse(r.content) as Resource, ctx.fhirBaseUrl) })));
    await work();
  } finally {
    await tx.query('ROLLBACK TO SAVEPOINT subscription_deletes');
  }
}

async function matchingEvents(tx: Queryable, ctx: FhirContext, sub: SubscriptionRow, plan: SearchPlan, events: readonly ChangeEvent[], now: Date): Promise<ChangeEvent[]> {
  if (events.length === 0 || !sub.owner) return [];
  const ids = [...new Set(events.map((e) => e.id))];
  const outcome = await executeSearch(tx, { ...plan, count: ids.length }, {
    now, scope: { extra: [{ kind: 'id', ids }] }, visibility: readVisibility(principalOfOwner(sub.owner), now, 's'),
    ...(ctx.mpi ? { linkedPatients: (id: string) => linkedPatientIds(tx, id) } : {}),
  });
  const current = new Map(outcome.matches.map((row) => [row.id, row.versionId]));
  return events.filter((e) => current.get(e.id) === e.versionId);
}

function notificationOf(e: ChangeEvent): NewNotification {
  return { eventSeq: e.seq, kind: e.kind, resourceType: e.resourceType, resourceId: e.id, versionId: e.versionId as number, patientId: e.patientId, at: e.at };
}

/**
 * Which of these resources of one type the owner may still see as they now stand (their consents, labels
 * and compartments as they are now), with one search: asked before notifications about them go out.
 */
export async function visibleOf(tx: Queryable, ctx: FhirContext, sub: SubscriptionRow, resourceType: string, ids: readonly string[], now: Date): Promise<Set<string>> {
  if (!sub.owner || ids.length === 0) return new Set();
  const unique = [...new Set(ids)];
  const plan = matchingPlan(resourceType, '', ctx.fhirBaseUrl, unique.length);
  const outcome = await executeSearch(tx, plan, {
    now, scope: { extra: [{ kind: 'id', ids: unique }] }, visibility: readVisibility(principalOfOwner(sub.owner), now, 's'),
  });
  return new Set(outcome.matches.map((row) => row.id));
}
