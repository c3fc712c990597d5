import type { Queryable } from '../../storage/database.js';
import { SqlBuilder } from '../../storage/sql/builder.js';
import { int, iso, isoOrNull, json, text, textOrNull, texts, type Row } from '../../storage/sql/rows.js';
import type { Project, ProjectRequest } from './rules.js';

/** The SQL of `research_project` (migration 23) and `research_project_revocation` (21). */
const PROJECTS = `SELECT p.*, r.revoked_by, r.revoked_at, r.reason AS revoke_reason
  FROM research_project p LEFT JOIN research_project_revocation r ON r.project_id = p.id`;

function projectOf(row: Row): Project {
  const optional = (key: keyof Project, value: string | null) => (value === null ? {} : { [key]: value });
  return {
    id: text(row, 'id'), title: text(row, 'title'), purpose: text(row, 'purpose'), requester: text(row, 'requester'),
    requesterName: text(row, 'requester_name'), groupId: text(row, 'group_id'), types: texts(row, 'types'), profile: text(row, 'profile'),
    durationDays: int(row, 'duration_days'), status: (isoOrNull(row, 'revoked_at') ? 'revoked' : text(row, 'status')) as Project['status'], createdAt: iso(row, 'created_at'),
    ...optional('clientId', textOrNull(row, 'client_id')), ...optional('decidedBy', textOrNull(row, 'decided_by')),
    ...optional('decidedAt', isoOrNull(row, 'decided_at')), ...optional('reason', textOrNull(row, 'reason')), ...optional('expiresAt', isoOrNull(row, 'expires_at')),
    ...optional('revokedBy', textOrNull(row, 'revoked_by')), ...optional('revokedAt', isoOrNull(row, 'revoked_at')), ...optional('revokeReason', textOrNull(row, 'revoke_reason')),
  };
}

export async function insertProject(q: Queryable, id: string, request: ProjectRequest, requester: { key: string; name: string }, now: Date): Promise<void> {
  await q.query(
    `INSERT INTO research_project (id, title, purpose, requester, requester_name, group_id, types, profile, duration_days, jwks, status, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'requested', $11)`,
    [id, request.title, request.purpose, requester.key, requester.name, request.groupId, [...request.types], request.profile, request.durationDays,
      JSON.stringify(request.jwks), now.toISOString()],
  );
}

export async function readProject(q: Queryable, id: string): Promise<Project | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`${PROJECTS} ${b.where(b.eq('p.id', id))}`, b.params);
  return rows[0] ? projectOf(rows[0]) : undefined;
}

export async function projectJwks(q: Queryable, id: string): Promise<unknown> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT jwks FROM research_project ${b.where(b.eq('id', id))}`, b.params);
  return rows[0] ? json(rows[0], 'jwks') : undefined;
}

/** Every project (privacy officers), or one requester's, newest first. */
export async function listProjects(q: Queryable, requester?: string): Promise<Project[]> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`${PROJECTS} ${b.where(requester !== undefined && b.eq('p.requester', requester))} ORDER BY p.created_at DESC, p.id`, b.params);
  return rows.map(projectOf);
}

/** Records a decision if the project is still requested; false when another decision came first. */
export async function decideProject(q: Queryable, id: string, d: { status: 'approved' | 'refused'; by: string; at: Date; reason?: string; clientId?: string; expiresAt?: Date }): Promise<boolean> {
  const b = new SqlBuilder();
  const set = `status = ${b.bind(d.status)}, decided_by = ${b.bind(d.by)}, decided_at = ${b.bind(d.at.toISOString(), 'timestamptz')}, reason = ${b.bind(d.reason ?? null, 'text')},
    client_id = ${b.bind(d.clientId ?? null, 'text')}, expires_at = ${b.bind(d.expiresAt?.toISOString() ?? null, 'timestamptz')}`;
  const { rows } = await q.query(`UPDATE research_project SET ${set} ${b.where(b.eq('id', id), `status = 'requested'`)} RETURNING id`, b.params);
  return rows.length > 0;
}

/** The exports made within a project (privacy officers follow them). */
export async function projectExports(q: Queryable, id: string): Promise<{ id: string; status: string; transactionTime: string; exported: number; level: string }[]> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT id, status, transaction_time, exported, level FROM export_request ${b.where(b.eq('project', id))} ORDER BY transaction_time DESC`, b.params);
  return rows.map((r) => ({ id: text(r, 'id'), status: text(r, 'status'), transactionTime: iso(r, 'transaction_time'), exported: int(r, 'exported'), level: text(r, 'level') }));
}

/**
 * Revokes an approved project, in the caller's transaction: its client is disabled (no new token) and every
 * export of the project not yet cancelled or failed is cancelled. Returns those exports (their jobs and files
 * are the caller's to stop and delete), or undefined when the project was no longer approved.
 */
export async function revokeProject(q: Queryable, id: string, r: { by: string; at: Date; reason: string }): Promise<{ id: string; jobId: number | null; running: boolean }[] | undefined> {
  const { rows } = await q.query<Row>(
    `INSERT INTO research_project_revocation (project_id, revoked_by, revoked_at, reason)
     SELECT id, $2, $3, $4 FROM research_project WHERE id = $1 AND status = 'approved'
     ON CONFLICT (project_id) DO NOTHING RETURNING project_id`,
    [id, r.by, r.at.toISOString(), r.reason],
  );
  if (rows.length === 0) return undefined;
  const client = await q.query<Row>('SELECT client_id FROM research_project WHERE id = $1', [id]);
  const clientId = client.rows[0] ? textOrNull(client.rows[0], 'client_id') : null;
  if (clientId) await q.query('UPDATE auth_client SET disabled = true WHERE id = $1', [clientId]);
  const cancelled = await q.query<{ id: string; job_id: string | number | null; status: string }>(
    `UPDATE export_request e SET status = 'cancelled', completed_at = COALESCE(e.completed_at, $2), expires_at = $2
       FROM (SELECT id, status AS before FROM export_request WHERE project = $1 AND status NOT IN ('cancelled', 'failed') FOR UPDATE) old
      WHERE e.id = old.id RETURNING e.id, e.job_id, old.before AS status`,
    [id, r.at.toISOString()],
  );
  return cancelled.rows.map((row) => ({ id: row.id, jobId: row.job_id === null ? null : Number(row.job_id), running: row.status !== 'completed' }));
}
