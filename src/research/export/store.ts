import type { Queryable } from '../../storage/database.js';
import type { ExportParams } from './params.js';

/** The SQL of `export_request` and `export_file` (migration 13). */
export type ExportStatus = 'accepted' | 'in-progress' | 'completed' | 'failed' | 'cancelled';

/** What the export job needs of the requester to decide visibility again (never a token). */
export interface StoredPrincipal {
  readonly clientId: string;
  readonly role: string;
  readonly organization?: string;
  readonly scope: string;
  readonly platform: boolean;
  /** The data-access project the client belongs to (docs/research.md), if any. */
  readonly project?: string;
}

export interface ExportRow {
  readonly id: string;
  readonly clientId: string;
  readonly principal: StoredPrincipal;
  readonly params: ExportParams;
  readonly requestUrl: string;
  readonly status: ExportStatus;
  readonly transactionTime: string;
  readonly jobId: number | null;
  readonly typesDone: readonly string[];
  readonly exported: number;
  readonly report: unknown;
  readonly error: string | null;
  readonly completedAt: string | null;
  readonly expiresAt: string | null;
}

export interface FileRow {
  readonly kind: 'output' | 'error';
  readonly type: string;
  readonly part: number;
  readonly name: string;
  readonly count: number;
  readonly bytes: number;
  readonly phase: number;
  readonly lastRid: string;
}

type Row = Record<string, unknown>;
const iso = (v: unknown): string | null => (v === null || v === undefined ? null : (v instanceof Date ? v : new Date(String(v))).toISOString());

function exportOf(row: Row): ExportRow {
  return {
    id: row.id as string, clientId: row.client_id as string, principal: JSON.parse(row.principal as string) as StoredPrincipal,
    params: JSON.parse(row.params as string) as ExportParams, requestUrl: row.request_url as string, status: row.status as ExportStatus,
    transactionTime: iso(row.transaction_time) as string, jobId: row.job_id === null ? null : Number(row.job_id),
    typesDone: (row.types_done as string[] | null) ?? [], exported: Number(row.exported),
    report: row.report ? JSON.parse(row.report as string) : null, error: (row.error as string | null) ?? null,
    completedAt: iso(row.completed_at), expiresAt: iso(row.expires_at),
  };
}

function fileOf(row: Row): FileRow {
  return {
    kind: row.kind as 'output' | 'error', type: row.type as string, part: Number(row.part), name: row.name as string,
    count: Number(row.count), bytes: Number(row.bytes), phase: Number(row.phase), lastRid: String(row.last_rid),
  };
}

export interface NewExport {
  readonly id: string;
  readonly principal: StoredPrincipal;
  readonly params: ExportParams;
  readonly requestUrl: string;
  readonly transactionTime: Date;
}

export async function insertExport(q: Queryable, e: NewExport): Promise<void> {
  await q.query(
    `INSERT INTO export_request (id, client_id, principal, level, group_id, params, request_url, status, transaction_time, created_at, project)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'accepted', $8, $8, $9)`,
    [e.id, e.principal.clientId, JSON.stringify(e.principal), e.params.level, e.params.groupId ?? null, JSON.stringify(e.params), e.requestUrl, e.transactionTime.toISOString(),
      e.principal.project ?? null],
  );
}

export async function setExportJob(q: Queryable, id: string, jobId: number): Promise<void> {
  await q.query('UPDATE export_request SET job_id = $2 WHERE id = $1', [id, jobId]);
}

export async function readExport(q: Queryable, id: string): Promise<ExportRow | undefined> {
  const { rows } = await q.query<Row>('SELECT * FROM export_request WHERE id = $1', [id]);
  return rows[0] ? exportOf(rows[0]) : undefined;
}

