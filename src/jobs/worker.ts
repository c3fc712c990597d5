import type { Log } from '../fhir/context.js';
import type { Database, Queryable } from '../storage/database.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import type { Job } from './job.js';
import {
  anyExpired, expiredLeases, extendLeases, leaseJobs, nextDue, recordProgress, releaseJob, settleJob, settleSucceeded, type Lease,
} from './job-store.js';
import type { JobContext, JobDefinition, Jobs } from './jobs.js';
import { afterFailure, afterSuccess, type Settlement } from './lifecycle.js';

/** Why an attempt's signal was aborted. */
export type AbortReason = 'cancelled' | 'lease-lost' | 'timeout' | 'shutdown';

interface Running {
  readonly job: Job;
  readonly lease: Lease;
  readonly definition: JobDefinition;
  readonly controller: AbortController;
  readonly done: Promise<void>;
  /** Set once the handler ended the attempt itself (`complete(tx)`). */
  completed: boolean;
}

export interface WorkerOptions {
  /** This process's name in leases (unique per process and start). */
  readonly owner: string;
  /** Attempts running at once in this process. */
  readonly concurrency: number;
  readonly random?: () => number;
  /** Told whenever an attempt ends (a slot is free: look for more work). */
  readonly onSettled?: () => void;
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 2000);
}

/**
 * Runs jobs in this process: leases due jobs of the kinds defined here (FOR UPDATE SKIP LOCKED, so two
 * processes never take the same one), renews the leases while handlers run, settles each attempt (done,
 * retried after a backoff, dead), and settles the jobs of processes whose leases ran out.
 */
export class JobWorker {
  private readonly running = new Map<number, Running>();
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping = false;
  private renewing = false;
  /** Successful attempts waiting to be recorded (the group being recorded now is out of this list). */
  private readonly succeeded: { lease: Lease; settlement: Settlement; result: string; recorded: (held: boolean) => void }[] = [];
  private recording: Promise<void> | undefined;
  private lastReap = -Infinity;
  private readonly random: () => number;

  constructor(private readonly jobs: Jobs, private readonly db: Database, private readonly clock: () => Date, private readonly log: Log, private readonly options: WorkerOptions) {
    this.random = options.random ?? Math.random;
  }

  get busy(): number {
    return this.running.size;
  }

  /**
   * One round: settles expired leases, then leases and starts as many due jobs as there are free slots.
   * Returns how many it started (the attempts go on in the background).
   */
  async tick(options: { reap?: boolean } = {}): Promise<number> {
    if (this.stopping) return 0;
    if (options.reap || performance.now() - this.lastReap >= 1000) {
      this.lastReap = performance.now();
      await this.reapExpired();
    }
    const free = this.options.concurrency - this.running.size;
    const kinds = this.jobs.kinds().filter((kind) => {
      const limit = this.jobs.definition(kind)?.concurrency;
      return limit === undefined || this.countRunning(kind) < limit;
    });
    if (free <= 0 || kinds.length === 0) return 0;
    const now = this.clock();
    const leaseMs = Math.min(...kinds.map((k) => this.jobs.definition(k)?.leaseMs ?? 30_000));
    const leased = await leaseJobs(this.db, kinds, free, this.options.owner, now, leaseMs);
    let started = 0;
    for (const job of leased) {
      const definition = this.jobs.definition(job.kind) as JobDefinition;
      const lease = { id: job.id, owner: this.options.owner, attempt: job.attempts };
      if (definition.concurrency !== undefined && this.countRunning(job.kind) >= definition.concurrency) {
        await releaseJob(this.db, lease, now); // leased in the same batch as others of its kind: over the kind's limit
        continue;
      }
      this.start(job, lease, definition);
      started++;
    }
    return started;
  }

  /** When the next pending job of a kind defined here is due. */
  nextDue(): Promise<Date | undefined> {
    return nextDue(this.db, this.jobs.kinds());
  }

  /** Waits for every attempt running now (not for those started later). */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Aborts a running attempt of this process, if it runs here. */
  abort(id: number, reason: AbortReason): void {
    const running = this.running.get(id);
    if (running && !running.controller.signal.aborted) running.controller.abort(reason);
  }

