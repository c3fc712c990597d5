import type { AuditRecord } from '../audit/record.js';
import type { StoredChainRow } from '../audit/chain.js';
import type { Queryable } from './database.js';
import { SqlBuilder } from './sql/builder.js';
import { bool, int, iso, text, texts, type Row } from './sql/rows.js';

/** SQL of the audit trail (table audit_event). */

export const AUDIT_CHAIN_LOCK = 'carnet:audit-chain';

function columns(records: readonly AuditRecord[], sealed?: readonly { chainSeq: number; prevHash: string; hash: string }[]): unknown[] {
  return [
    records.map((r) => r.uid), records.map((r) => r.recorded), records.map((r) => r.action), records.map((r) => r.agent),
    records.map((r) => JSON.stringify(r.patients)), records.map((r) => r.outcome), records.map((r) => r.breakGlass), records.map((r) => r.content),
    sealed ? sealed.map((s) => s.chainSeq) : records.map(() => null),
    sealed ? sealed.map((s) => s.prevHash) : records.map(() => null),
    sealed ? sealed.map((s) => s.hash) : records.map(() => null),
  ];
}

/** Appends records; sealed ones carry their chain position and hashes. */
export async function insertAuditRecords(db: Queryable, records: readonly AuditRecord[], sealed?: readonly { chainSeq: number; prevHash: string; hash: string }[]): Promise<void> {
  if (records.length === 0) return;
  await db.query(
    `INSERT INTO audit_event (uid, recorded, action, agent, patients, outcome, break_glass, content, chain_seq, prev_hash, hash)
     SELECT u.uid, u.rec, u.act, u.agent, ARRAY(SELECT json_array_elements_text(u.pat::json)), u.outc, u.bg, u.content, u.seq, u.prev, u.hash
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[], $9::bigint[], $10::text[], $11::text[])
         AS u(uid, rec, act, agent, pat, outc, bg, content, seq, prev, hash)`,
    columns(records, sealed),
  );
}

/** The last sealed position of the chain (0 and the genesis hash when empty). */
export async function chainHead(db: Queryable): Promise<{ seq: number; hash: string } | undefined> {
  const { rows } = await db.query<Row>('SELECT chain_seq, hash FROM audit_event WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1');
  return rows[0] ? { seq: int(rows[0], 'chain_seq'), hash: text(rows[0], 'hash') } : undefined;
}

const RECORD_COLUMNS = 'id, uid, recorded, action, agent, patients, outcome, break_glass, content';

function toRecord(row: Row): AuditRecord & { id: number } {
  return {
    id: int(row, 'id'), uid: text(row, 'uid'), recorded: iso(row, 'recorded'), action: text(row, 'action'), agent: text(row, 'agent'),
    patients: texts(row, 'patients'), outcome: text(row, 'outcome'), breakGlass: bool(row, 'break_glass'), content: text(row, 'content'),
  };
}

/** Rows appended inside write transactions and not sealed yet, oldest first, locked. */
export async function unsealedRecords(db: Queryable, limit: number): Promise<(AuditRecord & { id: number })[]> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT ${RECORD_COLUMNS} FROM audit_event ${b.where('chain_seq IS NULL')} ORDER BY id LIMIT ${b.bind(limit)} FOR UPDATE`,
    b.params,
  );
  return rows.map(toRecord);
}

export async function sealRecords(db: Queryable, seals: readonly { id: number; chainSeq: number; prevHash: string; hash: string }[]): Promise<void> {
  if (seals.length === 0) return;
  await db.query(
    `UPDATE audit_event a SET chain_seq = u.seq, prev_hash = u.prev, hash = u.hash
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS u(id, seq, prev, hash) WHERE a.id = u.id AND a.chain_seq IS NULL`,
    [seals.map((s) => s.id), seals.map((s) => s.chainSeq), seals.map((s) => s.prevHash), seals.map((s) => s.hash)],
  );
}

/** Sealed rows in chain order after `afterSeq`, for verification. */
export async function chainPage(db: Queryable, afterSeq: number, limit: number): Promise<StoredChainRow[]> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT ${RECORD_COLUMNS}, chain_seq, prev_hash, hash FROM audit_event ${b.where(`chain_seq > ${b.bind(afterSeq)}`)} ORDER BY chain_seq LIMIT ${b.bind(limit)}`,
    b.params,
  );
  return rows.map((row) => ({ ...toRecord(row), chainSeq: int(row, 'chain_seq'), prevHash: text(row, 'prev_hash'), hash: text(row, 'hash') }));
}

export async function countUnsealed(db: Queryable): Promise<number> {
  const { rows } = await db.query<Row>('SELECT count(*)::int AS n FROM audit_event WHERE chain_seq IS NULL');
  return rows[0] ? int(rows[0], 'n') : 0;
}

