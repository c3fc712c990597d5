import type { Appointment, PractitionerRole, Slot } from '@medplum/fhirtypes';
import type { Queryable } from '../storage/database.js';
import { errors } from '../fhir/outcomes.js';
import type { AfterWriteHook, WrittenBy, WrittenVersion } from '../fhir/write/hooks.js';
import { busyParticipants, ClaimError, claimsOf, referencedIds, type Claim } from './claims.js';
import {
  conflictingActor, currentContents, deleteClaimsOf, insertClaims, isClaimConflict, liveSlotClaims, overlappingAppointments, releaseExpiredHolds,
} from './claim-store.js';
import { indexSlots } from './slot-index.js';
import { keepReminders } from './reminders.js';

/**
 * Keeps `schedule_claim` in step with every Appointment and Slot write, inside the write's transaction,
 * whatever the path (REST create/update/patch/delete, batch, transaction, import, the scheduling
 * operations): a write that would double-book fails with 409 and nothing of it is stored.
 */
export const schedulingAfterWrite: AfterWriteHook = async (tx, ctx, written, by) => {
  const appointments = written.filter((v) => v.resourceType === 'Appointment');
  const slots = written.filter((v) => v.resourceType === 'Slot');
  if (appointments.length === 0 && slots.length === 0) return;
  const now = ctx.clock();
  // Every appointment written gives up its claims first, so that a transaction moving an appointment
  // into a slot another one leaves (a reschedule) does not collide with itself.
  await deleteClaimsOf(tx, appointments.map((v) => v.id));
  for (const version of appointments) {
    if (!version.deleted && version.content) await claimFor(tx, version, JSON.parse(version.content) as Appointment, now, by);
  }
  await keepReminders(tx, ctx.jobs, appointments, now);
  for (const version of slots) await checkSlotChange(tx, version, now);
  await indexSlots(tx, slots);
};

async function claimFor(tx: Queryable, version: WrittenVersion, appointment: Appointment, now: Date, by: WrittenBy): Promise<void> {
  const slotIds = referencedIds((appointment.slot ?? []).map((s) => s.reference), 'Slot');
  const roleIds = referencedIds(busyParticipants(appointment), 'PractitionerRole');
  const slotRows = await currentContents(tx, 'Slot', slotIds);
  const roleRows = await currentContents(tx, 'PractitionerRole', roleIds);
  const slots = new Map([...slotRows].map(([id, content]) => [id, JSON.parse(content) as Slot]));
  const roles = new Map<string, string>();
  for (const [id, content] of roleRows) {
    const practitioner = referencedIds([(JSON.parse(content) as PractitionerRole).practitioner?.reference], 'Practitioner')[0];
    if (practitioner) roles.set(`PractitionerRole/${id}`, `Practitioner/${practitioner}`);
  }
  let claims: Claim[];
  try {
    claims = claimsOf({ appointment, slots, roles });
  } catch (error) {
    if (error instanceof ClaimError) throw errors.invalid(`Appointment/${version.id}: ${error.message}`);
    throw error;
  }
  if (claims.length === 0) return;
  await releaseExpiredHolds(tx, [...new Set(claims.map((c) => c.actor))], now);
  try {
    await insertClaims(tx, version.id, claims);
  } catch (error) {
    if (isClaimConflict(error)) throw errors.conflict(conflictText(conflictingActor(error), claims));
    throw error;
  }
  if (claims.some((c) => c.overbooked)) await noteOverride(tx, version.id, now, by);
}

/**
 * A write that double-books on purpose (the overbooked extension) over another live appointment is an
 * override, whichever path made it: only professionals and systems may, and the requester's audit record
 * says so, naming what it overlaps — like $book's `override` (REST PUT/POST, batch and transaction entries).
 */
async function noteOverride(tx: Queryable, appointmentId: string, now: Date, by: WrittenBy): Promise<void> {
  const others = await overlappingAppointments(tx, appointmentId, now);
  if (others.length === 0) return;
  const role = by.principal?.role;
  if (role === 'patient' || role === 'proxy') throw errors.forbidden('only clinic staff may double-book on purpose');
  by.note?.(`clinic staff override: double booking on purpose (Appointment/${appointmentId} overlaps ${others.map((id) => `Appointment/${id}`).join(', ')})`);
}

/** What a refused booking says: the slot was taken, or the practitioner is busy then. */
export function conflictText(actor: string | undefined, claims: readonly Claim[]): string {
  const claim = claims.find((c) => c.actor === actor);
  if (claim?.slotId) return `Slot/${claim.slotId} was taken: its time (${claim.start} to ${claim.end}) is already booked or held in ${claim.actor}`;
  if (claim) return `${claim.actor} already has an appointment between ${claim.start} and ${claim.end}`;
  return 'The time is already booked or held';
}

/** A slot an appointment holds keeps its schedule and time, and is not deleted or blocked, until it is freed. */
async function checkSlotChange(tx: Queryable, version: WrittenVersion, now: Date): Promise<void> {
  const claims = await liveSlotClaims(tx, version.id, now);
  const claim = claims[0];
  if (!claim) return;
  const slot = version.content ? (JSON.parse(version.content) as Slot) : undefined;
  const schedule = slot ? referencedIds([slot.schedule.reference], 'Schedule')[0] : undefined;
  const same = slot && ['free', 'busy', 'busy-tentative'].includes(slot.status) && `Schedule/${schedule}` === claim.actor
    && Date.parse(slot.start) === Date.parse(claim.start) && Date.parse(slot.end) === Date.parse(claim.end);
  if (!same) {
    throw errors.conflict(`Slot/${version.id} is held by Appointment/${claim.appointmentId}: cancel or move the appointment before ${slot ? 'changing' : 'deleting'} the slot`);
  }
}
