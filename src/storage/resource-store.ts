import type { ConsentRule } from '../consent/rules.js';
import type { IndexRows } from './sql/index-rows.js';
import { SqlBuilder } from './sql/builder.js';
import { bool, int, iso, text, textOrNull, texts, type Row } from './sql/rows.js';
import type { Visibility } from './sql/visibility.js';
import { replaceConsentRules } from './consent-store.js';
import { signalAfterCommit } from './commit-signals.js';
import type { Queryable } from './database.js';
import { deleteIndex, writeIndex, type SerializedIndex } from './search-index.js';

/** The SQL of the resource store. Callers pass a Queryable: the database, or an open transaction. */

export interface CurrentRow {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: number;
  readonly lastUpdated: string;
  readonly deleted: boolean;
  readonly content: string | null;
  /** What access control decides on: the patient compartment, the writing organisation, sensitive categories. */
  readonly patientId?: string | null;
  readonly authorOrg?: string | null;
  readonly sensitivity?: readonly string[];
}

export interface VersionRow extends CurrentRow {
  readonly seq: number;
  readonly method: string;
}

export interface NewVersion {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: number;
  readonly lastUpdated: string;
  readonly deleted: boolean;
  readonly method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly patientId: string | null;
  readonly content: string | null;
  /** Search index rows of this version (none for a deletion). */
  readonly index: IndexRows | null;
  /** More index rows, serialized off the event loop for a large body (search-index.ts, `serializeIndex`). */
  readonly serializedIndex?: SerializedIndex;
  /** The organisation whose user or system wrote this version. */
  readonly authorOrg?: string | null;
  /** Sensitive categories (meta.security), null when none. */
  readonly sensitivity?: readonly string[] | null;
  /** For a Consent Carnet enforces: its rules (replacing the previous version's); null otherwise. */
  readonly consentRules?: readonly ConsentRule[] | null;
  /** The current row this version replaces (absent for a new resource): its change event needs it. */
  readonly previous?: Pick<CurrentRow, 'deleted' | 'patientId' | 'sensitivity'>;
}

function toCurrent(row: Row): CurrentRow {
  return {
    resourceType: text(row, 'resource_type'),
    id: text(row, 'id'),
    versionId: int(row, 'version_id'),
    lastUpdated: iso(row, 'last_updated'),
    deleted: bool(row, 'deleted'),
    content: textOrNull(row, 'content'),
    patientId: textOrNull(row, 'patient_id'),
    authorOrg: textOrNull(row, 'author_org'),
    sensitivity: texts(row, 'sensitivity'),
  };
}

const CURRENT_COLUMNS = 'resource_type, id, version_id, last_updated, deleted, content, patient_id, author_org, sensitivity';

function toVersion(row: Row): VersionRow {
  return { ...toCurrent(row), seq: int(row, 'seq'), method: text(row, 'method') };
}

export async function readCurrent(db: Queryable, resourceType: string, id: string): Promise<CurrentRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT ${CURRENT_COLUMNS} FROM resource ${b.where(b.eq('resource_type', resourceType), b.eq('id', id))}`, b.params);
  return rows[0] ? toCurrent(rows[0]) : undefined;
}

/** The current, not deleted, rows of these resources of one type (in no particular order). */
export async function currentOf(db: Queryable, resourceType: string, ids: readonly string[]): Promise<CurrentRow[]> {
  if (ids.length === 0) return [];
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT ${CURRENT_COLUMNS} FROM resource ${b.where(b.eq('resource_type', resourceType), b.any('id', [...new Set(ids)], 'text'), 'NOT deleted')}`,
    b.params,
  );
  return rows.map(toCurrent);
}

/** The content of the current, not deleted, resource `resourceType/id`. */
export async function currentContent(db: Queryable, resourceType: string, id: string): Promise<string | undefined> {
  return (await currentOf(db, resourceType, [id]))[0]?.content ?? undefined;
}

