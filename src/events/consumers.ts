import type { Log } from '../fhir/context.js';
import { retryDelayMs, type Backoff } from '../jobs/backoff.js';
import type { Database, Queryable } from '../storage/database.js';
import {
  advanceConsumer, consumerLag, consumersWithWork, deleteConsumer, ensureConsumer, lockConsumer, readEvents, recordConsumerFailure,
  skipOneEvent, type ConsumerLag,
} from './consumer-store.js';
import { nextCursor, sameCursor, type ChangeEvent, type ChangeKind } from './event.js';

/** A named reader of the change events, with a durable cursor of its own. */
export interface Consumer {
  /** Its durable identity (the cursor's name): lower-case words and dots, e.g. `subscriptions.match`. */
  readonly name: string;
  /** Only events of these resource types (default: all). */
  readonly types?: readonly string[];
  /** Only events of these kinds (default: all). */
  readonly kinds?: readonly ChangeKind[];
  /** Most events per call of `handle` (default 100). */
  readonly batchSize?: number;
  /** Where a consumer seen for the first time starts: after everything already committed (default) or at the oldest kept event. */
  readonly start?: 'now' | 'beginning';
  /**
   * Handles a batch, in order, inside the transaction that then advances the cursor: what it writes
   * with `tx` (enqueued jobs, rows of its own) commits with the new position, or not at all. Throwing
   * rolls the batch back; it is offered again after a backoff (at least once, never out of order). Work
   * outside the database (HTTP, e-mail) belongs in a job enqueued here, not in the handler.
   */
  handle(events: readonly ChangeEvent[], tx: Queryable): Promise<void>;
}

/** What one step of a consumer did. */
type Step = 'busy' | 'idle' | 'handled' | 'more' | 'failed';

const NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;
const FAILURE_BACKOFF: Backoff = { baseMs: 500, maxMs: 60_000 };

export interface PassResult {
  readonly handled: number;
  /** Some consumer has a full batch more to read. */
  readonly more: boolean;
  /** The soonest a failed consumer may be tried again. */
  readonly retryAt?: number;
  readonly failures: readonly { readonly consumer: string; readonly error: string }[];
}

/**
 * Runs this process's consumers. A step takes the consumer's cursor row with FOR UPDATE SKIP LOCKED —
 * another process holding it means that process is handling it — reads the next batch, hands it to the
 * handler, and advances the cursor, all in one transaction.
 */
export class EventConsumers {
  private readonly consumers = new Map<string, Consumer>();
  /** One step at a time per consumer in this process. */
  private readonly inStep = new Map<string, Promise<Step>>();
  private readonly failing = new Map<string, { count: number; retryAt: number }>();
  /** Told when a consumer is registered (so the runtime looks for its work at once). */
  onRegister: (() => void) | undefined;

  constructor(private readonly db: Database, private readonly clock: () => Date, private readonly log: Log, private readonly random: () => number = Math.random) {}

  /** Registers a consumer and creates its cursor if it has none yet. */
  async register(consumer: Consumer): Promise<void> {
    if (!NAME.test(consumer.name)) throw new Error(`consumer name "${consumer.name}": lower-case words separated by dots`);
    if (this.consumers.has(consumer.name)) throw new Error(`consumer "${consumer.name}" is already registered`);
    await ensureConsumer(this.db, consumer.name, consumer.start ?? 'now', this.clock());
    this.consumers.set(consumer.name, consumer);
    this.onRegister?.();
  }

  names(): string[] {
    return [...this.consumers.keys()];
  }

  has(name: string): boolean {
    return this.consumers.has(name);
  }

