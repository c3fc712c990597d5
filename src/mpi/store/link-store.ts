import type { Queryable } from '../../storage/database.js';
import type { MatchRecord } from '../record.js';
import { signalAfterCommit } from '../../storage/commit-signals.js';
import { SqlBuilder } from '../../storage/sql/builder.js';
import { bool, int, json, numOrNull, text, textOrNull, type Row } from '../../storage/sql/rows.js';

/**
 * The SQL of the MPI: match index, blocking keys, persons, distinct pairs. Callers pass a transaction.
 * Decisions, candidates and merges have their own modules.
 */
export type Assurance = 'auto' | 'manual';

export interface IndexedRecord {
  readonly patientId: string;
  readonly personId: string;
  readonly assurance: Assurance;
  readonly matchable: boolean;
  readonly source: string | null;
  readonly features: MatchRecord;
  readonly weight: number | null;
}

function toRecord(row: Row): IndexedRecord {
  return {
    patientId: text(row, 'patient_id'),
    personId: text(row, 'person_id'),
    assurance: text(row, 'assurance') as Assurance,
    matchable: bool(row, 'matchable'),
    source: textOrNull(row, 'source'),
    features: json<MatchRecord>(row, 'features'),
    weight: numOrNull(row, 'weight'),
  };
}

const RECORD_COLUMNS = 'patient_id, person_id, assurance, matchable, source, features, weight';

/**
 * Serialises matchers that could see each other's records: every transaction matching a record takes
 * the advisory locks of its blocking keys, in one global order (so no two matchers deadlock on them).
 */
export async function lockBlockingKeys(tx: Queryable, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const sorted = [...new Set(keys)].sort();
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('mpi:' || k)) FROM unnest($1::text[]) AS k`, [sorted]);
}

/** Serialises changes to one Person's links, so that its golden record is computed from all of them. */
export async function lockPersons(tx: Queryable, personIds: readonly string[]): Promise<void> {
  const sorted = [...new Set(personIds)].sort();
  if (sorted.length === 0) return;
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('mpi-person:' || p)) FROM unnest($1::text[]) AS p`, [sorted]);
}

export async function nextEnterpriseSequence(tx: Queryable): Promise<number> {
  const { rows } = await tx.query<Row>(`SELECT nextval('mpi_enterprise_seq') AS n`);
  return int(rows[0] ?? {}, 'n');
}

export interface PersonRow {
  readonly personId: string;
  readonly enterpriseId: string;
  readonly active: boolean;
}

export async function insertPerson(tx: Queryable, person: PersonRow, at: string): Promise<void> {
  await tx.query('INSERT INTO mpi_person (person_id, enterprise_id, active, created_at) VALUES ($1, $2, $3, $4)', [person.personId, person.enterpriseId, person.active, at]);
}

export async function setPersonActive(tx: Queryable, personId: string, active: boolean): Promise<void> {
  const b = new SqlBuilder();
  await tx.query(`UPDATE mpi_person SET active = ${b.bind(active)} ${b.where(b.eq('person_id', personId))}`, b.params);
}

export async function readPerson(tx: Queryable, personId: string): Promise<PersonRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(`SELECT person_id, enterprise_id, active FROM mpi_person ${b.where(b.eq('person_id', personId))}`, b.params);
  const row = rows[0];
  return row ? { personId: text(row, 'person_id'), enterpriseId: text(row, 'enterprise_id'), active: bool(row, 'active') } : undefined;
}

