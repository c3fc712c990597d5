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
 * The durable audit writer. Records of reads and searches are group-committed: every record that arrives
 * while a commit is under way goes into the next one, and each caller's promise resolves only after the
 * commit that holds its record — so the answer it waits to send is never acknowledged before its audit
 * record is durable, and a busy server pays one commit for many requests. Records of writes are inserted
 * by the write's own transaction (`insert`), unsealed; every commit here also seals them into the chain.
 * The chain is extended under an advisory lock, so several Carnet processes keep one chain.
 */
export class AuditWriter implements AuditSink {
  private queue: Waiting[] = [];
  private running: Promise<void> | undefined;
  private unsealedSince = false;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly log: Log,
    private readonly options: { readonly maxBatch?: number; readonly sealEveryMs?: number } = {},
  ) {
    this.timer = setInterval(() => {
      if (this.unsealedSince && !this.running) this.kick();
    }, options.sealEveryMs ?? 1000);
    this.timer.unref();
  }

  record(record: AuditRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the audit writer is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.kick();
    });
  }

  async insert(tx: Queryable, records: readonly AuditRecord[]): Promise<void> {
    await insertAuditRecords(tx, records);
    this.unsealedSince = true;
  }

  /** Seals whatever is waiting (used by `close`, tests and `carnet audit verify`). */
  async flush(): Promise<void> {
    this.unsealedSince = true;
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
    while (this.queue.length > 0 || this.unsealedSince) {
      const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
      this.unsealedSince = false;
      try {
        await withRetries(this.db, (tx) => this.commit(tx, batch.map((w) => w.record)));
        for (const w of batch) w.resolve();
      } catch (error) {
        this.log.error({ err: error, records: batch.length }, 'audit records could not be written');
        for (const w of batch) w.reject(error);
        this.unsealedSince = true;
        return;
      }
    }
  }

  /** One transaction: seal the rows written by write transactions, then append and seal the batch. */
  private async commit(tx: Queryable, batch: readonly AuditRecord[]): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [AUDIT_CHAIN_LOCK]);
    let head = (await chainHead(tx)) ?? { seq: 0, hash: GENESIS };
    const next = (record: AuditRecord) => {
      const chainSeq = head.seq + 1;
      const hash = chainHash({ ...record, chainSeq, prevHash: head.hash });
      const seal = { chainSeq, prevHash: head.hash, hash };
      head = { seq: chainSeq, hash };
      return seal;
    };
    for (;;) {
      const pending = await unsealedRecords(tx, 5000);
      if (pending.length === 0) break;
      await sealRecords(tx, pending.map((record) => ({ id: record.id, ...next(record) })));
      if (pending.length < 5000) break;
    }
    if (batch.length > 0) await insertAuditRecords(tx, batch, batch.map(next));
  }
}
