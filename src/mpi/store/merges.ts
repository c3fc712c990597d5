import type { Identifier, PatientLink } from '@medplum/fhirtypes';
import type { Queryable } from '../../storage/database.js';

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

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

function toMerge(r: Row): MergeRow {
  return {
    id: Number(r.id), sourceId: r.source_id as string, targetId: r.target_id as string, state: r.state as MergeRow['state'],
    at: iso(r.at), actor: r.actor as string, ...(r.reason ? { reason: r.reason as string } : {}),
    detail: JSON.parse(r.detail as string) as MergeDetail,
  };
}

export async function insertMerge(tx: Queryable, m: Omit<MergeRow, 'id' | 'state'>): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO mpi_merge (source_id, target_id, state, at, actor, reason, detail) VALUES ($1, $2, 'merged', $3, $4, $5, $6) RETURNING id`,
    [m.sourceId, m.targetId, m.at, m.actor, m.reason ?? null, JSON.stringify(m.detail)],
  );
  return Number(rows[0]?.id);
}

/** The merge in force for a source (the latest not undone), locked until the transaction ends. */
export async function activeMergeOf(tx: Queryable, sourceId: string): Promise<MergeRow | undefined> {
  const { rows } = await tx.query<Row>(
    `SELECT id, source_id, target_id, state, at, actor, reason, detail FROM mpi_merge
      WHERE source_id = $1 AND state = 'merged' ORDER BY id DESC LIMIT 1 FOR UPDATE`,
    [sourceId],
  );
  return rows[0] ? toMerge(rows[0]) : undefined;
}

export async function markUnmerged(tx: Queryable, id: number, actor: string, at: string): Promise<void> {
  await tx.query(`UPDATE mpi_merge SET state = 'unmerged', undone_at = $2, undone_by = $3 WHERE id = $1`, [id, at, actor]);
}
