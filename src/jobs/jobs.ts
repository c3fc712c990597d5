import { signalAfterCommit } from '../storage/commit-signals.js';
import type { Database, Queryable } from '../storage/database.js';
import { DEFAULT_BACKOFF, type Backoff } from './backoff.js';
import type { Job, NewJob } from './job.js';
import {
  cancelJob, cancelKeyedJob, countJobs, insertJobs, listJobs, readJob, readKeyedJob, rearmKeyedJob, retryJob, upsertSchedule, type JobInsert, type JobListQuery,
} from './job-store.js';
import { checkSchedule, nextRun, type Schedule } from './schedule.js';

/** What a handler gets for one attempt of a job. */
export interface JobContext<P = unknown> {
  readonly job: Job & { readonly payload: P };
  /**
   * Aborted when the attempt must stop: an operator cancelled the job (`reason` "cancelled"), its lease
   * was lost to another process ("lease-lost"), it ran past its `timeoutMs` ("timeout"), or this process
   * is shutting down ("shutdown"). Pass it to fetch and check it between steps.
   */
  readonly signal: AbortSignal;
  /** Records progress (any JSON, shown to operators) and extends the lease. */
  progress(value: unknown): Promise<void>;
  /**
   * Ends the attempt as done inside the caller's transaction, so that the job's own database writes
   * and its completion commit together (exactly once). Throws if the lease was lost, which rolls the
   * writes back. Without it the job is marked done after the handler returns (at least once).
   */
  complete(tx: Queryable, result?: unknown): Promise<void>;
}

/** Runs one attempt; the value it resolves to is kept as the job's result (JSON). Throwing fails the attempt. */
export type JobHandler<P = unknown> = (ctx: JobContext<P>) => Promise<unknown>;

export interface JobOptions {
  /** Attempts before the job is dead (default 5). */
  readonly maxAttempts?: number;
  readonly backoff?: Backoff;
  /**
   * How long a lease lasts without renewal (default 30 s). The worker renews it while the handler runs,
   * so this is how soon a job of a process that died is taken again, not a limit on the job's duration.
   */
  readonly leaseMs?: number;
  /** Abort an attempt running longer than this (signal reason "timeout"); it then counts as failed. */
  readonly timeoutMs?: number;
  /** At most this many attempts of the kind at once in one process (default: the process's concurrency). */
  readonly concurrency?: number;
}

export interface JobDefinition extends Required<Pick<JobOptions, 'maxAttempts' | 'backoff' | 'leaseMs'>> {
  readonly kind: string;
  readonly handler: JobHandler;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
}

const KIND = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;

/**
 * The job queue as callers see it: handlers are defined per kind, jobs are enqueued inside the caller's
 * transaction (they exist once it commits), and operators list, retry and cancel them. The worker
 * (worker.ts) runs them.
 */
export class Jobs {
  private readonly definitions = new Map<string, JobDefinition>();
  /** Told when a job is cancelled (so that a running attempt anywhere is aborted at once). */
  onCancel: ((id: number) => void) | undefined;

  constructor(private readonly db: Database, private readonly clock: () => Date) {}

  define<P>(kind: string, handler: JobHandler<P>, options: JobOptions = {}): void {
    if (!KIND.test(kind)) throw new Error(`job kind "${kind}": lower-case words separated by dots, e.g. "subscription.deliver"`);
    if (this.definitions.has(kind)) throw new Error(`job kind "${kind}" is already defined`);
    this.definitions.set(kind, {
      kind, handler: handler as JobHandler, maxAttempts: options.maxAttempts ?? 5, backoff: options.backoff ?? DEFAULT_BACKOFF,
      leaseMs: options.leaseMs ?? 30_000,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    });
  }

  definition(kind: string): JobDefinition | undefined {
    return this.definitions.get(kind);
  }

  kinds(): string[] {
    return [...this.definitions.keys()];
  }

  /** Enqueues a job in `q`'s transaction (or at once when `q` is the database). */
  async enqueue(q: Queryable, job: NewJob): Promise<{ id: number; created: boolean }> {
    return (await this.enqueueMany(q, [job]))[0] as { id: number; created: boolean };
  }

