import type { Queryable } from '../../storage/database.js';
import { SqlBuilder } from '../../storage/sql/builder.js';
import { int, iso, isoOrNull, json, text, textOrNull, texts, type Row } from '../../storage/sql/rows.js';
import type { Project, ProjectRequest } from './rules.js';

/** The SQL of `research_project` (migration 23). */
function projectOf(row: Row): Project {
  const optional = (key: keyof Project, value: string | null) => (value === null ? {} : { [key]: value });
  return {
    id: text(row, 'id'), title: text(row, 'title'), purpose: text(row, 'purpose'), requester: text(row, 'requester'),
    requesterName: text(row, 'requester_name'), groupId: text(row, 'group_id'), types: texts(row, 'types'), profile: text(row, 'profile'),
    durationDays: int(row, 'duration_days'), status: text(row, 'status') as Project['status'], createdAt: iso(row, 'created_at'),
    ...optional('clientId', textOrNull(row, 'client_id')), ...optional('decidedBy', textOrNull(row, 'decided_by')),
    ...optional('decidedAt', isoOrNull(row, 'decided_at')), ...optional('reason', textOrNull(row, 'reason')), ...optional('expiresAt', isoOrNull(row, 'expires_at')),
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
  const { rows } = await q.query<Row>(`SELECT * FROM research_project ${b.where(b.eq('id', id))}`, b.params);
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
  const { rows } = await q.query<Row>(`SELECT * FROM research_project ${b.where(requester !== undefined && b.eq('requester', requester))} ORDER BY created_at DESC, id`, b.params);
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
