import type { FhirContext } from '../fhir/context.js';
import type { JobContext, Jobs } from '../jobs/jobs.js';
import { enqueueDelivery } from './hook.js';
import { claimDueHeartbeats } from './delivery-store.js';

/** How often the heartbeat job looks for rest-hooks due one (a heartbeatPeriod is met within this). */
export const HEARTBEAT_SCAN_MS = 5000;
const PER_SCAN = 500;

/**
 * The periodic job (one row, whatever the number of processes) that sends the Backport heartbeats of
 * rest-hook subscriptions: each active subscription with a `heartbeatPeriod` that has sent nothing for
 * that long, and has nothing in flight, gets a heartbeat delivery job — in line with its notifications,
 * so a heartbeat never overtakes an event. A websocket's heartbeats are sent by its socket's process.
 */
export function heartbeatScan(ctx: FhirContext, jobs: Jobs) {
  return async ({ complete }: JobContext): Promise<unknown> => {
    const now = ctx.clock();
    return ctx.db.transaction(async (tx) => {
      const due = await claimDueHeartbeats(tx, now, PER_SCAN);
      for (const { id, round } of due) await enqueueDelivery(jobs, tx, { subscription: id, number: 0, round, signal: 'heartbeat' }, now);
      await complete(tx, { heartbeats: due.length });
      return { heartbeats: due.length };
    });
  };
}
