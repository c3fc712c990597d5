import type { Subscription } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir/context.js';
import { executeWrites } from '../fhir/write/engine.js';
import type { JobContext } from '../jobs/jobs.js';
import { withRetries } from '../storage/database.js';
import { lockCurrent } from '../storage/resource-store.js';
import { readSubscription } from './subscription-store.js';

/**
 * Shows Carnet's view of a subscription in the resource: `status`, and `error` while it is in error. A
 * version written by Carnet itself (no principal: the subscription keeps its owner), on the locked
 * current version, so a client's concurrent update is never overwritten with stale content.
 */
export function syncSubscriptionStatus(ctx: FhirContext) {
  return async ({ job }: JobContext<{ subscription: string }>): Promise<unknown> => {
    const id = job.payload.subscription;
    return withRetries(ctx.db, async (tx) => {
      const row = await readSubscription(tx, id);
      const current = (await lockCurrent(tx, [{ resourceType: 'Subscription', id }])).get(`Subscription/${id}`);
      if (!row || !current || current.deleted || !current.content) return { skipped: 'gone' };
      const resource = JSON.parse(current.content) as Subscription;
      const { error: _previous, ...rest } = resource;
      const wanted: Subscription = { ...rest, status: row.status, ...(row.status === 'error' && row.lastError ? { error: row.lastError } : {}) };
      if (wanted.status === resource.status && wanted.error === resource.error) return { unchanged: row.status };
      await executeWrites(tx, ctx, [{ kind: 'update', resourceType: 'Subscription', id, resource: wanted }], { transaction: false });
      return { status: row.status };
    });
  };
}
