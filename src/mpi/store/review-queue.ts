import type { Queryable } from '../../storage/database.js';
import { SqlBuilder } from '../../storage/sql/builder.js';
import { int, iso, isoOrNull, json, num, text, textOrNull, type Row } from '../../storage/sql/rows.js';

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

function toCandidate(r: Row): Candidate {
  const guard = textOrNull(r, 'guard');
  const decidedAt = isoOrNull(r, 'decided_at');
  const decidedBy = textOrNull(r, 'decided_by');
  const reason = textOrNull(r, 'reason');
  return {
    id: int(r, 'id'),
    patientId: text(r, 'patient_id'),
    personId: text(r, 'person_id'),
    candidatePatientId: text(r, 'candidate_patient_id'),
    weight: num(r, 'weight'),
    ...(guard ? { guard } : {}),
    comparison: json(r, 'comparison'),
    status: text(r, 'status') as CandidateStatus,
    createdAt: iso(r, 'created_at'),
    ...(decidedAt ? { decidedAt } : {}),
    ...(decidedBy ? { decidedBy } : {}),
    ...(reason ? { reason } : {}),
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
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM mpi_candidate ${b.where(b.eq('id', id))}${forUpdate ? ' FOR UPDATE' : ''}`, b.params);
  return rows[0] ? toCandidate(rows[0]) : undefined;
}

export interface CandidateQuery {
  readonly status?: CandidateStatus;
  readonly patientId?: string;
  readonly afterId?: number;
  readonly limit: number;
}

/** Candidates about a record: it is the record queued, or the one it was found similar to. */
function about(b: SqlBuilder, patientId: string): string {
  const id = b.bind(patientId);
  return `patient_id = ${id} OR candidate_patient_id = ${id}`;
}

export async function listCandidates(db: Queryable, q: CandidateQuery): Promise<Candidate[]> {
  const b = new SqlBuilder();
  const where = b.where(
    q.status && b.eq('status', q.status),
    q.patientId && about(b, q.patientId),
    q.afterId !== undefined && `id > ${b.bind(q.afterId)}`,
  );
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM mpi_candidate ${where} ORDER BY id LIMIT ${b.bind(q.limit)}`, b.params);
  return rows.map(toCandidate);
}

export async function countCandidates(db: Queryable, status: CandidateStatus): Promise<number> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT count(*)::int AS n FROM mpi_candidate ${b.where(b.eq('status', status))}`, b.params);
  return rows[0] ? int(rows[0], 'n') : 0;
}

export async function closeCandidate(tx: Queryable, id: number, status: Exclude<CandidateStatus, 'open'>, actor: string, reason: string | undefined, at: string): Promise<void> {
  const b = new SqlBuilder();
  await tx.query(
    `UPDATE mpi_candidate SET status = ${b.bind(status)}, decided_by = ${b.bind(actor)}, reason = ${b.bind(reason ?? null)}, decided_at = ${b.bind(at)} ${b.where(b.eq('id', id))}`,
    b.params,
  );
}

/** Open candidates about a record that no longer make sense (the record was relinked, merged or deleted). */
export async function obsoleteCandidates(tx: Queryable, patientId: string, actor: string, at: string): Promise<void> {
  const b = new SqlBuilder();
  await tx.query(
    `UPDATE mpi_candidate SET status = 'obsolete', decided_by = ${b.bind(actor)}, decided_at = ${b.bind(at)} ${b.where("status = 'open'", about(b, patientId))}`,
    b.params,
  );
}

/**
 * Open review items between one Person and some records, or between one record and some Persons
 * (either direction of a question about the same pair of people).
 */
export async function openPairs(
  tx: Queryable, byPerson: { personId: string; recordIds: readonly string[] }, byRecord: { recordId: string; personIds: readonly string[] },
): Promise<{ patientId: string; personId: string }[]> {
  const b = new SqlBuilder();
  const pairs = `(${b.and(b.eq('person_id', byPerson.personId), b.any('patient_id', byPerson.recordIds, 'text'))})
    OR (${b.and(b.eq('patient_id', byRecord.recordId), b.any('person_id', byRecord.personIds, 'text'))})`;
  const { rows } = await tx.query<Row>(`SELECT patient_id, person_id FROM mpi_candidate ${b.where("status = 'open'", pairs)}`, b.params);
  return rows.map((r) => ({ patientId: text(r, 'patient_id'), personId: text(r, 'person_id') }));
}
