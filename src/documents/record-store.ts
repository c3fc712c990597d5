import type { Resource } from '@medplum/fhirtypes';
import { SqlBuilder } from '../storage/sql/builder.js';
import type { Visibility } from '../storage/sql/visibility.js';
import type { Queryable } from '../storage/database.js';
import { boolOrNull, int, iso, isoOrNull, text, textOrNull, texts, type Row } from '../storage/sql/rows.js';
import type { EventFact } from './timeline/events.js';

/**
 * The stored resources of one person (all their source records) that documents read, in one query
 * through the `(patient_id, resource_type)` index. Each row says whether the reader may see it — the
 * very visibility condition search applies (src/consent/visibility-sql.ts) — so the caller can say that data
 * was withheld without ever putting hidden content in what it returns.
 */
export interface PersonRecord {
  readonly visible: Resource[];
  readonly hidden: Resource[];
  /** The source Patient each visible resource belongs to (`Type/id` → patient id), for the audit trail. */
  readonly patientOf: Map<string, string>;
}

export async function loadPersonRecord(reader: Queryable, patientIds: readonly string[], types: readonly string[], visibility: Visibility | undefined): Promise<PersonRecord> {
  const sql = new SqlBuilder();
  const ids = sql.bind([...patientIds], 'text[]');
  const typeList = sql.bind([...types], 'text[]');
  const visible = visibility ? `(${visibility('r', sql)})` : 'TRUE';
  const { rows } = await reader.query<Row>(
    `SELECT r.resource_type, r.id, r.patient_id, r.content, ${visible} AS visible FROM resource r
      ${sql.where(`r.patient_id = ANY(${ids})`, `r.resource_type = ANY(${typeList})`, 'NOT r.deleted')}`,
    sql.params,
  );
  const record: PersonRecord = { visible: [], hidden: [], patientOf: new Map() };
  for (const row of rows) {
    // A visibility condition that evaluates to NULL hides the row, as WHERE would.
    const seen = boolOrNull(row, 'visible') === true;
    (seen ? record.visible : record.hidden).push(JSON.parse(text(row, 'content')) as Resource);
    if (seen) record.patientOf.set(`${text(row, 'resource_type')}/${text(row, 'id')}`, text(row, 'patient_id'));
  }
  return record;
}

/**
 * Resources a document refers to, by `Type/id`, that the reader may see: directory resources (no
 * patient), and — of the types a document carries along, such as a Device — the person's own.
 */
export async function loadReferenced(
  reader: Queryable, targets: readonly string[], patientIds: readonly string[], personTypes: readonly string[], visibility: Visibility | undefined,
): Promise<Resource[]> {
  if (targets.length === 0) return [];
  const sql = new SqlBuilder();
  const types = sql.bind(targets.map((t) => t.split('/')[0]), 'text[]');
  const idList = sql.bind(targets.map((t) => t.split('/')[1]), 'text[]');
  const mine = `(r.patient_id = ANY(${sql.bind([...patientIds], 'text[]')}) AND r.resource_type = ANY(${sql.bind([...personTypes], 'text[]')}))`;
  const where = sql.where('NOT r.deleted', `r.patient_id IS NULL OR ${mine}`, visibility?.('r', sql));
  const { rows } = await reader.query<Row>(
    `SELECT r.content FROM unnest(${types}, ${idList}) AS t(type, id)
       JOIN resource r ON r.resource_type = t.type AND r.id = t.id
      ${where}`,
    sql.params,
  );
  return rows.map((r) => JSON.parse(text(r, 'content')) as Resource);
}

/** The search-index keys the timeline reads its facts through (src/fhir/search/registry.ts). */
export interface TimelineKeys {
  readonly types: readonly string[];
  /** Date parameters, in order of preference: the first one a resource has gives its clinical date. */
  readonly dates: readonly number[];
  readonly statuses: readonly number[];
  readonly observationCategory: number;
  readonly observationDevice: number;
}

/**
 * One small fact per event-bearing resource of the person that the reader may see — the visibility
 * condition of search in the WHERE clause — read from the search index (dates, status, categories,
 * device) without touching the resources' JSON, so a page costs the same whatever the resources weigh.
 */