/** The current, not deleted, rows of these resources of one type that `visibility` lets the reader see. */
export async function visibleCurrent(db: Queryable, resourceType: string, ids: readonly string[], visibility: Visibility | undefined): Promise<CurrentRow[]> {
  if (ids.length === 0) return [];
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT ${CURRENT_COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')} FROM resource r
      ${b.where(b.eq('r.resource_type', resourceType), b.any('r.id', [...new Set(ids)], 'text'), 'NOT r.deleted', visibility && visibility('r', b))}`,
    b.params,
  );
  return rows.map(toCurrent);
}

/** Whether anything at all is stored (demo mode loads its population into an empty database only). */
export async function anyResourceStored(db: Queryable): Promise<boolean> {
  return (await db.query('SELECT 1 FROM resource LIMIT 1')).rows.length > 0;
}

/** The id of the first Patient written (not deleted), if any. */
export async function firstPatientId(db: Queryable): Promise<string | undefined> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT id FROM resource ${b.where(b.eq('resource_type', 'Patient'), 'NOT deleted')} ORDER BY rid LIMIT 1`, b.params);
  return rows[0] ? text(rows[0], 'id') : undefined;
}

/** How many current resources are not deleted (re-indexing). */
export async function countCurrent(db: Queryable): Promise<number> {
  const { rows } = await db.query<Row>('SELECT count(*) AS n FROM resource WHERE NOT deleted');
  return rows[0] ? int(rows[0], 'n') : 0;
}

/** The next `limit` current, not deleted, resources after row id `afterRid`, in row id order (re-indexing). */
export async function contentsAfterRid(db: Queryable, afterRid: string, limit: number): Promise<{ rid: string; content: string }[]> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT rid::text AS rid, content FROM resource ${b.where('NOT deleted', `rid > ${b.bind(afterRid, 'bigint')}`)} ORDER BY rid LIMIT ${b.bind(limit, 'int')}`,
    b.params,
  );
  return rows.map((r) => ({ rid: text(r, 'rid'), content: text(r, 'content') }));
}

/**
 * The contents of the current resources of a Patient compartment, except those of `exceptTypes`, in
 * (type, id) order; with `only`, just those of these resources.
 */
export async function compartmentContents(
  db: Queryable, patientId: string, exceptTypes: readonly string[], only?: readonly { resourceType: string; id: string }[],
): Promise<string[]> {
  const b = new SqlBuilder();
  const where = b.where(b.eq('patient_id', patientId), 'NOT deleted', `NOT (${b.any('resource_type', exceptTypes, 'text')})`, only && oneOf(b, only));
  const { rows } = await db.query<Row>(`SELECT content FROM resource ${where} ORDER BY resource_type, id`, b.params);
  return rows.map((r) => text(r, 'content'));
}

/** Current rows of many resources at once, locked for update until the transaction ends. */
/** `(resource_type, id)` is one of `keys`. */
function oneOf(b: SqlBuilder, keys: readonly { resourceType: string; id: string }[]): string {
  return `(resource_type, id) IN (SELECT * FROM unnest(${b.bind(keys.map((k) => k.resourceType), 'text[]')}, ${b.bind(keys.map((k) => k.id), 'text[]')}))`;
}

export async function lockCurrent(db: Queryable, keys: readonly { resourceType: string; id: string }[]): Promise<Map<string, CurrentRow>> {
  const found = new Map<string, CurrentRow>();
  if (keys.length === 0) return found;
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT ${CURRENT_COLUMNS} FROM resource ${b.where(oneOf(b, keys))} ORDER BY resource_type, id FOR UPDATE`, b.params);
  for (const row of rows) {
    const current = toCurrent(row);
    found.set(`${current.resourceType}/${current.id}`, current);
  }
  return found;
}

