import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { BackgroundConfig } from '../config/config.js';
import type { Log } from '../fhir/context.js';
import { EventConsumers } from '../events/consumers.js';
import { pruneEvents } from '../events/consumer-store.js';
import { pruneJobs } from '../jobs/job-store.js';
import { Jobs } from '../jobs/jobs.js';
import { JobWorker } from '../jobs/worker.js';
import type { CommitTopic, SignallingDatabase } from '../storage/commit-signals.js';
import { WakeLoop } from './wake-loop.js';

/** What `runOnce` did. */
export interface RunOnceResult {
  readonly events: number;
  readonly jobs: number;
  readonly failures: readonly { readonly consumer: string; readonly error: string }[];
}

const PRUNE_CHUNK = 10_000;

/**
 * The background work of one API process: the event consumers and the job worker, woken the moment a
 * transaction of this process that appended events or enqueued jobs commits, by LISTEN/NOTIFY when
 * another process's does (PostgreSQL), and by a poll as a fallback. Started after migrations by the
 * composition root (unless CARNET_BACKGROUND=off); tests drive it with `runOnce()` instead.
 */
export class Background {
  readonly events: EventConsumers;
  readonly jobs: Jobs;
  private readonly worker: JobWorker;
  private readonly eventLoop: WakeLoop;
  private readonly jobLoop: WakeLoop;
  private readonly channel: string;
  private unlisten: (() => Promise<void>) | undefined;
  private unsubscribe: (() => void) | undefined;
  private notifying: Promise<void> | undefined;
  private readonly toNotify = new Set<string>();
  private started = false;
  /** Hears the other topics another process's commits announce (e.g. `persons`: MPI links changed). */
  onTopic: ((topic: string) => void) | undefined;
  /** Names this process in its notifications, so it ignores its own. */
  private readonly origin = randomUUID().slice(0, 8);

  constructor(
    private readonly db: SignallingDatabase, private readonly clock: () => Date, private readonly log: Log,
    private readonly config: BackgroundConfig, schema: string, random: () => number = Math.random,
  ) {
    this.channel = `carnet_background:${schema}`;
    this.events = new EventConsumers(db, clock, log, random);
    this.jobs = new Jobs(db, clock);
    this.worker = new JobWorker(this.jobs, db, clock, log, {
      owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, concurrency: config.concurrency, random,
      onSettled: () => this.jobLoop.kick(),
    });
    this.eventLoop = new WakeLoop(() => this.eventRound(), (error) => log.error({ error: String(error) }, 'event consumers: round failed'));
    this.jobLoop = new WakeLoop(() => this.jobRound(), (error) => log.error({ error: String(error) }, 'job worker: round failed'));
    this.events.onRegister = () => this.eventLoop.kick();
    this.jobs.onCancel = (id) => {
      this.worker.abort(id, 'cancelled');
      this.notify(`cancel:${id}`);
    };
    // Commits of this process wake its own loops at once, and the other processes through NOTIFY.
    this.unsubscribe = db.onCommit((topics) => this.committed(topics));
    this.defineMaintenance();
  }

  /** Starts consuming and working: LISTEN, the poll, the maintenance schedules. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.jobs.schedule('events.prune', { every: 10 * 60_000 });
    await this.jobs.schedule('jobs.prune', { every: 60 * 60_000 });
    if (this.db.listen) {
      this.unlisten = await this.db.listen(this.channel, (payload) => this.heard(payload), () => this.wakeAll());
    }
    this.eventLoop.start(this.config.pollMs);
    this.jobLoop.start(this.config.pollMs);
  }

  /**
   * Runs everything that is due now, to the end, in this process: every consumer until it has read all
   * committed events, every due job (and the jobs those enqueue) until none is left. For tests: no
   * sleeping, no timers. Delayed jobs run once the injected clock has passed their time. A consumer whose
   * batch fails is reported and not tried again within the same run.
   */
  async runOnce(): Promise<RunOnceResult> {
    let events = 0;
    let jobs = 0;
    const failures: { consumer: string; error: string }[] = [];
    const failed = new Set<string>();
    for (;;) {
      const pass = await this.events.pass({ ignoreBackoff: true, skip: failed });
      events += pass.handled;
      for (const f of pass.failures) {
        if (!failed.has(f.consumer)) failures.push(f);
        failed.add(f.consumer);
      }
      const started = await this.worker.tick({ reap: true });
      jobs += started;
      await this.worker.settled();
      if (pass.handled > 0 || pass.more || started > 0) continue;
      return { events, jobs, failures };
    }
  }