export async function loadTimelineFacts(reader: Queryable, patientIds: readonly string[], keys: TimelineKeys, visibility: Visibility | undefined): Promise<EventFact[]> {
  const sql = new SqlBuilder();
  const dates = sql.bind([...keys.dates], 'int[]');
  const where = sql.where(sql.any('r.patient_id', patientIds, 'text'), sql.any('r.resource_type', keys.types, 'text'), 'NOT r.deleted', visibility?.('r', sql));
  const { rows } = await reader.query<Row>(
    `SELECT r.rid::text AS rid, r.resource_type, r.id, r.patient_id, r.author_org, r.last_updated,
       (SELECT d.lo FROM search_date d WHERE d.rid = r.rid AND d.param = ANY(${dates}) AND d.lo > '-infinity'::timestamptz
         ORDER BY array_position(${dates}, d.param), d.lo LIMIT 1) AS at,
       (SELECT t.code FROM search_token t WHERE t.rid = r.rid AND t.param = ANY(${sql.bind([...keys.statuses], 'int[]')}) LIMIT 1) AS status,
       (SELECT array_agg(t.code) FROM search_token t WHERE t.rid = r.rid AND t.param = ${sql.bind(keys.observationCategory, 'int')}) AS categories,
       (SELECT min(x.target) FROM search_reference x WHERE x.rid = r.rid AND x.param = ${sql.bind(keys.observationDevice, 'int')}) AS device
       FROM resource r ${where}`,
    sql.params,
  );
  return rows.map((row) => {
    const at = isoOrNull(row, 'at');
    return {
      rid: text(row, 'rid'), resourceType: text(row, 'resource_type'), id: text(row, 'id'), patientId: text(row, 'patient_id'),
      at: at === null ? null : Date.parse(at), recorded: Date.parse(iso(row, 'last_updated')), status: textOrNull(row, 'status'),
      categories: texts(row, 'categories'), device: textOrNull(row, 'device'), authorOrg: textOrNull(row, 'author_org'),
    };
  });
}

/** The JSON of resources by row id (a timeline page's events), whatever their type. */
export async function loadByRid(reader: Queryable, rids: readonly string[]): Promise<Map<string, Resource>> {
  if (rids.length === 0) return new Map();
  const sql = new SqlBuilder();
  const { rows } = await reader.query<Row>(`SELECT r.rid::text AS rid, r.content FROM resource r ${sql.where(sql.any('r.rid', rids, 'bigint'))}`, sql.params);
  return new Map(rows.map((row) => [text(row, 'rid'), JSON.parse(text(row, 'content')) as Resource]));
}

/** The organisation managing each source Patient record (`Patient.managingOrganization`, as indexed). */
export async function sourceOrganizations(reader: Queryable, patientIds: readonly string[], organizationKey: number): Promise<Map<string, string>> {
  const sql = new SqlBuilder();
  const { rows } = await reader.query<Row>(
    `SELECT r.id, min(x.target) AS org FROM resource r JOIN search_reference x ON x.rid = r.rid AND x.param = ${sql.bind(organizationKey, 'int')}
      ${sql.where(`r.resource_type = 'Patient'`, sql.any('r.id', patientIds, 'text'), 'x.target IS NOT NULL')} GROUP BY r.id`,
    sql.params,
  );
  return new Map(rows.map((row) => [text(row, 'id'), text(row, 'org')]));
}

/**
 * The PDF-only results (documents/pdf-only.ts) counted per source organisation — the managing organisation of
 * the source Patient record, else the organisation that wrote the resource — and type. Counts only.
 */
export async function pdfOnlyCounts(reader: Queryable, keys: { tags: readonly number[]; organization: number }, system: string, code: string): Promise<{ source: string | null; resourceType: string; count: number }[]> {
  const sql = new SqlBuilder();
  const { rows } = await reader.query<Row>(
    `SELECT COALESCE((SELECT min(x.target) FROM resource p JOIN search_reference x ON x.rid = p.rid AND x.param = ${sql.bind(keys.organization, 'int')}
               WHERE p.resource_type = 'Patient' AND p.id = r.patient_id), r.author_org) AS source, r.resource_type, count(*)::int AS n
       FROM resource r JOIN search_token t ON t.rid = r.rid
       ${sql.where(sql.any('t.param', keys.tags, 'int'), sql.eq('t.system', system), sql.eq('t.code', code), sql.any('r.resource_type', ['DiagnosticReport', 'DocumentReference'], 'text'), 'NOT r.deleted')}
      GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
    sql.params,
  );
  return rows.map((row) => ({ source: textOrNull(row, 'source'), resourceType: text(row, 'resource_type'), count: int(row, 'n') }));
}
