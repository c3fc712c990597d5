import type { Queryable } from '../../storage/database.js';
import type { Project, ProjectRequest } from './rules.js';

/** The SQL of `research_project` (migration 23). */
type Row = Record<string, unknown>;
const iso = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : (v instanceof Date ? v : new Date(String(v))).toISOString());

function projectOf(row: Row): Project {
  const optional = (key: keyof Project, value: unknown) => (value === null || value === undefined ? {} : { [key]: value });
  return {
    id: row.id as string, title: row.title as string, purpose: row.purpose as string, requester: row.requester as string,
    requesterName: row.requester_name as string, groupId: row.group_id as string, types: row.types as string[], profile: row.profile as string,
    durationDays: Number(row.duration_days), status: row.status as Project['status'], createdAt: iso(row.created_at) as string,
    ...optional('clientId', row.client_id), ...optional('decidedBy', row.decided_by), ...optional('decidedAt', iso(row.decided_at)),
    ...optional('reason', row.reason), ...optional('expiresAt', iso(row.expires_at)),
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
  const { rows } = await q.query<Row>('SELECT * FROM research_project WHERE id = $1', [id]);
  return rows[0] ? projectOf(rows[0]) : undefined;
}

export async function projectJwks(q: Queryable, id: string): Promise<unknown> {
  const { rows } = await q.query<{ jwks: string }>('SELECT jwks FROM research_project WHERE id = $1', [id]);
  return rows[0] ? JSON.parse(rows[0].jwks) : undefined;
}

/** Every project (privacy officers), or one requester's, newest first. */
export async function listProjects(q: Queryable, requester?: string): Promise<Project[]> {
  const { rows } = requester
    ? await q.query<Row>('SELECT * FROM research_project WHERE requester = $1 ORDER BY created_at DESC, id', [requester])
    : await q.query<Row>('SELECT * FROM research_project ORDER BY created_at DESC, id');
  return rows.map(projectOf);
}

/** Records a decision if the project is still requested; false when another decision came first. */
export async function decideProject(q: Queryable, id: string, d: { status: 'approved' | 'refused'; by: string; at: Date; reason?: string; clientId?: string; expiresAt?: Date }): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE research_project SET status = $2, decided_by = $3, decided_at = $4, reason = $5, client_id = $6, expires_at = $7
     WHERE id = $1 AND status = 'requested' RETURNING id`,
    [id, d.status, d.by, d.at.toISOString(), d.reason ?? null, d.clientId ?? null, d.expiresAt?.toISOString() ?? null],
  );
  return rows.length > 0;
}

/** The exports made within a project (privacy officers follow them). */
export async function projectExports(q: Queryable, id: string): Promise<{ id: string; status: string; transactionTime: string; exported: number; level: string }[]> {
  const { rows } = await q.query<Row>('SELECT id, status, transaction_time, exported, level FROM export_request WHERE project = $1 ORDER BY transaction_time DESC', [id]);
  return rows.map((r) => ({ id: r.id as string, status: r.status as string, transactionTime: iso(r.transaction_time) as string, exported: Number(r.exported), level: r.level as string }));
}