  /** Enqueues many jobs with one statement (a consumer's batch of events, say). */
  async enqueueMany(q: Queryable, jobs: readonly NewJob[]): Promise<{ id: number; created: boolean }[]> {
    const now = this.clock();
    const rows: JobInsert[] = jobs.map((job) => {
      if (!KIND.test(job.kind)) throw new Error(`job kind "${job.kind}" is not a valid kind`);
      const runAt = job.runAt ?? new Date(now.getTime() + Math.max(0, job.delayMs ?? 0));
      return {
        kind: job.kind, key: job.key ?? null, payload: JSON.stringify(job.payload ?? null), runAt,
        maxAttempts: job.maxAttempts ?? this.definitions.get(job.kind)?.maxAttempts ?? 5,
      };
    });
    const ids = await insertJobs(q, rows, now);
    if (ids.some((r) => r.created)) signalAfterCommit(q, 'jobs');
    return ids;
  }

  /**
   * Enqueues a keyed job, or re-arms the one with its key (pending again at the new time with the new
   * payload, unless it is running), in `q`'s transaction: a reminder that moves with its appointment.
   */
  async enqueueOrRearm(q: Queryable, job: NewJob & { key: string }): Promise<void> {
    const now = this.clock();
    const row = {
      kind: job.kind, key: job.key, payload: JSON.stringify(job.payload ?? null), runAt: job.runAt ?? new Date(now.getTime() + Math.max(0, job.delayMs ?? 0)),
      maxAttempts: job.maxAttempts ?? this.definitions.get(job.kind)?.maxAttempts ?? 5,
    };
    if (!(await rearmKeyedJob(q, row))) await insertJobs(q, [row], now);
    signalAfterCommit(q, 'jobs');
  }

  /** The keyed job (kind, key) as `q` sees it (in its transaction), whatever its state. */
  keyed(q: Queryable, kind: string, key: string): Promise<Job | undefined> {
    return readKeyedJob(q, kind, key);
  }

  /** Cancels, in `q`'s transaction, the keyed job (kind, key) if it is still pending. */
  cancelKeyed(q: Queryable, kind: string, key: string): Promise<boolean> {
    return cancelKeyedJob(q, kind, key, this.clock());
  }

  /**
   * A periodic job of a defined kind: one row (kind, key) that runs at each slot of the schedule, in one
   * process at a time, and is never duplicated however many processes declare it. Declaring it again
   * (each start) keeps its state; a schedule an operator cancelled stays paused until retried.
   */
  async schedule(kind: string, schedule: Schedule, options: { key?: string; payload?: unknown } = {}): Promise<void> {
    const checked = checkSchedule(schedule);
    const now = this.clock();
    const maxAttempts = this.definitions.get(kind)?.maxAttempts ?? 5;
    await upsertSchedule(this.db, kind, options.key ?? 'schedule', checked, JSON.stringify(options.payload ?? null), nextRun(checked, now), maxAttempts, now);
    signalAfterCommit(this.db, 'jobs');
  }

  get(id: number): Promise<Job | undefined> {
    return readJob(this.db, id);
  }

  list(query: Partial<JobListQuery> = {}): Promise<Job[]> {
    return listJobs(this.db, { ...query, limit: Math.min(Math.max(query.limit ?? 50, 1), 500) });
  }

  counts(): Promise<{ kind: string; state: string; count: number }[]> {
    return countJobs(this.db);
  }

  /** Cancels a job (a running attempt is aborted through its signal). */
  async cancel(id: number): Promise<'cancelled' | 'cancelling' | undefined> {
    const outcome = await cancelJob(this.db, id, this.clock());
    if (outcome === 'cancelling') this.onCancel?.(id);
    return outcome;
  }

  /** Runs a dead or cancelled job again from its first attempt. */
  async retry(id: number): Promise<boolean> {
    const done = await retryJob(this.db, id, this.clock());
    if (done) signalAfterCommit(this.db, 'jobs');
    return done;
  }
}
