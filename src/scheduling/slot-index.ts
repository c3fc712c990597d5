import type { Slot } from '@medplum/fhirtypes';
import type { Queryable } from '../storage/database.js';
import { SqlBuilder } from '../storage/sql/builder.js';
import { text, type Row } from '../storage/sql/rows.js';
import type { WrittenVersion } from '../fhir/write/hooks.js';
import { liveClaim } from './claim-store.js';
import { referencedIds } from './claims.js';

/**
 * `schedule_slot` (migration 17): each current Slot's schedule, time and status, rewritten in the
 * transaction of every Slot write (the scheduling write hook), so that $find reads the free slots of its
 * schedules from an instant, earliest first, with one range scan and a LIMIT.
 */

export async function indexSlots(tx: Queryable, versions: readonly WrittenVersion[]): Promise<void> {
  if (versions.length === 0) return;
  const b = new SqlBuilder();
  await tx.query(`DELETE FROM schedule_slot ${b.where(b.any('slot_id', versions.map((v) => v.id), 'text'))}`, b.params);
  const rows: { id: string; schedule: string; start: string; end: string; status: string }[] = [];
  for (const version of versions) {
    if (version.deleted || !version.content) continue;
    const slot = JSON.parse(version.content) as Slot;
    const schedule = referencedIds([slot.schedule?.reference], 'Schedule')[0];
    const start = Date.parse(slot.start);
    const end = Date.parse(slot.end);
    if (!schedule || Number.isNaN(start) || Number.isNaN(end) || !slot.status) continue;
    rows.push({ id: version.id, schedule, start: new Date(start).toISOString(), end: new Date(end).toISOString(), status: slot.status });
  }
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO schedule_slot (slot_id, schedule, starts, ends, status)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[])`,
    [rows.map((r) => r.id), rows.map((r) => r.schedule), rows.map((r) => r.start), rows.map((r) => r.end), rows.map((r) => r.status)],
  );
}

/**
 * Stored free Slots of these schedules starting in [from, to) that no live claim (a booking, an unexpired
 * hold) holds, earliest first, at most `limit`. Their practitioners' appointments elsewhere are the
 * caller's to subtract.
 */
export async function freeSlots(tx: Queryable, scheduleIds: readonly string[], from: number, to: number, limit: number, now: Date): Promise<Slot[]> {
  if (scheduleIds.length === 0 || limit <= 0) return [];
  const b = new SqlBuilder();
  const free = b.where(
    b.any('f.schedule', [...new Set(scheduleIds)], 'text'), "f.status = 'free'",
    `f.starts >= ${b.bind(new Date(from).toISOString())}`, `f.starts < ${b.bind(new Date(to).toISOString())}`,
    `NOT EXISTS (SELECT 1 FROM schedule_claim c ${b.where('c.slot_id = f.slot_id', liveClaim(b, 'c', now))})`,
  );
  const { rows } = await tx.query<Row>(
    `SELECT r.content FROM (
       SELECT f.slot_id, f.starts FROM schedule_slot f ${free} ORDER BY f.starts, f.slot_id LIMIT ${b.bind(limit)}
     ) s JOIN resource r ON r.resource_type = 'Slot' AND r.id = s.slot_id AND NOT r.deleted
     ORDER BY s.starts, s.slot_id`,
    b.params,
  );
  return rows.map((r) => JSON.parse(text(r, 'content')) as Slot);
}
