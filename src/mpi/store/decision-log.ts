import type { Queryable } from '../../storage/database.js';

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
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.patientId) where.push(`patient_id = $${params.push(q.patientId)}`);
  if (q.personId) where.push(`person_id = $${params.push(q.personId)}`);
  if (q.beforeSeq !== undefined) where.push(`seq < $${params.push(q.beforeSeq)}`);
  params.push(q.limit);
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT seq, at, actor, action, reason, patient_id, person_id, detail FROM mpi_decision
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.at instanceof Date ? r.at.toISOString() : new Date(String(r.at)).toISOString(),
    actor: r.actor as string,
    action: r.action as DecisionAction,
    ...(r.reason ? { reason: r.reason as string } : {}),
    ...(r.patient_id ? { patientId: r.patient_id as string } : {}),
    ...(r.person_id ? { personId: r.person_id as string } : {}),
    detail: JSON.parse(r.detail as string) as Record<string, unknown>,
  }));
}