export interface AuditQuery {
  readonly patients?: readonly string[];
  readonly since?: string;
  readonly until?: string;
  readonly beforeId?: number;
  /** The privacy officer's filters: part of the agent (who), the action, the outcome, break-the-glass only. */
  readonly agent?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly breakGlass?: boolean;
  readonly limit: number;
}

/** Audit records newest first, optionally of some patients (a patient's access log). */
export async function searchAudit(db: Queryable, q: AuditQuery): Promise<(AuditRecord & { id: number })[]> {
  const b = new SqlBuilder();
  // Who: the agent's key (user:…, client:…) or a name the record shows (the professional, the app).
  const like = q.agent ? b.bind(`%${q.agent.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) : '';
  const where = b.where(
    q.patients && `patients && ${b.bind([...q.patients], 'text[]')}`,
    q.since && `recorded >= ${b.bind(q.since, 'timestamptz')}`,
    q.until && `recorded < ${b.bind(q.until, 'timestamptz')}`,
    q.beforeId !== undefined && `id < ${b.bind(q.beforeId)}`,
    q.agent && `(agent ILIKE ${like} ESCAPE '\\' OR content ILIKE ${like} ESCAPE '\\')`,
    q.action && b.eq('action', q.action),
    q.outcome && b.eq('outcome', q.outcome),
    q.breakGlass && 'break_glass',
  );
  const { rows } = await db.query<Row>(`SELECT ${RECORD_COLUMNS} FROM audit_event ${where} ORDER BY id DESC LIMIT ${b.bind(q.limit)}`, b.params);
  return rows.map(toRecord);
}

/**
 * The standard query of the trail (IHE ITI-81, `GET AuditEvent?…`), already parsed: each inner list is one
 * parameter's alternatives (OR), the lists are ANDed. `contains` holds JSON documents the AuditEvent must
 * contain (`content::jsonb @> …`: a coding, an agent's or entity's reference); the patients column is
 * indexed, the rest is checked on the rows the other conditions leave.
 */
export interface AuditEventCriteria {
  readonly ids?: readonly string[];
  readonly patients: readonly (readonly string[])[];
  readonly since?: string;
  readonly until?: string;
  readonly outcomes: readonly (readonly string[])[];
  readonly contains: readonly (readonly string[])[];
  /** Starts of an agent's name (or its `who.display`), case-insensitive. */
  readonly agentNames: readonly (readonly string[])[];
  readonly addresses: readonly (readonly string[])[];
  readonly beforeId?: number;
  readonly limit: number;
}

function likePrefix(value: string): string {
  return `${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function anyOf(alternatives: readonly string[]): string {
  return alternatives.length === 1 ? (alternatives[0] as string) : `(${alternatives.join(' OR ')})`;
}

export async function searchAuditEvents(db: Queryable, q: AuditEventCriteria): Promise<(AuditRecord & { id: number })[]> {
  const b = new SqlBuilder();
  const agents = (test: (agent: string) => string): string => `EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE(content::jsonb->'agent', '[]'::jsonb)) ag WHERE ${test('ag')})`;
  const where = b.where(
    q.ids && b.any('uid', q.ids, 'text'),
    ...q.patients.map((list) => `patients && ${b.bind([...list], 'text[]')}`),
    q.since && `recorded >= ${b.bind(q.since, 'timestamptz')}`,
    q.until && `recorded < ${b.bind(q.until, 'timestamptz')}`,
    q.beforeId !== undefined && `id < ${b.bind(q.beforeId)}`,
    ...q.outcomes.map((list) => b.any('outcome', list, 'text')),
    ...q.contains.map((list) => anyOf(list.map((doc) => `content::jsonb @> ${b.bind(doc, 'jsonb')}`))),
    ...q.agentNames.map((list) => anyOf(list.map((name) => {
      const like = b.bind(likePrefix(name), 'text');
      return agents((ag) => `(${ag}->>'name' ILIKE ${like} ESCAPE '\\' OR ${ag}->'who'->>'display' ILIKE ${like} ESCAPE '\\')`);
    }))),
    ...q.addresses.map((list) => agents((ag) => `${ag}->'network'->>'address' = ANY(${b.bind([...list], 'text[]')})`)),
  );
  const { rows } = await db.query<Row>(`SELECT ${RECORD_COLUMNS} FROM audit_event ${where} ORDER BY id DESC LIMIT ${b.bind(q.limit)}`, b.params);
  return rows.map(toRecord);
}

/** One record by its AuditEvent id. */
export async function auditEventByUid(db: Queryable, uid: string): Promise<string | undefined> {
  const { rows } = await db.query<Row>('SELECT content FROM audit_event WHERE uid = $1 ORDER BY id LIMIT 1', [uid]);
  return rows[0] ? text(rows[0], 'content') : undefined;
}