  /**
   * One pass over the consumers that have work: each takes one batch. `ignoreBackoff` tries failed
   * consumers again at once (runOnce); otherwise they wait out their backoff. `skip` leaves some out.
   */
  async pass(options: { ignoreBackoff?: boolean; skip?: ReadonlySet<string> } = {}): Promise<PassResult> {
    if (this.consumers.size === 0) return { handled: 0, more: false, failures: [] };
    const ready = await consumersWithWork(this.db, this.names());
    const now = Date.now();
    let handled = 0;
    let more = false;
    let retryAt: number | undefined;
    const failures: { consumer: string; error: string }[] = [];
    for (const name of ready) {
      if (options.skip?.has(name)) continue;
      const failing = this.failing.get(name);
      if (failing && !options.ignoreBackoff && failing.retryAt > now) {
        retryAt = Math.min(retryAt ?? Infinity, failing.retryAt);
        continue;
      }
      const before = this.failing.get(name)?.count ?? 0;
      const { step, count, error } = await this.step(name);
      handled += count;
      if (step === 'more') more = true;
      if (step === 'failed') {
        failures.push({ consumer: name, error: error ?? 'failed' });
        retryAt = Math.min(retryAt ?? Infinity, this.failing.get(name)?.retryAt ?? now);
      } else if (before > 0 && step !== 'busy') this.failing.delete(name);
    }
    return { handled, more, ...(retryAt !== undefined ? { retryAt } : {}), failures };
  }

  /** One batch of one consumer (serialised per consumer within this process). */
  async step(name: string): Promise<{ step: Step; count: number; error?: string }> {
    const consumer = this.consumers.get(name);
    if (!consumer) throw new Error(`no consumer "${name}" is registered`);
    const previous = this.inStep.get(name);
    if (previous) await previous.catch(() => undefined);
    let count = 0;
    let failure: string | undefined;
    const run = this.runStep(consumer, (n) => { count = n; }).catch(async (error: unknown) => {
      failure = error instanceof Error ? error.message : String(error);
      await this.noteFailure(consumer.name, failure);
      return 'failed' as const;
    });
    this.inStep.set(name, run);
    try {
      const step = await run;
      return { step, count, ...(failure ? { error: failure } : {}) };
    } finally {
      if (this.inStep.get(name) === run) this.inStep.delete(name);
    }
  }

  private async runStep(consumer: Consumer, counted: (n: number) => void): Promise<Step> {
    const batch = consumer.batchSize ?? 100;
    return this.db.transaction(async (tx) => {
      const cursor = await lockConsumer(tx, consumer.name);
      if (!cursor) return 'busy';
      const filter = { ...(consumer.types ? { types: consumer.types } : {}), ...(consumer.kinds ? { kinds: consumer.kinds } : {}) };
      const { events, target } = await readEvents(tx, cursor, filter, batch);
      const next = nextCursor(cursor, target, events.at(-1)?.seq, events.length === batch);
      if (events.length > 0) await consumer.handle(events, tx);
      if (!sameCursor(next, cursor)) await advanceConsumer(tx, consumer.name, next, events.length, this.clock());
      counted(events.length);
      return events.length === batch ? 'more' : events.length > 0 ? 'handled' : 'idle';
    });
  }

  private async noteFailure(name: string, error: string): Promise<void> {
    const count = (this.failing.get(name)?.count ?? 0) + 1;
    this.failing.set(name, { count, retryAt: Date.now() + retryDelayMs(count, FAILURE_BACKOFF, this.random) });
    this.log.warn({ consumer: name, failures: count, error }, 'event consumer failed; its batch will be offered again');
    await recordConsumerFailure(this.db, name, error).catch(() => undefined);
  }

  lag(name?: string): Promise<ConsumerLag[]> {
    return consumerLag(this.db, this.clock(), name);
  }

  /** Moves a consumer past its first unhandled event (an operator's way past an event it cannot handle). */
  skip(name: string): Promise<ChangeEvent | undefined> {
    return this.db.transaction((tx) => skipOneEvent(tx, name));
  }

  /** Forgets a consumer no longer in the code (its cursor holds back pruning). Refused for one registered here. */
  async remove(name: string): Promise<'removed' | 'registered' | 'unknown'> {
    if (this.consumers.has(name)) return 'registered';
    return (await deleteConsumer(this.db, name)) ? 'removed' : 'unknown';
  }
}