  /** Stops the loops; running jobs get `graceMs` to finish, then give their leases back. */
  async close(graceMs = 10_000): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.eventLoop.stop();
    await this.jobLoop.stop();
    await this.worker.stop(graceMs);
    await this.unlisten?.();
    await this.notifying;
  }

  private async eventRound(): Promise<number | undefined> {
    const pass = await this.events.pass();
    if (pass.more) return 0;
    return pass.retryAt !== undefined ? Math.max(1, pass.retryAt - Date.now()) : undefined;
  }

  private async jobRound(): Promise<number | undefined> {
    const free = this.config.concurrency - this.worker.busy;
    const started = await this.worker.tick();
    if (started > 0 && started === free) return undefined; // onSettled kicks when a slot frees
    const due = await this.worker.nextDue();
    if (!due) return undefined;
    return Math.max(1, due.getTime() - this.clock().getTime());
  }

  private committed(topics: ReadonlySet<CommitTopic>): void {
    if (this.started) {
      if (topics.has('events')) this.eventLoop.kick();
      if (topics.has('jobs')) this.jobLoop.kick();
    }
    for (const topic of topics) this.notify(topic);
  }

  private heard(payload: string): void {
    const [origin, ...parts] = payload.split(',');
    if (origin === this.origin) return; // our own commits woke us already
    for (const part of parts) {
      if (part === 'events') this.eventLoop.kick();
      else if (part === 'jobs') this.jobLoop.kick();
      else if (part.startsWith('cancel:')) this.worker.abort(Number(part.slice(7)), 'cancelled');
      else this.onTopic?.(part);
    }
  }

  private wakeAll(): void {
    this.eventLoop.kick();
    this.jobLoop.kick();
  }

  /**
   * Tells the other processes, outside any write transaction (a NOTIFY inside one would serialise all
   * committing writers on PostgreSQL's notification lock). Coalesced: one NOTIFY in flight at a time.
   */
  private notify(topic: string): void {
    if (!this.db.listen) return;
    this.toNotify.add(topic);
    if (this.notifying) return;
    const payload = [this.origin, ...this.toNotify].join(',');
    this.toNotify.clear();
    this.notifying = this.db.query('SELECT pg_notify($1, $2)', [this.channel, payload])
      .then(() => new Promise((resolve) => setTimeout(resolve, 10)))
      .then(() => undefined, (error: unknown) => this.log.warn({ error: String(error) }, 'could not notify the other processes (they will poll)'))
      .finally(() => {
        this.notifying = undefined;
        const next = [...this.toNotify];
        this.toNotify.clear();
        for (const topic of next) this.notify(topic);
      });
  }

  /** Pruning, as periodic jobs: events every consumer has passed, and finished jobs, in chunks (short transactions). */
  private defineMaintenance(): void {
    const chunked = (prune: (before: Date) => Promise<number>, retentionMs: () => number) => async ({ signal }: { signal: AbortSignal }) => {
      const before = new Date(this.clock().getTime() - retentionMs());
      let pruned = 0;
      for (let n = PRUNE_CHUNK; n === PRUNE_CHUNK && !signal.aborted; pruned += n) n = await prune(before);
      return { pruned };
    };
    this.jobs.define('events.prune', chunked((before) => pruneEvents(this.db, before, PRUNE_CHUNK), () => this.config.eventRetentionHours * 3_600_000), { maxAttempts: 3 });
    this.jobs.define('jobs.prune', chunked((before) => pruneJobs(this.db, before, PRUNE_CHUNK), () => this.config.jobRetentionDays * 86_400_000), { maxAttempts: 3 });
  }
}