/** Which of these resources exist and are not deleted (as `Type/id`). */
export async function existing(db: Queryable, keys: readonly { resourceType: string; id: string }[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT resource_type, id FROM resource ${b.where(oneOf(b, keys), 'NOT deleted')}`, b.params);
  return new Set(rows.map((row) => `${text(row, 'resource_type')}/${text(row, 'id')}`));
}

export async function readVersion(db: Queryable, resourceType: string, id: string, versionId: number): Promise<VersionRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT seq, method, ${CURRENT_COLUMNS} FROM resource_version ${b.where(b.eq('resource_type', resourceType), b.eq('id', id), b.eq('version_id', versionId))}`,
    b.params,
  );
  return rows[0] ? toVersion(rows[0]) : undefined;
}

/**
 * Writes new versions in bulk: the current row, the immutable history row and the search index, in a
 * handful of statements whatever the number of resources. Must run inside a transaction.
 */
export async function writeVersions(db: Queryable, versions: readonly NewVersion[]): Promise<void> {
  if (versions.length === 0) return;
  const col = <K extends keyof NewVersion>(key: K) => versions.map((v) => v[key]);
  // A text[] per row does not fit unnest's one-dimensional arrays: categories travel comma-joined.
  const sensitivity = versions.map((v) => (v.sensitivity ?? []).join(','));
  const authorOrg = versions.map((v) => v.authorOrg ?? null);
  const upsert = await db.query<{ rid: string; resource_type: string; id: string }>(
    `INSERT INTO resource AS r (resource_type, id, version_id, last_updated, deleted, patient_id, content, author_org, sensitivity)
     SELECT u.t, u.i, u.v, u.l, u.d, u.p, u.c, u.a, CASE WHEN u.s = '' THEN NULL ELSE string_to_array(u.s, ',') END
       FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $5::boolean[], $6::text[], $7::text[], $8::text[], $9::text[])
         AS u(t, i, v, l, d, p, c, a, s)
     ON CONFLICT (resource_type, id) DO UPDATE SET
       version_id = EXCLUDED.version_id, last_updated = EXCLUDED.last_updated, deleted = EXCLUDED.deleted,
       patient_id = EXCLUDED.patient_id, content = EXCLUDED.content, author_org = EXCLUDED.author_org, sensitivity = EXCLUDED.sensitivity
     WHERE r.version_id = EXCLUDED.version_id - 1
     RETURNING r.rid::text AS rid, r.resource_type, r.id`,
    [col('resourceType'), col('id'), col('versionId'), col('lastUpdated'), col('deleted'), col('patientId'), col('content'), authorOrg, sensitivity],
  );
  if (upsert.rows.length !== versions.length) {
    // A concurrent writer created or advanced one of these resources first: run the transaction again.
    throw Object.assign(new Error('Concurrent write detected; retrying'), { code: '40001' });
  }
  // The history rows and their change events (docs/events-and-jobs.md) in one statement.
  const events = versions.map(versionEvent);
  await db.query(
    `WITH u AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $5::boolean[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                            $11::text[], $12::text[], $13::text[], $14::text[]) WITH ORDINALITY AS u(t, i, v, l, d, m, p, c, a, s, k, ep, pp, es, n)
     ), history AS (
       INSERT INTO resource_version (resource_type, id, version_id, last_updated, deleted, method, patient_id, content, author_org, sensitivity)
       SELECT u.t, u.i, u.v, u.l, u.d, u.m, u.p, u.c, u.a, CASE WHEN u.s = '' THEN NULL ELSE string_to_array(u.s, ',') END FROM u
     )
     INSERT INTO change_event (kind, resource_type, resource_id, version_id, patient_id, previous_patient_id, sensitivity, author_org, at)
     SELECT u.k, u.t, u.i, u.v, u.ep, u.pp, CASE WHEN u.es = '' THEN NULL ELSE string_to_array(u.es, ',') END, u.a, u.l FROM u ORDER BY u.n`,
    [col('resourceType'), col('id'), col('versionId'), col('lastUpdated'), col('deleted'), col('method'), col('patientId'), col('content'), authorOrg, sensitivity,
      events.map((e) => e.kind), events.map((e) => e.patientId), events.map((e) => e.previousPatientId), events.map((e) => e.sensitivity)],
  );
  signalAfterCommit(db, 'events');
  const ridOf = new Map(upsert.rows.map((row) => [`${row.resource_type}/${row.id}`, String(row.rid)]));
  const rid = (v: NewVersion) => ridOf.get(`${v.resourceType}/${v.id}`) as string;
  await deleteIndex(db, versions.filter((v) => v.versionId > 1).map(rid));
  await writeIndex(db, versions.filter((v) => v.index).map((v) => ({ rid: rid(v), rows: v.index as IndexRows, ...(v.serializedIndex ? { serialized: v.serializedIndex } : {}) })));
  const consents = versions.filter((v) => v.resourceType === 'Consent');
  if (consents.length > 0) await replaceConsentRules(db, consents.map((v) => ({ id: v.id, patientId: v.patientId, rules: v.consentRules ?? [] })));
}

