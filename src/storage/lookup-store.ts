import type { Queryable } from './database.js';
import { SqlBuilder } from './sql/builder.js';
import { int, text, textOrNull, type Row } from './sql/rows.js';
import type { Visibility } from './sql/visibility.js';

/**
 * Reads over the search index that are not searches: resolving identifiers on hot paths (the HL7 v2
 * gateway, `$summary?identifier=`, a sender's ConceptMaps) and canonical URLs (stored terminology).
 * Search parameters arrive as their numeric keys (the search registry is fhir/'s; storage does not import it).
 */

export interface TokenHolderKey {
  readonly param: number;
  readonly system: string;
  readonly value: string;
}

/** Current (not deleted) resources carrying any of these tokens, one statement for any number of keys. */
export async function tokenHolders(db: Queryable, keys: readonly TokenHolderKey[]): Promise<{ resourceType: string; system: string; code: string; id: string }[]> {
  if (keys.length === 0) return [];
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT r.resource_type, t.system, t.code, r.id FROM search_token t JOIN resource r ON r.rid = t.rid AND NOT r.deleted
      ${b.where(`(t.param, t.system, t.code) IN (SELECT * FROM unnest(${b.bind(keys.map((k) => k.param), 'int[]')}, ${b.bind(keys.map((k) => k.system), 'text[]')}, ${b.bind(keys.map((k) => k.value), 'text[]')}))`)}`,
    b.params,
  );
  return rows.map((r) => ({ resourceType: text(r, 'resource_type'), system: text(r, 'system'), code: text(r, 'code'), id: text(r, 'id') }));
}

/** Current resources of one type carrying the token `system|code` of parameter `param`, with their versions, by id. */
export async function typedTokenHolders(db: Queryable, resourceType: string, param: number, system: string, code: string): Promise<{ id: string; versionId: number }[]> {
  const b = new SqlBuilder();
  const token = b.and(`t.rid = r.rid`, b.eq('t.param', param, 'int'), b.eq('t.code', code), b.eq('t.system', system));
  const { rows } = await db.query<Row>(
    `SELECT r.id, r.version_id FROM resource r
      ${b.where(b.eq('r.resource_type', resourceType), 'NOT r.deleted', `EXISTS (SELECT 1 FROM search_token t WHERE ${token})`)} ORDER BY r.id`,
    b.params,
  );
  return rows.map((r) => ({ id: text(r, 'id'), versionId: int(r, 'version_id') }));
}

export interface IdentifierQuery {
  /** The key of Patient's `identifier` parameter. */
  readonly param: number;
  /** undefined: any system; '': no system. */
  readonly system: string | undefined;
  readonly value: string;
  /** Join the MPI's records to tell which person each Patient is. */
  readonly withPersons: boolean;
  readonly visibility: Visibility | undefined;
  readonly limit: number;
}

/** Patients the reader may see that carry an identifier, with the MPI Person of each (when asked), by id. */
export async function patientsByIdentifier(db: Queryable, q: IdentifierQuery): Promise<{ id: string; personId: string | null }[]> {
  const b = new SqlBuilder();
  const where = b.where(
    b.eq('t.param', q.param, 'int'), b.eq('t.code', q.value),
    q.system === '' ? 't.system IS NULL' : q.system !== undefined && b.eq('t.system', q.system),
    "r.resource_type = 'Patient'", 'NOT r.deleted', q.visibility && q.visibility('r', b),
  );
  const { rows } = await db.query<Row>(
    `SELECT r.id, m.person_id FROM search_token t JOIN resource r ON r.rid = t.rid
       LEFT JOIN mpi_record m ON ${q.withPersons ? 'm.patient_id = r.id' : 'FALSE'}
      ${where} ORDER BY r.id LIMIT ${b.bind(q.limit, 'int')}`,
    b.params,
  );
  return rows.map((r) => ({ id: text(r, 'id'), personId: textOrNull(r, 'person_id') }));
}

/** The content of the most recently updated current resource of `resourceType` whose uri parameter `param` is `uri`. */
export async function latestByUri(db: Queryable, resourceType: string, param: number, uri: string): Promise<string | undefined> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT r.content FROM search_uri u JOIN resource r ON r.rid = u.rid
      ${b.where(b.eq('u.param', param, 'int'), b.eq('u.uri', uri), b.eq('r.resource_type', resourceType), 'NOT r.deleted')} ORDER BY r.last_updated DESC LIMIT 1`,
    b.params,
  );
  return rows[0] ? text(rows[0], 'content') : undefined;
}
