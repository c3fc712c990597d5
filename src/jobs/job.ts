import type { Schedule } from './schedule.js';

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

type Row = Record<string, unknown>;

function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

function json(value: unknown): unknown {
  return value === null || value === undefined ? null : JSON.parse(value as string);
}

export const JOB_COLUMNS = `id, kind, key, payload, state, run_at, attempts, max_attempts, lease_owner, lease_until, cancel_requested,
  progress, result, last_error, schedule, created_at, started_at, finished_at`;

export function jobFromRow(row: Row): Job {
  return {
    id: Number(row.id),
    kind: row.kind as string,
    key: (row.key as string | null) ?? null,
    payload: json(row.payload),
    state: row.state as JobState,
    runAt: iso(row.run_at) as string,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    leaseOwner: (row.lease_owner as string | null) ?? null,
    leaseUntil: iso(row.lease_until),
    cancelRequested: Boolean(row.cancel_requested),
    progress: json(row.progress),
    result: json(row.result),
    lastError: (row.last_error as string | null) ?? null,
    schedule: json(row.schedule) as Schedule | null,
    createdAt: iso(row.created_at) as string,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}
