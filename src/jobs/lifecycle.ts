import { retryDelayMs, type Backoff } from './backoff.js';
import { nextRun, type Schedule } from './schedule.js';

/** What becomes of a job after an attempt (pure: the worker and the lease reaper store the answer). */
export interface Settlement {
  readonly state: 'pending' | 'done' | 'dead';
  /** When it runs next (pending only). */
  readonly runAt: Date | null;
  /** The attempt count to store: a periodic job starts each slot afresh. */
  readonly attempts: number;
}

interface Attempted {
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly schedule: Schedule | null;
}

export function afterSuccess(job: Attempted, now: Date): Settlement {
  if (job.schedule) return { state: 'pending', runAt: nextRun(job.schedule, now), attempts: 0 };
  return { state: 'done', runAt: null, attempts: job.attempts };
}

/**
 * A failed attempt (an error, or a lease that expired because its process died) is retried after a
 * backoff until the attempts are spent; then the job is dead — except a periodic job, which gives up
 * on this slot only and waits for its next one.
 */
export function afterFailure(job: Attempted, now: Date, backoff: Backoff, random: () => number): Settlement {
  if (job.attempts < job.maxAttempts) {
    return { state: 'pending', runAt: new Date(now.getTime() + retryDelayMs(job.attempts, backoff, random)), attempts: job.attempts };
  }
  if (job.schedule) return { state: 'pending', runAt: nextRun(job.schedule, now), attempts: 0 };
  return { state: 'dead', runAt: null, attempts: job.attempts };
}
