import type { Queryable } from '../storage/database.js';
import { currentOf } from '../storage/resource-store.js';
import { SqlBuilder } from '../storage/sql/builder.js';
import { iso, text, type Row } from '../storage/sql/rows.js';
import type { Claim } from './claims.js';

/** The SQL of `schedule_claim` (migration 012). Callers pass the write's open transaction. */

/** SQLSTATE of an exclusion-constraint violation: the time is already claimed. */
const EXCLUSION_VIOLATION = '23P01';

export function isClaimConflict(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === EXCLUSION_VIOLATION;
}

/** The actor a refused claim collided on, read from the database's message (`Key (actor, during)=(…`). */
export function conflictingActor(error: unknown): string | undefined {
  const detail = String((error as { detail?: unknown } | null)?.detail ?? '');
  return /Key \(actor, during\)=\(([^,]+),/.exec(detail)?.[1];
}

/** The claim (alias `c`) still counts at `now`: it is no hold, or a hold not expired yet. */
export function liveClaim(b: SqlBuilder, c: string, now: Date): string {
  return `${c}.hold_expires IS NULL OR ${c}.hold_expires > ${b.bind(now.toISOString(), 'timestamptz')}`;
}

export async function deleteClaimsOf(tx: Queryable, appointmentIds: readonly string[]): Promise<void> {
  if (appointmentIds.length === 0) return;
  const b = new SqlBuilder();
  await tx.query(`DELETE FROM schedule_claim ${b.where(b.any('appointment_id', appointmentIds, 'text'))}`, b.params);
}

/**
 * Expired holds of these actors stop counting now: deleted by the claimant, in its transaction, before
 * it claims. Two claimants of one expired hold serialise on its row lock; the second finds it gone.
 */
export async function releaseExpiredHolds(tx: Queryable, actors: readonly string[], now: Date): Promise<void> {
  if (actors.length === 0) return;
  const b = new SqlBuilder();
  await tx.query(`DELETE FROM schedule_claim ${b.where(b.any('actor', actors, 'text'), `hold_expires <= ${b.bind(now.toISOString())}`)}`, b.params);
}

/** Inserts the claims; a claim overlapping another of the same actor fails with 23P01 (isClaimConflict). */
export async function insertClaims(tx: Queryable, appointmentId: string, claims: readonly Claim[]): Promise<void> {
  if (claims.length === 0) return;
  await tx.query(
    `INSERT INTO schedule_claim (appointment_id, actor, slot_id, during, hold_expires, overbooked)
     SELECT $1, u.a, u.s, tstzrange(u.b, u.e, '[)'), u.h, u.o
     FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::boolean[]) AS u(a, s, b, e, h, o)`,
    [appointmentId, claims.map((c) => c.actor), claims.map((c) => c.slotId), claims.map((c) => c.start), claims.map((c) => c.end),
      claims.map((c) => c.holdExpires), claims.map((c) => c.overbooked)],
  );
}

/** Other appointments whose live claims overlap this appointment's overbooked claims (same actor, time overlapping). */
export async function overlappingAppointments(tx: Queryable, appointmentId: string, now: Date): Promise<string[]> {
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(
    `SELECT DISTINCT o.appointment_id FROM schedule_claim m
     JOIN schedule_claim o ON o.actor = m.actor AND o.during && m.during AND o.appointment_id <> m.appointment_id
     ${b.where(b.eq('m.appointment_id', appointmentId), 'm.overbooked', liveClaim(b, 'o', now))}
     ORDER BY o.appointment_id`,
    b.params,
  );
  return rows.map((r) => text(r, 'appointment_id'));
}

/** The live claims (not expired holds) made through a slot, with their schedule and time. */
export async function liveSlotClaims(tx: Queryable, slotId: string, now: Date): Promise<{ appointmentId: string; actor: string; start: string; end: string }[]> {
  const b = new SqlBuilder();
  const { rows } = await tx.query<Row>(
    `SELECT appointment_id, actor, lower(during) AS b, upper(during) AS e FROM schedule_claim c
     ${b.where(b.eq('c.slot_id', slotId), liveClaim(b, 'c', now))}`,
    b.params,
  );
  return rows.map((r) => ({ appointmentId: text(r, 'appointment_id'), actor: text(r, 'actor'), start: iso(r, 'b'), end: iso(r, 'e') }));
}

/** Current contents of resources of one type, by id (deleted ones absent). */
export async function currentContents(tx: Queryable, resourceType: string, ids: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (ids.length === 0) return found;
  for (const row of await currentOf(tx, resourceType, ids)) found.set(row.id, row.content as string);
  return found;
}

/** The patient's appointments that hold a claim still live at `now` (ending later, holds not expired): ids and contents. */
export async function liveAppointmentsOf(tx: Queryable, patientId: string, now: Date): Promise<{ id: string; content: string }[]> {
  const b = new SqlBuilder();
  const at = b.bind(now.toISOString(), 'timestamptz');
  const claims = `SELECT appointment_id FROM schedule_claim ${b.where(`upper(during) > ${at}`, `(hold_expires IS NULL OR hold_expires > ${at})`)}`;
  const { rows } = await tx.query<Row>(
    `SELECT r.id, r.content FROM resource r ${b.where("r.resource_type = 'Appointment'", 'NOT r.deleted', `r.id IN (${claims})`, b.eq('r.patient_id', patientId))}`,
    b.params,
  );
  return rows.map((r) => ({ id: text(r, 'id'), content: text(r, 'content') }));
}
