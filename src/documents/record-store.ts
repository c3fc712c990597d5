import type { Resource } from '@medplum/fhirtypes';
import { SqlBuilder } from '../storage/sql/builder.js';
import type { Visibility } from '../storage/sql/visibility.js';
import type { Queryable } from '../storage/database.js';
import { boolOrNull, text, type Row } from '../storage/sql/rows.js';

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
