import type { Identifier, PatientLink } from '@medplum/fhirtypes';
import type { Queryable } from '../../storage/database.js';
import { SqlBuilder } from '../../storage/sql/builder.js';
import { int, iso, json, text, textOrNull, type Row } from '../../storage/sql/rows.js';

/** Merges with what is needed to undo them exactly. */
export interface MergeDetail {
  /** The source's Person before the merge (it returns there on unmerge). */
  readonly sourcePerson: string;
  readonly sourceActive: boolean | null;
  readonly sourceLinks: readonly PatientLink[];
  /** Identifiers copied onto the target (as `use: old`), removed again on unmerge. */
  readonly copiedIdentifiers: readonly Identifier[];
  /** Resources whose references were moved from the source to the target. */
  readonly moved: readonly { readonly resourceType: string; readonly id: string }[];
}

export interface MergeRow {
  readonly id: number;
  readonly sourceId: string;
  readonly targetId: string;
  readonly state: 'merged' | 'unmerged';
  readonly at: string;
  readonly actor: string;
  readonly reason?: string;
  readonly detail: MergeDetail;
}

function toMerge(r: Row): MergeRow {
  const reason = textOrNull(r, 'reason');
  return {
    id: int(r, 'id'), sourceId: text(r, 'source_id'), targetId: text(r, 'target_id'), state: text(r, 'state') as MergeRow['state'],
    at: iso(r, 'at'), actor: text(r, 'actor'), ...(reason ? { reason } : {}),
    detail: json<MergeDetail>(r, 'detail'),
  };
}

export async function insertMerge(tx: Queryable, m: Omit<MergeRow, 'id' | 'state'>): Promise<number> {
  const { rows } = await tx.query<Row>(
    `INSERT INTO mpi_merge (source_id, target_id, state, at, actor, reason, detail) VALUES ($1, $2, 'merged', $3, $4, $5, $6) RETURNING id`,
    [m.sourceId, m.targetId, m.at, m.actor, m.reason ?? null, JSON.stringify(m.detail)],
  );
  return int(rows[0] ?? {}, 'id');
}

/** The merge in force for a source (the latest not undone), locked until the transaction ends. */
export async function activeMergeOf(tx: Queryable, sourceId: string): Promise<MergeRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(
    `SELECT id, source_id, target_id, state, at, actor, reason, detail FROM mpi_merge
      ${b.where(b.eq('source_id', sourceId), "state = 'merged'")} ORDER BY id DESC LIMIT 1 FOR UPDATE`,
    b.params,
  );
  return rows[0] ? toMerge(rows[0]) : undefined;
}

export async function markUnmerged(tx: Queryable, id: number, actor: string, at: string): Promise<void> {
  const b = new SqlBuilder();
  await tx.query(`UPDATE mpi_merge SET state = 'unmerged', undone_at = ${b.bind(at)}, undone_by = ${b.bind(actor)} ${b.where(b.eq('id', id))}`, b.params);
}
