import type { Queryable } from '../../storage/database.js';
import { findByTokens } from '../../fhir/search/lookup.js';
import { SqlBuilder } from '../../storage/sql/builder.js';
import { int, iso, isoOrNull, jsonOrNull, text, textOrNull, texts, type Row } from '../../storage/sql/rows.js';

/** The SQL of the HL7 v2 message log and dead-letter store (table `hl7v2_message`, migration 3). */

export type MessageStatus = 'accepted' | 'dead-letter' | 'discarded';

export interface StoredError {
  readonly code: string;
  readonly location: string;
  readonly reason: string;
}

export interface MessageRow {
  readonly id: string;
  readonly sender: string;
  readonly controlId: string;
  readonly messageType: string;
  readonly bodyHash: string;
  readonly status: MessageStatus;
  readonly ackCode: string;
  readonly ack: string;
  readonly receivedAt: string;
  readonly processedAt: string;
  readonly attempts: number;
  readonly errors: readonly StoredError[];
  readonly binaryId: string | null;
  readonly resources: readonly string[];
  readonly replayedAt: string | null;
  /** A discarded dead letter: when, by whom (the token's subject), why (migration 15). */
  readonly discarded?: { readonly at: string; readonly by: string; readonly reason: string };
}

const COLUMNS = `id, sender, control_id, message_type, body_hash, status, ack_code, ack, received_at, processed_at,
  attempts, errors, binary_id, resources, replayed_at, discarded_at, discarded_by, discard_reason`;

function toRow(r: Row): MessageRow {
  return {
    id: text(r, 'id'),
    sender: text(r, 'sender'),
    controlId: text(r, 'control_id'),
    messageType: text(r, 'message_type'),
    bodyHash: text(r, 'body_hash'),
    status: text(r, 'status') as MessageStatus,
    ackCode: text(r, 'ack_code'),
    ack: text(r, 'ack'),
    receivedAt: iso(r, 'received_at'),
    processedAt: iso(r, 'processed_at'),
    attempts: int(r, 'attempts'),
    errors: jsonOrNull<StoredError[]>(r, 'errors') ?? [],
    binaryId: textOrNull(r, 'binary_id'),
    resources: texts(r, 'resources'),
    replayedAt: isoOrNull(r, 'replayed_at'),
    ...(isoOrNull(r, 'discarded_at') ? { discarded: { at: isoOrNull(r, 'discarded_at') as string, by: textOrNull(r, 'discarded_by') ?? '', reason: textOrNull(r, 'discard_reason') ?? '' } } : {}),
  };
}

export async function findMessage(db: Queryable, sender: string, controlId: string): Promise<MessageRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM hl7v2_message ${b.where(b.eq('sender', sender), b.eq('control_id', controlId))}`, b.params);
  return rows[0] ? toRow(rows[0]) : undefined;
}

export async function readMessage(db: Queryable, id: string): Promise<(MessageRow & { raw: Buffer | null }) | undefined> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS}, raw FROM hl7v2_message ${b.where(b.eq('id', id))}`, b.params);
  const row = rows[0];
  if (!row) return undefined;
  const raw = row.raw as Uint8Array | null;
  return { ...toRow(row), raw: raw ? Buffer.from(raw) : null };
}

/** What every outcome of a message records: which message it was and the ACK it was given. */
interface AnsweredMessage {
  readonly id: string;
  readonly sender: string;
  readonly controlId: string;
  readonly messageType: string;
  readonly bodyHash: string;
  readonly ackCode: string;
  readonly ack: string;
  readonly at: string;
}

export interface AcceptedRecord extends AnsweredMessage {
  readonly binaryId: string;
  readonly resources: readonly string[];
}

/**
 * Records an accepted message inside the transaction that wrote its resources. A dead letter of the same
 * message becomes accepted (replayed); its raw bytes are dropped, the Binary keeps the original.
 */
export async function recordAccepted(tx: Queryable, r: AcceptedRecord): Promise<void> {
  await tx.query(
    `INSERT INTO hl7v2_message AS m (id, sender, control_id, message_type, body_hash, status, ack_code, ack, received_at,
       processed_at, attempts, errors, raw, binary_id, resources)
     VALUES ($1, $2, $3, $4, $5, 'accepted', $6, $7, $8, $8, 1, NULL, NULL, $9, $10::text[])
     ON CONFLICT (sender, control_id) DO UPDATE SET
       status = 'accepted', ack_code = EXCLUDED.ack_code, ack = EXCLUDED.ack, processed_at = EXCLUDED.processed_at,
       attempts = m.attempts + 1, raw = NULL, binary_id = EXCLUDED.binary_id, resources = EXCLUDED.resources,
       replayed_at = EXCLUDED.processed_at
     WHERE m.status IN ('dead-letter', 'discarded')`,
    [r.id, r.sender, r.controlId, r.messageType, r.bodyHash, r.ackCode, r.ack, r.at, r.binaryId, [...r.resources]],
  );
}