/** The change event of a version: what kind of change, and the compartment and labels consumers route on. */
function versionEvent(v: NewVersion): { kind: string; patientId: string | null; previousPatientId: string | null; sensitivity: string } {
  const before = v.previous && !v.previous.deleted ? v.previous : undefined;
  const kind = v.deleted ? 'delete' : before ? 'update' : 'create';
  const labels = v.deleted ? before?.sensitivity ?? [] : v.sensitivity ?? [];
  return {
    kind,
    patientId: v.deleted ? before?.patientId ?? null : v.patientId,
    previousPatientId: before?.patientId ?? null,
    sensitivity: labels.join(','),
  };
}

export interface HistoryQuery {
  readonly resourceType?: string;
  readonly id?: string;
  readonly since?: string;
  /** `_at`: versions that were current at some point in [atStart, atEnd). */
  readonly at?: { readonly start: string; readonly end: string };
  /** Keyset cursor: only versions older than this sequence number. */
  readonly beforeSeq?: number;
  readonly limit: number;
  /** What the requester may see: a SQL condition over the version row (access control and consent). */
  readonly visibility?: Visibility;
}

export async function readHistory(db: Queryable, q: HistoryQuery): Promise<VersionRow[]> {
  const sql = new SqlBuilder();
  const where = sql.where(
    q.resourceType && sql.eq('v.resource_type', q.resourceType),
    q.id && sql.eq('v.id', q.id),
    q.since && `v.last_updated >= ${sql.bind(q.since)}`,
    q.beforeSeq !== undefined && `v.seq < ${sql.bind(q.beforeSeq)}`,
    q.at && `v.last_updated < ${sql.bind(q.at.end)}`,
    // A version stays current until the next version of the same resource is written.
    q.at && `NOT EXISTS (SELECT 1 FROM resource_version n WHERE n.resource_type = v.resource_type AND n.id = v.id
          AND n.version_id = v.version_id + 1 AND n.last_updated < ${sql.bind(q.at.start)})`,
    q.visibility?.('v', sql),
  );
  const { rows } = await db.query<Row>(
    `SELECT v.seq, v.method, v.resource_type, v.id, v.version_id, v.last_updated, v.deleted, v.content, v.patient_id, v.author_org, v.sensitivity
       FROM resource_version v ${where} ORDER BY v.seq DESC LIMIT ${sql.bind(q.limit)}`,
    sql.params,
  );
  return rows.map(toVersion);
}

/** Serialises concurrent conditional creates on the same criteria until the transaction ends. */
export async function lockCriteria(db: Queryable, key: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}

/** The types that have at least one live resource (a skip scan over the (resource_type, rid) index). */
export async function presentTypes(q: Queryable): Promise<Set<string>> {
  const { rows } = await q.query<Row>(
    `WITH RECURSIVE t(ty) AS (
       SELECT min(resource_type) FROM resource WHERE NOT deleted
       UNION ALL SELECT (SELECT min(resource_type) FROM resource WHERE NOT deleted AND resource_type > t.ty) FROM t WHERE t.ty IS NOT NULL)
     SELECT ty AS t FROM t WHERE ty IS NOT NULL`,
  );
  return new Set(rows.map((r) => text(r, 't')));
}
