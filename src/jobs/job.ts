import type { Schedule } from './schedule.js';
import { bool, int, iso, isoOrNull, jsonOrNull, text, textOrNull, type Row } from '../storage/sql/rows.js';

/**
 * A durable job: a row of `job`, leased by one process at a time. `pending` → `running` → `done`, or back
 * to `pending` after a failure (with backoff) until `maxAttempts`, then `dead` (kept, retryable);
 * `cancelled` by an operator or by code. A periodic job goes back to `pending` at its next slot instead of
 * finishing, so one row is the whole schedule.
 */
export type JobState = 'pending' | 'running' | 'done' | 'dead' | 'cancelled';
export const JOB_STATES: readonly JobState[] = ['pending', 'running', 'done', 'dead', 'cancelled'];

/** What a caller enqueues. */
export interface NewJob {
  /** Which handler runs it (`define(kind, …)`); by convention `area.action`, e.g. `subscription.deliver`. */
  readonly kind: string;
  /** Any JSON value; the handler's input. Keep it small: ids, not resources. */
  readonly payload?: unknown;
  /**
   * Idempotency key: enqueuing a second job of the same kind and key returns the first (whatever its
   * state) instead of creating one, as long as the first is kept (finished jobs are pruned after
   * CARNET_JOB_RETENTION_DAYS).
   */
  readonly key?: string;
  /** Not before this time (default: now). */
  readonly runAt?: Date;
  /** Not before this many milliseconds from now (ignored when `runAt` is given). */
  readonly delayMs?: number;
  /** Overrides the kind's `maxAttempts`. */
  readonly maxAttempts?: number;
}

export interface Job {
  readonly id: number;
  readonly kind: string;
  readonly key: string | null;
  readonly payload: unknown;
  readonly state: JobState;
  readonly runAt: string;
  /** Attempts started so far (the running attempt included). */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly leaseOwner: string | null;
  readonly leaseUntil: string | null;
  readonly cancelRequested: boolean;
  readonly progress: unknown;
  readonly result: unknown;
  readonly lastError: string | null;
  readonly schedule: Schedule | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export const JOB_COLUMNS = `id, kind, key, payload, state, run_at, attempts, max_attempts, lease_owner, lease_until, cancel_requested,
  progress, result, last_error, schedule, created_at, started_at, finished_at`;

export function jobFromRow(row: Row): Job {
  return {
    id: int(row, 'id'),
    kind: text(row, 'kind'),
    key: textOrNull(row, 'key'),
    payload: jsonOrNull(row, 'payload'),
    state: text(row, 'state') as JobState,
    runAt: iso(row, 'run_at'),
    attempts: int(row, 'attempts'),
    maxAttempts: int(row, 'max_attempts'),
    leaseOwner: textOrNull(row, 'lease_owner'),
    leaseUntil: isoOrNull(row, 'lease_until'),
    cancelRequested: bool(row, 'cancel_requested'),
    progress: jsonOrNull(row, 'progress'),
    result: jsonOrNull(row, 'result'),
    lastError: textOrNull(row, 'last_error'),
    schedule: jsonOrNull<Schedule>(row, 'schedule'),
    createdAt: iso(row, 'created_at'),
    startedAt: isoOrNull(row, 'started_at'),
    finishedAt: isoOrNull(row, 'finished_at'),
  };
}
