import type { Backoff } from '../jobs/backoff.js';
import type { SubscriptionStatus } from './spec.js';

/**
 * A subscription's life (pure): a client writes it `requested` (or `active`) and Carnet makes it `active`;
 * deliveries that keep failing put it in `error` with the reason, while the delivery job keeps retrying
 * with backoff; the first delivery that succeeds makes it `active` again and it goes on from the
 * notification where it stopped. A client writing it again (any status but `off`) reactivates it at once
 * and restarts a delivery that had given up; `off` stops matching and delivery.
 */
export interface DeliveryState {
  readonly status: SubscriptionStatus;
  /** Consecutive failed attempts. */
  readonly failures: number;
  readonly lastError: string | null;
}

export type StatusEvent =
  | { readonly kind: 'written'; readonly requested: SubscriptionStatus }
  | { readonly kind: 'delivered' }
  | { readonly kind: 'failed'; readonly error: string }
  /** The owner lost the access the subscription runs with (standing.ts): error, and no more delivery. */
  | { readonly kind: 'revoked'; readonly error: string };

export interface StatusPolicy {
  /** Consecutive failures after which an active subscription is in error. */
  readonly errorAfter: number;
}

export const DEFAULT_STATUS_POLICY: StatusPolicy = { errorAfter: 3 };

/**
 * Retries of one notification: from 1 s doubling to 5 minutes (with jitter, src/jobs/backoff.ts), 40
 * attempts — about two hours — before the job is dead and waits for the client or an operator. An
 * endpoint back after an outage is reached within five minutes, not after an hour.
 */
export const DELIVERY_BACKOFF: Backoff = { baseMs: 1000, maxMs: 5 * 60_000 };
export const DELIVERY_ATTEMPTS = 40;

export interface Transition extends DeliveryState {
  /** The status changed (the resource is to show it). */
  readonly changed: boolean;
  /** Delivery is to be started again from the first undelivered notification. */
  readonly restart: boolean;
}

export function nextState(state: DeliveryState | undefined, event: StatusEvent, policy: StatusPolicy = DEFAULT_STATUS_POLICY): Transition {
  const before = state?.status;
  const out = (next: DeliveryState, restart = false): Transition => ({ ...next, changed: next.status !== before, restart });
  switch (event.kind) {
    case 'written':
      if (event.requested === 'off') return out({ status: 'off', failures: 0, lastError: null });
      // requested → active; error or off → active (the client says the endpoint is fixed): deliver again now.
      return out({ status: 'active', failures: 0, lastError: null }, before !== 'active');
    case 'delivered':
      if (!state || state.status === 'off') return out(state ?? { status: 'off', failures: 0, lastError: null });
      return out({ status: 'active', failures: 0, lastError: null });
    case 'revoked':
      if (!state || state.status === 'off') return out(state ?? { status: 'off', failures: 0, lastError: event.error });
      return out({ status: 'error', failures: state.failures, lastError: event.error });
    case 'failed': {
      if (!state) return out({ status: 'off', failures: 0, lastError: event.error });
      const failures = state.failures + 1;
      const status = state.status === 'active' && failures >= policy.errorAfter ? 'error' : state.status;
      return out({ status, failures, lastError: event.error });
    }
  }
}
