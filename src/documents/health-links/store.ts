import type { Queryable } from '../../storage/database.js';
import { SqlBuilder } from '../../storage/sql/builder.js';
import { date, dateOrNull, int, isoOf, text, textOrNull, texts, type Row } from '../../storage/sql/rows.js';
import type { LinkFile, LinkState } from './link.js';

/** The SQL of SMART Health Links (tables of migration 022). */
export interface StoredLink extends LinkState {
  readonly id: string;
  readonly patientId: string;
  readonly patientIds: readonly string[];
  readonly createdBy: string;
  readonly createdByName?: string;
  readonly label?: string;
  readonly contents: readonly string[];
  readonly accesses: number;
  readonly lastAccessAt?: Date;
  readonly createdAt: Date;
}

const COLUMNS = 'id, patient_id, patient_ids, created_by, created_by_name, label, flag, contents, passcode_hash, attempts_left, expires_at, revoked_at, accesses, last_access_at, created_at';

function toLink(row: Row): StoredLink {
  const optional = <K extends string, V>(key: K, value: V | null) => (value === null ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    id: text(row, 'id'), patientId: text(row, 'patient_id'), patientIds: texts(row, 'patient_ids'), createdBy: text(row, 'created_by'),
    ...optional('createdByName', textOrNull(row, 'created_by_name')), ...optional('label', textOrNull(row, 'label')), flag: text(row, 'flag'), contents: texts(row, 'contents'),
    ...optional('passcodeHash', textOrNull(row, 'passcode_hash')), attemptsLeft: int(row, 'attempts_left'), expiresAt: date(row, 'expires_at'),
    ...optional('revokedAt', dateOrNull(row, 'revoked_at')), accesses: int(row, 'accesses'), ...optional('lastAccessAt', dateOrNull(row, 'last_access_at')), createdAt: date(row, 'created_at'),
  };
}

export interface NewLink {
  readonly id: string;
  readonly tokenHash: string;
  readonly patientId: string;
  readonly patientIds: readonly string[];
  readonly createdBy: string;
  readonly createdByName?: string;
  readonly label?: string;
  readonly flag: string;
  readonly contents: readonly string[];
  readonly passcodeHash?: string;
  readonly attemptsLeft: number;
  readonly expiresAt: Date;
  readonly createdAt: Date;
  readonly files: readonly { contentType: string; jwe: string }[];
}

export async function insertLink(tx: Queryable, link: NewLink): Promise<void> {
  const b = new SqlBuilder();
  const placeholders = [b.bind(link.id), b.bind(link.tokenHash), b.bind(link.patientId), b.bind([...link.patientIds], 'text[]'), b.bind(link.createdBy),
    b.bind(link.createdByName ?? null, 'text'), b.bind(link.label ?? null, 'text'), b.bind(link.flag), b.bind([...link.contents], 'text[]'), b.bind(link.passcodeHash ?? null, 'text'),
    b.bind(link.attemptsLeft, 'int'), b.bind(isoOf(link.expiresAt), 'timestamptz'), b.bind(isoOf(link.createdAt), 'timestamptz')];
  await tx.query(`INSERT INTO health_link (id, token_hash, patient_id, patient_ids, created_by, created_by_name, label, flag, contents, passcode_hash, attempts_left, expires_at, created_at)
    VALUES (${placeholders.join(', ')})`, b.params);
  await tx.query(`INSERT INTO health_link_file (link_id, position, content_type, jwe, created_at)
    SELECT $1, f.position, f.content_type, f.jwe, $5::timestamptz FROM unnest($2::int[], $3::text[], $4::text[]) AS f(position, content_type, jwe)`,
  [link.id, link.files.map((_, i) => i), link.files.map((f) => f.contentType), link.files.map((f) => f.jwe), isoOf(link.createdAt)]);
}

export async function linkByToken(q: Queryable, tokenHash: string): Promise<StoredLink | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM health_link ${b.where(b.eq('token_hash', tokenHash))}`, b.params);
  return rows[0] ? toLink(rows[0]) : undefined;
}

export async function linksOfPatients(q: Queryable, patientIds: readonly string[], createdBy?: string): Promise<StoredLink[]> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM health_link ${b.where(b.any('patient_id', patientIds, 'text'), createdBy !== undefined && b.eq('created_by', createdBy))} ORDER BY created_at DESC, id`, b.params);
  return rows.map(toLink);
}

export async function linkFiles(q: Queryable, linkId: string): Promise<LinkFile[]> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT content_type, jwe, created_at FROM health_link_file ${b.where(b.eq('link_id', linkId))} ORDER BY position`, b.params);
  return rows.map((row) => ({ contentType: text(row, 'content_type'), jwe: text(row, 'jwe'), lastUpdated: isoOf(date(row, 'created_at')) }));
}

/** One wrong passcode, counted atomically: the attempts left after it (0: the link is locked). */
export async function spendAttempt(q: Queryable, linkId: string): Promise<number> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`UPDATE health_link SET attempts_left = attempts_left - 1 ${b.where(b.eq('id', linkId), 'attempts_left > 0')} RETURNING attempts_left`, b.params);
  return rows[0] ? int(rows[0], 'attempts_left') : 0;
}

export async function countAccess(q: Queryable, linkId: string, at: Date): Promise<void> {
  const b = new SqlBuilder();
  const set = `accesses = accesses + 1, last_access_at = ${b.bind(isoOf(at), 'timestamptz')}`;
  await q.query(`UPDATE health_link SET ${set} ${b.where(b.eq('id', linkId))}`, b.params);
}

/** Revokes a link (once: a revoked link keeps its first revocation). Whether it was active. */
export async function revokeLink(q: Queryable, linkId: string, by: string, at: Date): Promise<boolean> {
  const b = new SqlBuilder();
  const set = `revoked_at = ${b.bind(isoOf(at), 'timestamptz')}, revoked_by = ${b.bind(by)}`;
  const { rows } = await q.query<Row>(`UPDATE health_link SET ${set} ${b.where(b.eq('id', linkId), 'revoked_at IS NULL')} RETURNING id`, b.params);
  return rows.length > 0;
}

export async function linkById(q: Queryable, linkId: string): Promise<StoredLink | undefined> {
  const b = new SqlBuilder();
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM health_link ${b.where(b.eq('id', linkId))}`, b.params);
  return rows[0] ? toLink(rows[0]) : undefined;
}
