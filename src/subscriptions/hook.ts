import type { Subscription } from '@medplum/fhirtypes';
import { decideType } from '../access/policy.js';
import { errors } from '../fhir/outcomes.js';
import type { AfterWriteHook } from '../fhir/write/hooks.js';
import type { Jobs } from '../jobs/jobs.js';
import type { NewJob } from '../jobs/job.js';
import { batchesOf, batchKey, MAX_BATCH, type BatchItem } from './batching.js';
import type { Queryable } from '../storage/database.js';
import { endpointProblem, type EndpointPolicy } from './endpoint.js';
import { ownerOf } from './owner.js';
import { parseCriteria, parseSubscription, refuse } from './spec.js';
import { checkConsentDataSearch } from '../fhir/access.js';
import { nextState, type Transition } from './status.js';
import { claimSignal, restartDelivery } from './delivery-store.js';
import { deleteSubscription, readSubscription, saveSubscription } from './subscription-store.js';
import { type SubscriptionRow } from './rows.js';

export const DELIVER_JOB = 'subscription.deliver';
export const STATUS_JOB = 'subscription.status';

export const HEARTBEAT_JOB = 'subscription.heartbeat';

/** A handshake (on activation) or a heartbeat (heartbeatPeriod): a notification about no event. */
export type Signal = 'handshake' | 'heartbeat';

export interface DeliverPayload {
  readonly subscription: string;
  /** The notification's number (0 for a signal). */
  readonly number: number;
  readonly round: number;
  readonly signal?: Signal;
}

/** A job delivering several subscriptions' notifications (batch-delivery.ts). */
export interface BatchPayload {
  readonly items: readonly BatchItem[];
}

/** The delivery job of one notification; its key makes a replayed matcher batch enqueue nothing twice. */
export async function enqueueDelivery(jobs: Jobs, tx: Queryable, payload: DeliverPayload, at?: Date): Promise<void> {
  await enqueueDeliveries(jobs, tx, [payload], at);
}

/** Delivery jobs of many subscriptions with one statement. */
export async function enqueueDeliveries(jobs: Jobs, tx: Queryable, payloads: readonly DeliverPayload[], at?: Date): Promise<void> {
  if (payloads.length === 0) return;
  await jobs.enqueueMany(tx, payloads.map((payload) => deliveryJob(payload, at)));
}

/** The job delivering one subscription's notifications from `payload.number` (or its signal), on its own. */
export function deliveryJob(payload: DeliverPayload, at?: Date, delayMs?: number): NewJob {
  const what = payload.signal === 'heartbeat' ? `heartbeat/${at?.getTime() ?? 0}` : payload.signal ?? String(payload.number);
  return { kind: DELIVER_JOB, key: `${payload.subscription}/${payload.round}/${what}`, payload, ...(delayMs !== undefined ? { delayMs } : {}) };
}

/** Jobs delivering many subscriptions' notifications together: one per endpoint origin, up to MAX_BATCH each (batching.ts). */
export function batchJobs(items: readonly (BatchItem & { readonly endpoint: string })[]): NewJob[] {
  return batchesOf(items, (i) => i.endpoint, MAX_BATCH).map((batch) => {
    const payload: BatchPayload = { items: batch.map(({ subscription, number, round }) => ({ subscription, number, round })) };
    return { kind: DELIVER_JOB, key: batchKey(batch), payload };
  });
}

/** Mirrors the row's status into the resource (a version written by Carnet), once per status version. */
export async function enqueueStatusSync(jobs: Jobs, tx: Queryable, row: SubscriptionRow): Promise<void> {
  await jobs.enqueue(tx, { kind: STATUS_JOB, key: `${row.id}/${row.statusVersion}`, payload: { subscription: row.id } });
}

const NO_OWNER: Transition = {
  status: 'error', failures: 0, lastError: 'written without an access token: there is nobody to run it as', changed: true, restart: false,
};

/**
 * Keeps the subscription table in step with Subscription resources, in the transaction of each version:
 * a client's write is checked (criteria, channel, payload, endpoint, the owner's right to search what it
 * asks for) — a refusal rolls the whole write back — and records its owner and status; a delete forgets
 * it and its notifications. Carnet's own writes (the status it mirrors) change nothing here.
 */
export function subscriptionAfterWrite(options: { endpoints: EndpointPolicy; jobs: Jobs }): AfterWriteHook {
  return async (tx, ctx, written, by) => {
    for (const version of written) {
      if (version.resourceType !== 'Subscription') continue;
      if (version.deleted || !version.content) {
        await deleteSubscription(tx, version.id);
        continue;
      }
      const principal = by.principal;
      const existing = await readSubscription(tx, version.id, true);
      if (!principal && existing) continue;
      const resource = JSON.parse(version.content) as Subscription;
      const spec = parseSubscription(resource, ctx.fhirBaseUrl);
      const problem = spec.channel.type === 'rest-hook' ? endpointProblem(spec.channel.endpoint, options.endpoints) : undefined;
      if (problem) throw refuse(`Subscription.channel.endpoint: ${problem}`, 'Subscription.channel.endpoint');
      if (principal) {
        const decision = decideType(principal, 'search', spec.resourceType);
        if (!decision.permit) throw errors.forbidden(`A subscription runs with its owner's access, and ${decision.reason}`);
        // Notified or not would answer the question the Consent masking hides, change after change.
        checkConsentDataSearch(principal, parseCriteria(`${spec.resourceType}${spec.criteria ? `?${spec.criteria}` : ''}`, ctx.fhirBaseUrl).plan);
      }
      const transition = principal ? nextState(existing, { kind: 'written', requested: spec.status }) : NO_OWNER;
      const row = await saveSubscription(tx, {
        id: version.id, resourceType: spec.resourceType, criteria: spec.criteria, topic: spec.topic ?? null, patientKeys: spec.patientKeys ?? null, criteriaKeys: spec.criteriaKeys ?? null, owner: principal ? ownerOf(principal) : null,
        channel: spec.channel, endsAt: spec.end ?? null, status: transition.status, failures: transition.failures, lastError: transition.lastError,
        statusChanged: true, restart: transition.restart,
      }, ctx.clock());
      if (row.status !== resource.status || (row.lastError ?? undefined) !== resource.error) await enqueueStatusSync(options.jobs, tx, row);
      if (!transition.restart || row.channel.type !== 'rest-hook') continue;
      // Activated (new, requested or off before): the Backport handshake goes first, the pending notifications after it.
      const activated = !existing || existing.status === 'requested' || existing.status === 'off';
      const handshake = activated && row.channel.mime !== undefined ? await claimSignal(tx, row.id) : undefined;
      if (handshake) {
        await enqueueDelivery(options.jobs, tx, { subscription: row.id, number: 0, round: handshake.round, signal: 'handshake' });
        continue;
      }
      const start = await restartDelivery(tx, row.id);
      if (start) await enqueueDelivery(options.jobs, tx, { subscription: row.id, ...start });
    }
  };
}