export interface DeadLetterRecord extends AnsweredMessage {
  readonly errors: readonly StoredError[];
  readonly raw: Buffer;
}

/**
 * Stores (or updates) a dead letter: a message that could not be mapped or stored. Returns the row id, or
 * undefined when the same message was accepted meanwhile (then nothing changes).
 */
export async function recordDeadLetter(db: Queryable, r: DeadLetterRecord): Promise<string | undefined> {
  const { rows } = await db.query<Row>(
    `INSERT INTO hl7v2_message AS m (id, sender, control_id, message_type, body_hash, status, ack_code, ack, received_at,
       processed_at, attempts, errors, raw)
     VALUES ($1, $2, $3, $4, $5, 'dead-letter', $6, $7, $8, $8, 1, $9, $10)
     ON CONFLICT (sender, control_id) DO UPDATE SET
       ack_code = EXCLUDED.ack_code, ack = EXCLUDED.ack, processed_at = EXCLUDED.processed_at, attempts = m.attempts + 1,
       errors = EXCLUDED.errors, raw = EXCLUDED.raw, body_hash = EXCLUDED.body_hash, message_type = EXCLUDED.message_type,
       status = 'dead-letter'
     WHERE m.status IN ('dead-letter', 'discarded')
     RETURNING id`,
    [r.id, r.sender, r.controlId, r.messageType, r.bodyHash, r.ackCode, r.ack, r.at, JSON.stringify(r.errors), r.raw],
  );
  return rows[0] ? text(rows[0], 'id') : undefined;
}

/**
 * Sets a dead letter aside (who, when, why); it leaves the list, its row and raw bytes stay. Only a row that
 * is still a dead letter changes: of two administrators discarding it at once, one does; returns whether
 * this call did.
 */
export async function discardDeadLetter(db: Queryable, d: { id: string; by: string; reason: string; at: Date }): Promise<boolean> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `UPDATE hl7v2_message SET status = 'discarded', discarded_at = ${b.bind(d.at.toISOString(), 'timestamptz')}, discarded_by = ${b.bind(d.by)},
       discard_reason = ${b.bind(d.reason)} ${b.where(b.eq('id', d.id), "status = 'dead-letter'")} RETURNING id`,
    b.params,
  );
  return rows.length === 1;
}

export interface DeadLetterQuery {
  readonly sender?: string;
  readonly messageType?: string;
  /** Keyset paging: rows after this (received_at, id). */
  readonly after?: { readonly receivedAt: string; readonly id: string };
  readonly limit: number;
}

export async function listDeadLetters(db: Queryable, q: DeadLetterQuery): Promise<MessageRow[]> {
  const b = new SqlBuilder();
  const where = b.where(
    "status = 'dead-letter'",
    q.sender && b.eq('sender', q.sender),
    q.messageType && b.eq('message_type', q.messageType),
    q.after && `(received_at, id) > (${b.bind(q.after.receivedAt, 'timestamptz')}, ${b.bind(q.after.id)})`,
  );
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM hl7v2_message ${where} ORDER BY received_at, id LIMIT ${b.bind(q.limit)}`, b.params);
  return rows.map(toRow);
}

/** Takes every transaction-scoped advisory lock a message needs in one statement, in sorted order (no deadlock between messages). */
export async function lockKeys(tx: Queryable, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await tx.query('SELECT pg_advisory_xact_lock(hashtext(k)) FROM (SELECT DISTINCT k FROM unnest($1::text[]) AS k) AS u ORDER BY k', [[...keys]]);
}

export interface IdentifierKey {
  readonly resourceType: string;
  readonly system: string;
  readonly value: string;
}

/** Current (not deleted) resources carrying each identifier, in one query: `resourceType|system|value` → ids. */
export async function findByIdentifiers(tx: Queryable, keys: readonly IdentifierKey[]): Promise<Map<string, string[]>> {
  return findByTokens(tx, keys.map((k) => ({ ...k, param: 'identifier' })));
}
