import type { Log } from '../fhir/context.js';
import { AUDIT_CHAIN_LOCK, chainHead, insertAuditRecords, sealRecords, unsealedRecords } from '../storage/audit-store.js';
import { withRetries, type Database, type Queryable } from '../storage/database.js';
import { chainHash, GENESIS } from './chain.js';
import type { AuditRecord, AuditSink } from './record.js';

interface Waiting {
  readonly record: AuditRecord;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The durable audit writer. A read's answer waits until its audit record is committed (unless
 * CARNET_AUDIT_READS=async), so no answered request is ever missing from the trail. Records are
 * group-committed: every record that arrives while an append is under way goes into the next one. An
 * append is one statement that inserts the batch already sealed into the hash chain: the writer keeps the
 * chain's head in memory, and the UNIQUE chain position refuses a fork if another Carnet process appended
 * first (the batch is then re-hashed after the new head and, while several processes keep appending, appends
 * take turns under the chain's advisory lock instead of colliding). Rows are never updated on this path.
 * Records of writes are inserted by the write's own transaction (`insert`) and sealed into the chain, under
 * an advisory lock, by the next append or within `sealEveryMs`.
 */
type Head = { seq: number; hash: string };

/** How long a process keeps taking the chain's lock after it saw another process append. */
const SHARED_CHAIN_MS = 30_000;
type Seal = { chainSeq: number; prevHash: string; hash: string };

function forkRefused(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

function extend(head: Head, records: readonly AuditRecord[]): { seals: Seal[]; head: Head } {
  let cursor = head;
  const seals = records.map((record) => {
    const chainSeq = cursor.seq + 1;
    const hash = chainHash({ ...record, chainSeq, prevHash: cursor.hash });
    const seal = { chainSeq, prevHash: cursor.hash, hash };
    cursor = { seq: chainSeq, hash };
    return seal;
  });
  return { seals, head: cursor };
}

export class AuditWriter implements AuditSink {
  private queue: Waiting[] = [];
  private running: Promise<void> | undefined;
  private unsealed = false;
  private head: Head | undefined;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** Until when appends take the chain's lock (another process was seen appending). */
  private sharedUntil = 0;

  constructor(
    private readonly db: Database,
    private readonly log: Log,
    private readonly options: {
      readonly maxBatch?: number;
      readonly sealEveryMs?: number;
      /** `async`: `record` resolves once queued, not once committed (CARNET_AUDIT_READS; see docs/security.md). */
      readonly reads?: 'durable' | 'async';
    } = {},
  ) {
    this.timer = setInterval(() => {
      if (this.unsealed && !this.running) this.kick();
    }, options.sealEveryMs ?? 500);
    this.timer.unref();
  }

  record(record: AuditRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the audit writer is closed'));
    const committed = new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.kick();
    });
    if (this.options.reads !== 'async') return committed;
    committed.catch(() => undefined); // logged by drain(); the answer did not wait for it
    return Promise.resolve();
  }

  async insert(tx: Queryable, records: readonly AuditRecord[]): Promise<void> {
    await insertAuditRecords(tx, records);
    this.unsealed = true;
  }

  /** Waits for every queued record and seals everything appended so far into the chain. */
  async flush(): Promise<void> {
    this.unsealed = true;
    this.kick();
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 || this.unsealed) {
      const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
      const seal = this.unsealed;
      this.unsealed = false;
      try {
        if (seal) this.head = await withRetries(this.db, (tx) => sealPending(tx));
        if (batch.length > 0) await this.append(batch.map((w) => w.record));
        for (const w of batch) w.resolve();
      } catch (error) {
        this.head = undefined;
        this.unsealed = true;
        this.log.error({ err: error, records: batch.length }, 'audit records could not be written');
        for (const w of batch) w.reject(error);
        return;
      }
    }
  }

  private async append(records: readonly AuditRecord[]): Promise<void> {
    if (Date.now() >= this.sharedUntil) {
      const head = this.head ?? (await chainHead(this.db)) ?? { seq: 0, hash: GENESIS };
      const next = extend(head, records);
      try {
        await insertAuditRecords(this.db, records, next.seals);
        this.head = next.head;
        return;
      } catch (error) {
        this.head = undefined;
        if (!forkRefused(error)) throw error;
      }
      // Another Carnet process appended first: while processes share the chain, appending optimistically
      // would fail again and again as they alternate, so for a while they take turns under the chain's lock.
      this.sharedUntil = Date.now() + SHARED_CHAIN_MS;
    }
    this.head = await withRetries(this.db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [AUDIT_CHAIN_LOCK]);
      const next = extend((await chainHead(tx)) ?? { seq: 0, hash: GENESIS }, records);
      await insertAuditRecords(tx, records, next.seals);
      return next.head;
    });
  }
}

/** Seals the rows that write transactions appended, oldest first, under the chain's lock; returns the head. */
async function sealPending(tx: Queryable): Promise<Head> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [AUDIT_CHAIN_LOCK]);
  let head = (await chainHead(tx)) ?? { seq: 0, hash: GENESIS };
  for (;;) {
    const pending = await unsealedRecords(tx, 5000);
    if (pending.length === 0) return head;
    const next = extend(head, pending);
    await sealRecords(tx, pending.map((record, i) => ({ id: record.id, ...(next.seals[i] as Seal) })));
    head = next.head;
    if (pending.length < 5000) return head;
  }
}
