import type { Background } from '../app/background.js';
import type { SubscriptionsConfig } from '../config/config.js';
import type { FhirContext } from '../fhir/context.js';
import type { AfterWriteHook } from '../fhir/write/hooks.js';
import { deliverNotification } from './delivery.js';
import { HEARTBEAT_SCAN_MS, heartbeatScan } from './heartbeat.js';
import { DELIVER_JOB, HEARTBEAT_JOB, STATUS_JOB, subscriptionAfterWrite } from './hook.js';
import { subscriptionMatcher } from './matcher.js';
import { syncSubscriptionStatus } from './status-sync.js';
import { DELIVERY_ATTEMPTS, DELIVERY_BACKOFF } from './status.js';

/**
 * Subscriptions on top of the change events and the job queue (docs/subscriptions.md): the write hook
 * that keeps the criteria index and the owner in step with Subscription resources, the matcher
 * consumer, the delivery job and the job that shows the status in the resource.
 */
export function subscriptionWriteHook(config: SubscriptionsConfig, background: Background): AfterWriteHook {
  return subscriptionAfterWrite({ endpoints: { allowedHosts: config.allowedHosts }, jobs: background.jobs });
}

export async function registerSubscriptions(ctx: FhirContext, background: Background, config: SubscriptionsConfig): Promise<void> {
  const { jobs, events } = background;
  jobs.define(DELIVER_JOB, deliverNotification(ctx, jobs, { endpoints: { allowedHosts: config.allowedHosts }, timeoutMs: config.timeoutMs, maxEvents: config.maxEvents }), {
    maxAttempts: DELIVERY_ATTEMPTS, backoff: DELIVERY_BACKOFF, timeoutMs: config.timeoutMs + 5_000, leaseMs: config.leaseMs,
  });
  jobs.define(STATUS_JOB, syncSubscriptionStatus(ctx), { maxAttempts: 10 });
  jobs.define(HEARTBEAT_JOB, heartbeatScan(ctx, jobs), { maxAttempts: 3 });
  await jobs.schedule(HEARTBEAT_JOB, { every: HEARTBEAT_SCAN_MS });
  await events.register(subscriptionMatcher(ctx, jobs));
}
