import { createHash } from 'node:crypto';
import type { AuditRecord } from './record.js';

/**
 * The hash chain of the audit trail (pure). Each sealed row commits to the previous one:
 *   hash_n = SHA-256( canonical(row_n) ), where canonical(row_n) includes chain_seq_n and hash_{n-1}.
 * The canonical form is a JSON array of every stored column in a fixed order, so changing any column of
 * any row (or removing, reordering or inserting a row) breaks every hash from that row on.
 */
export const GENESIS = '0'.repeat(64);

/** An audit record at its place in the chain. */
export interface ChainRow extends AuditRecord {
  readonly chainSeq: number;
  readonly prevHash: string;
}

export function canonical(row: ChainRow): string {
  return JSON.stringify([
    row.chainSeq, row.prevHash, row.uid, new Date(row.recorded).toISOString(), row.action, row.agent,
    [...row.patients], row.outcome, row.breakGlass, row.content,
  ]);
}

export function chainHash(row: ChainRow): string {
  return createHash('sha256').update(canonical(row)).digest('hex');
}

export interface StoredChainRow extends ChainRow {
  readonly id: number;
  readonly hash: string;
}

export type VerifyResult =
  | { readonly ok: true; readonly rows: number; readonly lastHash: string }
  | { readonly ok: false; readonly rows: number; readonly brokenAt: { readonly id: number; readonly chainSeq: number; readonly uid: string }; readonly why: string };

/** Checks a run of sealed rows in chain order, starting after (seq, hash) `from`. */
export function verifyRun(rows: readonly StoredChainRow[], from: { seq: number; hash: string }): VerifyResult & { last: { seq: number; hash: string } } {
  let { seq, hash } = from;
  let checked = 0;
  for (const row of rows) {
    const at = { id: row.id, chainSeq: row.chainSeq, uid: row.uid };
    if (row.chainSeq !== seq + 1) return { ok: false, rows: checked, brokenAt: at, why: `chain position ${row.chainSeq} follows ${seq}: a record is missing`, last: { seq, hash } };
    if (row.prevHash !== hash) return { ok: false, rows: checked, brokenAt: at, why: 'its previous-hash does not match the record before it', last: { seq, hash } };
    if (chainHash(row) !== row.hash) return { ok: false, rows: checked, brokenAt: at, why: 'its content does not match its hash (the record was modified)', last: { seq, hash } };
    seq = row.chainSeq;
    hash = row.hash;
    checked++;
  }
  return { ok: true, rows: checked, lastHash: hash, last: { seq, hash } };
}