/** Exports of a client still queued or running (the concurrency limit counts them). */
export async function activeExports(q: Queryable, clientId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM export_request WHERE client_id = $1 AND status IN ('accepted', 'in-progress')`, [clientId]);
  return Number(rows[0]?.n ?? 0);
}

export async function readFiles(q: Queryable, id: string): Promise<FileRow[]> {
  const { rows } = await q.query<Row>('SELECT * FROM export_file WHERE export_id = $1 ORDER BY kind DESC, type, part', [id]);
  return rows.map(fileOf);
}

export async function readFile(q: Queryable, id: string, name: string): Promise<FileRow | undefined> {
  const { rows } = await q.query<Row>('SELECT * FROM export_file WHERE export_id = $1 AND name = $2', [id, name]);
  return rows[0] ? fileOf(rows[0]) : undefined;
}

/** The checkpoint of one page: the file's new length and count, where the scan stands, the running total. */
export async function checkpoint(q: Queryable, id: string, file: FileRow, added: number, releaseState?: unknown): Promise<void> {
  await q.query(
    `INSERT INTO export_file (export_id, kind, type, part, name, count, bytes, phase, last_rid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (export_id, kind, type, part) DO UPDATE SET count = EXCLUDED.count, bytes = EXCLUDED.bytes, phase = EXCLUDED.phase, last_rid = EXCLUDED.last_rid`,
    [id, file.kind, file.type, file.part, file.name, file.count, file.bytes, file.phase, file.lastRid],
  );
  await q.query(`UPDATE export_request SET exported = exported + $2, status = CASE WHEN status = 'accepted' THEN 'in-progress' ELSE status END WHERE id = $1`, [id, added]);
  if (releaseState !== undefined) await saveReleaseState(q, id, releaseState);
}

/** The state of a de-identified release while it runs (its plan and counts; replaced by the report at the end). */
export async function saveReleaseState(q: Queryable, id: string, state: unknown): Promise<void> {
  await q.query('UPDATE export_request SET report = $2 WHERE id = $1', [id, JSON.stringify(state)]);
}

export async function markTypeDone(q: Queryable, id: string, type: string): Promise<void> {
  await q.query('UPDATE export_request SET types_done = array_append(types_done, $2) WHERE id = $1 AND NOT ($2 = ANY(types_done))', [id, type]);
}

export async function markStarted(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE export_request SET status = 'in-progress' WHERE id = $1 AND status = 'accepted'`, [id]);
}

export async function markCompleted(q: Queryable, id: string, now: Date, expiresAt: Date, report: unknown): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE export_request SET status = 'completed', completed_at = $2, expires_at = $3, report = $4 WHERE id = $1 AND status IN ('accepted', 'in-progress') RETURNING id`,
    [id, now.toISOString(), expiresAt.toISOString(), report === undefined ? null : JSON.stringify(report)],
  );
  return rows.length > 0;
}

export async function markFailed(q: Queryable, id: string, now: Date, expiresAt: Date, error: string): Promise<void> {
  await q.query(`UPDATE export_request SET status = 'failed', error = $2, completed_at = $3, expires_at = $4 WHERE id = $1 AND status IN ('accepted', 'in-progress')`, [id, error, now.toISOString(), expiresAt.toISOString()]);
}

/** Cancels an export not yet finished, or removes a finished one; its files are deleted by the caller. */
export async function markCancelled(q: Queryable, id: string, now: Date): Promise<void> {
  await q.query(`UPDATE export_request SET status = 'cancelled', completed_at = COALESCE(completed_at, $2), expires_at = $2 WHERE id = $1`, [id, now.toISOString()]);
}

/** Exports whose retention ended (completed, failed or cancelled): their rows and files go. */
export async function expiredExports(q: Queryable, now: Date, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM export_request WHERE expires_at IS NOT NULL AND expires_at <= $1 AND status IN ('completed', 'failed', 'cancelled') ORDER BY expires_at LIMIT $2`,
    [now.toISOString(), limit],
  );
  return rows.map((r) => r.id);
}

export async function deleteExport(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM export_request WHERE id = $1', [id]);
}
