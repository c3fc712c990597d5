import type { Queryable } from '../storage/database.js';
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

export async function deleteClaimsOf(tx: Queryable, appointmentIds: readonly string[]): Promise<void> {
  if (appointmentIds.length === 0) return;
  await tx.query('DELETE FROM schedule_claim WHERE appointment_id = ANY($1::text[])', [appointmentIds]);
}

/**
 * Expired holds of these actors stop counting now: deleted by the claimant, in its transaction, before
 * it claims. Two claimants of one expired hold serialise on its row lock; the second finds it gone.
 */
export async function releaseExpiredHolds(tx: Queryable, actors: readonly string[], now: Date): Promise<void> {
  if (actors.length === 0) return;
  await tx.query('DELETE FROM schedule_claim WHERE actor = ANY($1::text[]) AND hold_expires <= $2', [actors, now.toISOString()]);
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
  const { rows } = await tx.query<{ appointment_id: string }>(
    `SELECT DISTINCT o.appointment_id FROM schedule_claim m
     JOIN schedule_claim o ON o.actor = m.actor AND o.during && m.during AND o.appointment_id <> m.appointment_id
     WHERE m.appointment_id = $1 AND m.overbooked AND (o.hold_expires IS NULL OR o.hold_expires > $2)
     ORDER BY o.appointment_id`,
    [appointmentId, now.toISOString()],
  );
  return rows.map((r) => r.appointment_id);
}

/** The live claims (not expired holds) made through a slot, with their schedule and time. */
export async function liveSlotClaims(tx: Queryable, slotId: string, now: Date): Promise<{ appointmentId: string; actor: string; start: string; end: string }[]> {
  const { rows } = await tx.query<{ appointment_id: string; actor: string; b: Date | string; e: Date | string }>(
    `SELECT appointment_id, actor, lower(during) AS b, upper(during) AS e FROM schedule_claim
     WHERE slot_id = $1 AND (hold_expires IS NULL OR hold_expires > $2)`,
    [slotId, now.toISOString()],
  );
  return rows.map((r) => ({ appointmentId: r.appointment_id, actor: r.actor, start: new Date(r.b).toISOString(), end: new Date(r.e).toISOString() }));
}

/** Current contents of resources of one type, by id (deleted ones absent). */
export async function currentContents(tx: Queryable, resourceType: string, ids: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (ids.length === 0) return found;
  const { rows } = await tx.query<{ id: string; content: string }>(
    'SELECT id, content FROM resource WHERE resource_type = $1 AND id = ANY($2::text[]) AND NOT deleted',
    [resourceType, [...new Set(ids)]],
  );
  for (const row of rows) found.set(row.id, row.content);
  return found;
}
