import { chainPage, countUnsealed } from '../storage/audit-store.js';
import type { Queryable } from '../storage/database.js';
import { GENESIS, verifyRun } from './chain.js';

/**
 * `carnet audit verify`: walks the whole chain in order, recomputing every hash; proves it intact or
 * names the first broken link (its row id, chain position and AuditEvent id) and why.
 */
export interface ChainReport {
  readonly ok: boolean;
  readonly records: number;
  readonly unsealed: number;
  readonly lastHash?: string;
  readonly brokenAt?: { readonly id: number; readonly chainSeq: number; readonly uid: string };
  readonly why?: string;
}

export async function verifyAuditChain(db: Queryable, pageSize = 5000): Promise<ChainReport> {
  let from = { seq: 0, hash: GENESIS };
  let records = 0;
  for (;;) {
    const rows = await chainPage(db, from.seq, pageSize);
    if (rows.length === 0) break;
    const result = verifyRun(rows, from);
    records += result.rows;
    if (!result.ok) return { ok: false, records, unsealed: await countUnsealed(db), brokenAt: result.brokenAt, why: result.why };
    from = result.last;
  }
  return { ok: true, records, unsealed: await countUnsealed(db), lastHash: from.hash };
}