  /**
   * Stops taking jobs; lets running attempts finish for up to `graceMs`, then aborts them ("shutdown")
   * and gives their leases back, so that another process takes them at once rather than after expiry.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const all = this.settled();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    if ((await Promise.race([all.then(() => 'done' as const), graceOver])) === 'timeout') {
      for (const id of this.running.keys()) this.abort(id, 'shutdown');
      await all;
    }
    clearTimeout(timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private countRunning(kind: string): number {
    let n = 0;
    for (const r of this.running.values()) if (r.job.kind === kind) n++;
    return n;
  }

  private start(job: Job, lease: Lease, definition: JobDefinition): void {
    const controller = new AbortController();
    const entry = { job, lease, definition, controller, completed: false } as Running;
    (entry as { done: Promise<void> }).done = this.attempt(entry).finally(() => {
      this.running.delete(job.id);
      if (this.running.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
      }
      this.options.onSettled?.();
    });
    this.running.set(job.id, entry);
    this.ensureHeartbeat();
  }

  private context(entry: Running): JobContext {
    const { lease, definition, controller } = entry;
    return {
      job: entry.job,
      signal: controller.signal,
      progress: async (value: unknown) => {
        const cancel = await recordProgress(this.db, lease, JSON.stringify(value ?? null), new Date(this.clock().getTime() + definition.leaseMs));
        if (cancel === undefined) this.abort(lease.id, 'lease-lost');
        else if (cancel) this.abort(lease.id, 'cancelled');
      },
      complete: async (tx: Queryable, result?: unknown) => {
        const now = this.clock();
        const held = await settleJob(tx, lease, afterSuccess(entry.job, now), now, { result: JSON.stringify(result ?? null) });
        if (!held) throw new Error(`job ${lease.id} lost its lease before it completed; its writes are rolled back`);
        entry.completed = true;
      },
    };
  }

  private async attempt(entry: Running): Promise<void> {
    const { job, lease, definition, controller } = entry;
    const timeout = definition.timeoutMs ? setTimeout(() => this.abort(job.id, 'timeout'), definition.timeoutMs) : undefined;
    try {
      const result = await definition.handler(this.context(entry));
      if (!entry.completed) await this.recordSuccess(lease, afterSuccess(job, this.clock()), JSON.stringify(result ?? null));
    } catch (error) {
      await this.failed(entry, controller.signal.aborted ? (controller.signal.reason as AbortReason) : undefined, error);
    } finally {
      if (timeout) clearTimeout(timeout);
    }
  }

  /** Records a success with the others that end meanwhile: one statement, one commit, per group. */
  private recordSuccess(lease: Lease, settlement: Settlement, result: string): Promise<boolean> {
    const recorded = new Promise<boolean>((resolve) => this.succeeded.push({ lease, settlement, result, recorded: resolve }));
    if (!this.recording) this.recording = this.recordGroups();
    return recorded;
  }

  private async recordGroups(): Promise<void> {
    while (this.succeeded.length > 0) {
      const group = this.succeeded.splice(0, this.succeeded.length);
      let held = new Set<number>();
      try {
        held = await settleSucceeded(this.db, group, this.clock());
      } catch (error) {
        // Their leases will expire and the jobs will run again (at least once).
        this.log.error({ jobs: group.length, error: message(error) }, 'could not record finished jobs');
      }
      for (const g of group) g.recorded(held.has(g.lease.id));
    }
    this.recording = undefined;
  }

  private async failed(entry: Running, reason: AbortReason | undefined, error: unknown): Promise<void> {
    const { job, lease, definition } = entry;
    const now = this.clock();
    try {
      if (reason === 'lease-lost') return; // another process holds it now
      if (reason === 'shutdown') {
        await releaseJob(this.db, lease, now);
        return;
      }
      if (reason === 'cancelled') {
        await settleJob(this.db, lease, { state: 'cancelled' }, now, { error: 'cancelled' });
        return;
      }
      const settlement = afterFailure(job, now, definition.backoff, this.random);
      const why = reason === 'timeout' ? `timed out after ${definition.timeoutMs} ms` : message(error);
      await settleJob(this.db, lease, settlement, now, { error: why });
      this.log.warn({ job: job.id, kind: job.kind, attempt: job.attempts, next: settlement.state, error: why }, 'job attempt failed');
    } catch (settleError) {
      // The lease will expire and the job will be taken again.
      this.log.error({ job: job.id, kind: job.kind, error: message(settleError) }, 'could not record a job attempt');
    }
  }

  private ensureHeartbeat(): void {
    if (this.heartbeat) return;
    const shortest = Math.min(...[...this.running.values()].map((r) => r.definition.leaseMs));
    this.heartbeat = setInterval(() => void this.renew(), Math.max(250, Math.floor(shortest / 3)));
    this.heartbeat.unref();
  }

  /** Renews every lease held; aborts attempts whose lease was lost or whose job was cancelled. */
  private async renew(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    const byLease = new Map<number, Running[]>();
    for (const r of this.running.values()) byLease.set(r.definition.leaseMs, [...(byLease.get(r.definition.leaseMs) ?? []), r]);
    try {
      for (const [leaseMs, entries] of byLease) {
        const held = await extendLeases(this.db, entries.map((e) => e.lease), new Date(this.clock().getTime() + leaseMs));
        for (const e of entries) {
          const cancel = held.get(e.lease.id);
          if (cancel === undefined && !e.completed) this.abort(e.lease.id, 'lease-lost');
          else if (cancel) this.abort(e.lease.id, 'cancelled');
        }
      }
    } catch (error) {
      this.log.warn({ error: message(error) }, 'could not renew job leases');
    } finally {
      this.renewing = false;
    }
  }

  /** Jobs of processes that died: retried (or dead once their attempts are spent), as a failed attempt would be. */
  private async reapExpired(): Promise<void> {
    const now = this.clock();
    if (!(await anyExpired(this.db, now))) return;
    const reaped = await this.db.transaction(async (tx) => {
      const expired = await expiredLeases(tx, now, 100);
      for (const job of expired) {
        const backoff = this.jobs.definition(job.kind)?.backoff ?? DEFAULT_BACKOFF;
        // Its process is gone, not the job's fault: taken again at once, but the attempt counts (a job that
        // kills every process that runs it dies after its attempts).
        const failed = afterFailure(job, now, backoff, this.random);
        const settlement = failed.state === 'pending' && failed.attempts > 0 ? { ...failed, runAt: now } : failed;
        await settleJob(tx, { id: job.id, owner: job.leaseOwner ?? '', attempt: job.attempts }, settlement, now, {
          error: `lease expired at ${job.leaseUntil}: the process running attempt ${job.attempts} (${job.leaseOwner}) stopped or stalled`,
        });
      }
      return expired;
    });
    for (const job of reaped) this.log.warn({ job: job.id, kind: job.kind, owner: job.leaseOwner }, 'job lease expired; retaken');
  }
}