export async function readRecord(tx: Queryable, patientId: string): Promise<IndexedRecord | undefined> {
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(`SELECT ${RECORD_COLUMNS} FROM mpi_record ${b.where(b.eq('patient_id', patientId))}`, b.params);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function recordsOfPersons(tx: Queryable, personIds: readonly string[]): Promise<IndexedRecord[]> {
  if (personIds.length === 0) return [];
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(`SELECT ${RECORD_COLUMNS} FROM mpi_record ${b.where(b.any('person_id', personIds, 'text'))} ORDER BY patient_id`, b.params);
  return rows.map(toRecord);
}

export interface RecordWrite {
  readonly patientId: string;
  readonly personId: string;
  readonly assurance: Assurance;
  readonly matchable: boolean;
  readonly features: MatchRecord;
  readonly weight: number | null;
  readonly keys: readonly string[];
}

/** Inserts or replaces a record of the match index and its blocking keys. */
export async function writeRecord(tx: Queryable, record: RecordWrite, at: string): Promise<void> {
  await tx.query(
    `INSERT INTO mpi_record (patient_id, person_id, assurance, matchable, source, features, weight, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (patient_id) DO UPDATE SET person_id = EXCLUDED.person_id, assurance = EXCLUDED.assurance,
       matchable = EXCLUDED.matchable, source = EXCLUDED.source, features = EXCLUDED.features, weight = EXCLUDED.weight,
       updated_at = EXCLUDED.updated_at`,
    [record.patientId, record.personId, record.assurance, record.matchable, record.features.source ?? null, JSON.stringify(record.features), record.weight, at],
  );
  await replaceKeys(tx, record.patientId, record.matchable ? record.keys : []);
  personsChanged(tx);
}

/** Tells, once the transaction commits, whoever caches which records make a person (fhir/person-scopes.ts). */
function personsChanged(tx: Queryable): void {
  signalAfterCommit(tx, 'persons');
}

async function deleteOf(tx: Queryable, table: 'mpi_block' | 'mpi_record', patientId: string): Promise<void> {
  const b = new SqlBuilder();
  await tx.query(`DELETE FROM ${table} ${b.where(b.eq('patient_id', patientId))}`, b.params);
}

export async function replaceKeys(tx: Queryable, patientId: string, keys: readonly string[]): Promise<void> {
  await deleteOf(tx, 'mpi_block', patientId);
  if (keys.length === 0) return;
  await tx.query(
    'INSERT INTO mpi_block (key, patient_id) SELECT k, $2 FROM unnest($1::text[]) AS k ON CONFLICT DO NOTHING',
    [[...new Set(keys)], patientId],
  );
}

export async function moveRecord(tx: Queryable, patientId: string, personId: string, assurance: Assurance, weight: number | null, at: string): Promise<void> {
  const b = new SqlBuilder();
  await tx.query(
    `UPDATE mpi_record SET person_id = ${b.bind(personId)}, assurance = ${b.bind(assurance)}, weight = ${b.bind(weight)}, updated_at = ${b.bind(at)} ${b.where(b.eq('patient_id', patientId))}`,
    b.params,
  );
  personsChanged(tx);
}

export async function setMatchable(tx: Queryable, patientId: string, matchable: boolean, keys: readonly string[], at: string): Promise<void> {
  const b = new SqlBuilder();
  await tx.query(`UPDATE mpi_record SET matchable = ${b.bind(matchable)}, updated_at = ${b.bind(at)} ${b.where(b.eq('patient_id', patientId))}`, b.params);
  await replaceKeys(tx, patientId, matchable ? keys : []);
}

export async function deleteRecord(tx: Queryable, patientId: string): Promise<void> {
  await deleteOf(tx, 'mpi_block', patientId);
  await deleteOf(tx, 'mpi_record', patientId);
  personsChanged(tx);
}

/**
 * Matchable records sharing at least one blocking key, best first: each key contributes at most `cap`
 * records (a key shared by more is too common to discriminate), records sharing more keys rank first,
 * and only the `limit` best are fetched and scored. One statement, one index range scan per key.
 */
export async function candidatesByKeys(tx: Queryable, keys: readonly string[], cap: number, excludePatientId: string | null, limit: number): Promise<IndexedRecord[]> {
  if (keys.length === 0) return [];
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(
    `WITH hits AS (
       SELECT h.patient_id FROM unnest(${b.bind([...new Set(keys)], 'text[]')}) AS k(key)
         CROSS JOIN LATERAL (SELECT patient_id FROM mpi_block WHERE mpi_block.key = k.key LIMIT ${b.bind(cap)}) h
     ), ranked AS (
       SELECT patient_id, count(*) AS shared FROM hits ${b.where(excludePatientId !== null && `patient_id <> ${b.bind(excludePatientId)}`)}
        GROUP BY patient_id ORDER BY count(*) DESC, patient_id LIMIT ${b.bind(limit)}
     )
     SELECT ${RECORD_COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')} FROM ranked JOIN mpi_record r ON r.patient_id = ranked.patient_id
      WHERE r.matchable ORDER BY ranked.shared DESC, r.patient_id`,
    b.params,
  );
  return rows.map(toRecord);
}

export async function distinctPartners(tx: Queryable, patientId: string): Promise<Set<string>> {
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(
    `SELECT patient_b AS other FROM mpi_distinct ${b.where(b.eq('patient_a', patientId))} UNION SELECT patient_a FROM mpi_distinct ${b.where(b.eq('patient_b', patientId))}`,
    b.params,
  );
  return new Set(rows.map((r) => text(r, 'other')));
}

export async function addDistinct(tx: Queryable, patientId: string, others: readonly string[]): Promise<void> {
  const pairs = others.filter((o) => o !== patientId).map((o) => (o < patientId ? [o, patientId] : [patientId, o]));
  if (pairs.length === 0) return;
  await tx.query(
    'INSERT INTO mpi_distinct (patient_a, patient_b) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING',
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
}

/** All source Patients linked to the same Person as `patientId` (itself included; itself alone if unknown). */
export async function linkedPatientIds(db: Queryable, patientId: string): Promise<string[]> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT r2.patient_id FROM mpi_record r1 JOIN mpi_record r2 ON r2.person_id = r1.person_id
      ${b.where(b.eq('r1.patient_id', patientId))} ORDER BY r2.patient_id`,
    b.params,
  );
  return rows.length > 0 ? rows.map((r) => text(r, 'patient_id')) : [patientId];
}

/**
 * For each of `patientIds` known to the index, every source Patient of its Person (itself included), in
 * one statement: what a request's principal is widened with (access/person-scope.ts).
 */
export async function personLinksOf(db: Queryable, patientIds: readonly string[]): Promise<Map<string, string[]>> {
  const links = new Map<string, string[]>();
  if (patientIds.length === 0) return links;
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT r1.patient_id AS anchor, r2.patient_id FROM mpi_record r1 JOIN mpi_record r2 ON r2.person_id = r1.person_id
      ${b.where(b.any('r1.patient_id', [...new Set(patientIds)], 'text'))} ORDER BY r1.patient_id, r2.patient_id`,
    b.params,
  );
  for (const row of rows) {
    const anchor = text(row, 'anchor');
    const list = links.get(anchor);
    if (list) list.push(text(row, 'patient_id'));
    else links.set(anchor, [text(row, 'patient_id')]);
  }
  return links;
}

/** How many records the match index holds. */
export async function countRecords(db: Queryable): Promise<number> {
  const { rows } = await db.query<Row>('SELECT count(*) AS n FROM mpi_record');
  return rows[0] ? int(rows[0], 'n') : 0;
}

/** The next `limit` record ids after `after`, in order (keyset paging over the index). */
export async function recordIdsAfter(db: Queryable, after: string, limit: number): Promise<string[]> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT patient_id FROM mpi_record ${b.where(`patient_id > ${b.bind(after)}`)} ORDER BY patient_id LIMIT ${b.bind(limit)}`, b.params);
  return rows.map((r) => text(r, 'patient_id'));
}

/** The blocking keys stored for a record, sorted. */
export async function keysOf(db: Queryable, patientId: string): Promise<string[]> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT key FROM mpi_block ${b.where(b.eq('patient_id', patientId))} ORDER BY key`, b.params);
  return rows.map((r) => text(r, 'key'));
}

/** All source Patients linked to a Person. */
export async function patientIdsOfPerson(db: Queryable, personId: string): Promise<string[]> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT patient_id FROM mpi_record ${b.where(b.eq('person_id', personId))} ORDER BY patient_id`, b.params);
  return rows.map((r) => text(r, 'patient_id'));
}
