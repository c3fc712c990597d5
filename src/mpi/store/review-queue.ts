import type { Queryable } from '../../storage/database.js';

/** The review queue: candidate (record, person) pairs that a human must confirm or reject. */
export type CandidateStatus = 'open' | 'confirmed' | 'rejected' | 'obsolete';

export interface NewCandidate {
  readonly patientId: string;
  readonly personId: string;
  readonly candidatePatientId: string;
  readonly weight: number;
  readonly guard?: string;
  /** Comparison levels per field, as stored for display. */
  readonly comparison: unknown;
}

export interface Candidate extends NewCandidate {
  readonly id: number;
  readonly status: CandidateStatus;
  readonly createdAt: string;
  readonly decidedAt?: string;
  readonly decidedBy?: string;
  readonly reason?: string;
}

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

function toCandidate(r: Row): Candidate {
  return {
    id: Number(r.id),
    patientId: r.patient_id as string,
    personId: r.person_id as string,
    candidatePatientId: r.candidate_patient_id as string,
    weight: Number(r.weight),
    ...(r.guard ? { guard: r.guard as string } : {}),
    comparison: JSON.parse(r.comparison as string) as unknown,
    status: r.status as CandidateStatus,
    createdAt: iso(r.created_at),
    ...(r.decided_at ? { decidedAt: iso(r.decided_at) } : {}),
    ...(r.decided_by ? { decidedBy: r.decided_by as string } : {}),
    ...(r.reason ? { reason: r.reason as string } : {}),
  };
}

const COLUMNS = 'id, patient_id, person_id, candidate_patient_id, weight, guard, comparison, status, created_at, decided_at, decided_by, reason';

/** Queues candidates; an open candidate for the same (record, person) is refreshed rather than duplicated. */
export async function queueCandidates(tx: Queryable, candidates: readonly NewCandidate[], at: string): Promise<void> {
  for (const c of candidates) {
    await tx.query(
      `INSERT INTO mpi_candidate (patient_id, person_id, candidate_patient_id, weight, guard, comparison, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)
       ON CONFLICT (patient_id, person_id) WHERE status = 'open'
       DO UPDATE SET candidate_patient_id = EXCLUDED.candidate_patient_id, weight = EXCLUDED.weight, guard = EXCLUDED.guard,
         comparison = EXCLUDED.comparison`,
      [c.patientId, c.personId, c.candidatePatientId, c.weight, c.guard ?? null, JSON.stringify(c.comparison), at],
    );
  }
}

export async function readCandidate(tx: Queryable, id: number, forUpdate = false): Promise<Candidate | undefined> {
  const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM mpi_candidate WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? toCandidate(rows[0]) : undefined;
}

export interface CandidateQuery {
  readonly status?: CandidateStatus;
  readonly patientId?: string;
  readonly afterId?: number;
  readonly limit: number;
}

export async function listCandidates(db: Queryable, q: CandidateQuery): Promise<Candidate[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.status) where.push(`status = $${params.push(q.status)}`);
  if (q.patientId) where.push(`(patient_id = $${params.push(q.patientId)} OR candidate_patient_id = $${params.length})`);
  if (q.afterId !== undefined) where.push(`id > $${params.push(q.afterId)}`);
  params.push(q.limit);
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM mpi_candidate ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`,
    params,
  );
  return rows.map(toCandidate);
}

export async function countCandidates(db: Queryable, status: CandidateStatus): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM mpi_candidate WHERE status = $1', [status]);
  return Number(rows[0]?.n ?? 0);
}

export async function closeCandidate(tx: Queryable, id: number, status: Exclude<CandidateStatus, 'open'>, actor: string, reason: string | undefined, at: string): Promise<void> {
  await tx.query('UPDATE mpi_candidate SET status = $2, decided_by = $3, reason = $4, decided_at = $5 WHERE id = $1', [id, status, actor, reason ?? null, at]);
}

/** Open candidates about a record that no longer make sense (the record was relinked, merged or deleted). */
export async function obsoleteCandidates(tx: Queryable, patientId: string, actor: string, at: string): Promise<void> {
  await tx.query(
    `UPDATE mpi_candidate SET status = 'obsolete', decided_by = $2, decided_at = $3
      WHERE status = 'open' AND (patient_id = $1 OR candidate_patient_id = $1)`,
    [patientId, actor, at],
  );
}
