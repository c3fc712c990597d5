import type { Queryable } from '../../storage/database.js';
import { SqlBuilder } from '../../storage/sql/builder.js';
import { int, iso, json, text, textOrNull, type Row } from '../../storage/sql/rows.js';

/**
 * The MPI decision log: every automatic or human link decision, with who, when, why, what, and the state
 * before and after. Append-only. Each row carries what an AuditEvent needs (agent, action, entity, time).
 */
export type DecisionAction =
  | 'link-auto' | 'new-person' | 'queued-for-review' | 'link-manual' | 'unlink' | 'review-confirm' | 'review-reject'
  | 'merge' | 'unmerge' | 'record-removed' | 'rematch' | 'relink-features' | 'relink-join' | 'relink-split';

export interface Decision {
  readonly at: string;
  readonly actor: string;
  readonly action: DecisionAction;
  readonly reason?: string;
  readonly patientId?: string;
  readonly personId?: string;
  /** What changed: before/after Person, weight, comparison levels, guard… */
  readonly detail: Record<string, unknown>;
}

export interface LoggedDecision extends Decision {
  readonly seq: number;
}

export async function logDecision(tx: Queryable, d: Decision): Promise<void> {
  await tx.query(
    'INSERT INTO mpi_decision (at, actor, action, reason, patient_id, person_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [d.at, d.actor, d.action, d.reason ?? null, d.patientId ?? null, d.personId ?? null, JSON.stringify(d.detail)],
  );
}

export interface DecisionQuery {
  readonly patientId?: string;
  readonly personId?: string;
  /** Only decisions older than this sequence number (keyset paging, newest first). */
  readonly beforeSeq?: number;
  readonly limit: number;
}

export async function readDecisions(db: Queryable, q: DecisionQuery): Promise<LoggedDecision[]> {
  const b = new SqlBuilder();
  const where = b.where(
    q.patientId && b.eq('patient_id', q.patientId),
    q.personId && b.eq('person_id', q.personId),
    q.beforeSeq !== undefined && `seq < ${b.bind(q.beforeSeq)}`,
  );
  const { rows } = await db.query<Row>(
    `SELECT seq, at, actor, action, reason, patient_id, person_id, detail FROM mpi_decision ${where} ORDER BY seq DESC LIMIT ${b.bind(q.limit)}`,
    b.params,
  );
  return rows.map((r) => {
    const reason = textOrNull(r, 'reason');
    const patientId = textOrNull(r, 'patient_id');
    const personId = textOrNull(r, 'person_id');
    return {
      seq: int(r, 'seq'),
      at: iso(r, 'at'),
      actor: text(r, 'actor'),
      action: text(r, 'action') as DecisionAction,
      ...(reason ? { reason } : {}),
      ...(patientId ? { patientId } : {}),
      ...(personId ? { personId } : {}),
      detail: json<Record<string, unknown>>(r, 'detail'),
    };
  });
}
