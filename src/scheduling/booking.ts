import type { Appointment, AppointmentParticipant, CodeableConcept, Extension, Organization, Slot } from '@medplum/fhirtypes';
import type { Queryable } from '../storage/database.js';
import { errors, FhirError } from '../fhir/outcomes.js';
import { lockCriteria } from '../storage/resource-store.js';
import type { WriteOp } from '../fhir/write/operations.js';
import { ruleOpenings, ruleSlotParts } from './availability.js';
import { bookingRefusal as accessRefusal, booksAsProxy, isStaff, type Booker } from './access.js';
import { currentContents, liveAppointmentsOf } from './claim-store.js';
import { CLAIMING_STATUSES, HOLD_EXPIRES_URL, OVERBOOKED_URL, referencedIds } from './claims.js';
import { bookingRefusal as ruleRefusal, cancelRefusal, clinicRulesOf, type ClinicRules } from './clinic-rules.js';
import { isPublic, VISIT_MODE_URL, visitModeOf } from './schedule-facts.js';
import { readSchedule, type ScheduleView } from './schedule-store.js';
import { formatLocal } from './time-zone.js';
import { APPOINTMENT_CANCELLATION_REASON } from '../fhir/code-systems.js';

/**
 * The decisions and writes of $hold, $book, $cancel, $reschedule and $noshow, inside one transaction the
 * caller opened. The schedule claims (write-hook.ts) make the final no-double-booking decision in the
 * database; this module refuses early, clearly, and applies who-may-do-what and the clinic's rules.
 */

/** Marks an Appointment that replaced another one ($reschedule). */
export const RESCHEDULED_FROM_URL = 'urn:carnet:extension:appointment-rescheduled-from';

/** Business rules refused (deadline, horizon, number of appointments): 422, the request was understood. */
function ruleBroken(text: string): FhirError {
  return new FhirError('unprocessable', text);
}

export interface SlotTarget {
  readonly slot: Slot;
  readonly view: ScheduleView;
  /** False for an opening of a rule whose Slot does not exist yet (the booking creates it). */
  readonly stored: boolean;
}

/** The slot a request names: a stored Slot, or an opening of its schedule's rules (by the id $find gave). */
export async function resolveSlot(tx: Queryable, slotId: string): Promise<SlotTarget> {
  const content = (await currentContents(tx, 'Slot', [slotId])).get(slotId);
  if (content) {
    const slot = JSON.parse(content) as Slot;
    const view = await readSchedule(tx, referencedIds([slot.schedule.reference], 'Schedule')[0] ?? '');
    if (!view) throw errors.invalid(`Slot/${slotId} belongs to no existing Schedule`);
    return { slot, view, stored: true };
  }
  const parts = ruleSlotParts(slotId);
  const view = parts ? await readSchedule(tx, parts.scheduleKey) : undefined;
  const opening = parts && view?.rules ? ruleOpenings(view.rules, parts.start, parts.start + 1)[0] : undefined;
  if (!parts || !view || !opening || opening.start !== parts.start) throw errors.notFound(`Slot/${slotId} does not exist`);
  const slot: Slot = {
    resourceType: 'Slot', id: slotId, schedule: { reference: `Schedule/${view.id}` }, status: 'free',
    start: new Date(opening.start).toISOString(), end: new Date(opening.end).toISOString(),
    ...(view.schedule.serviceType ? { serviceType: view.schedule.serviceType } : {}),
    ...(view.schedule.specialty ? { specialty: view.schedule.specialty } : {}),
  };
  return { slot, view, stored: false };
}

/** The clinic's rules: those of the first organisation of the schedule's roles. */
export async function rulesOf(tx: Queryable, view: ScheduleView): Promise<ClinicRules> {
  const org = referencedIds(view.clinics, 'Organization')[0];
  const content = org ? (await currentContents(tx, 'Organization', [org])).get(org) : undefined;
  return clinicRulesOf(content ? (JSON.parse(content) as Organization) : undefined);
}

export function patientOf(appointment: Appointment): string | undefined {
  return referencedIds((appointment.participant ?? []).map((p) => p.actor?.reference), 'Patient')[0];
}

/** The patient's live future appointments with this schedule's clinic (holds that expired do not count). */
async function futureAppointments(tx: Queryable, patientId: string, view: ScheduleView, now: Date, except: string | undefined): Promise<number> {
  const rows = await liveAppointmentsOf(tx, patientId, now);
  const clinicRoles = new Set(view.roles.map((r) => `PractitionerRole/${r}`));
  return rows.filter((r) => r.id !== except).filter((r) => {
    const a = JSON.parse(r.content) as Appointment;
    return (a.participant ?? []).some((p) => clinicRoles.has(p.actor?.reference ?? '')) || view.clinics.length === 0;
  }).length;
}

export interface BookInput {
  readonly booker: Booker;
  readonly target: SlotTarget;
  readonly patientId: string;
  readonly mode: 'hold' | 'book';
  readonly now: Date;
  /** Staff only: double-book on purpose. */
  readonly override: boolean;
  /** A held appointment being confirmed ($book of a hold). */
  readonly held?: Appointment;
  readonly comment?: string;
  /** An appointment this one replaces ($reschedule): not counted against the patient's limit. */
  readonly replacing?: string;
  readonly newId: () => string;
}

export interface Planned {
  readonly ops: WriteOp[];
  readonly appointment: Appointment;
  /** Why access was granted (for the audit trail). */
  readonly reason: string;
}

/** Checks a booking or a hold and plans its writes: the Slot (created or marked busy) and the Appointment. */
export async function planBooking(tx: Queryable, input: BookInput): Promise<Planned> {
  const { booker, target, patientId, now } = input;
  const { slot, view } = target;
  const start = Date.parse(slot.start);
  if (input.override && !isStaff(input.booker)) throw errors.forbidden('only clinic staff may double-book on purpose');
  const refusal = accessRefusal(booker, { patientId, clinics: view.clinics, publicBooking: isPublic(view.schedule, slot) });
  if (refusal) throw errors.forbidden(refusal);
  if (start < now.getTime()) throw errors.invalid(`Slot/${slot.id} is in the past`);
  const heldHere = input.held && referencedIds((input.held.slot ?? []).map((s) => s.reference), 'Slot').includes(slot.id as string);
  if (!input.override && slot.status !== 'free' && !(heldHere && slot.status === 'busy-tentative')) {
    throw errors.conflict(slot.status === 'busy' ? `Slot/${slot.id} was taken: it is already booked` : `Slot/${slot.id} is ${slot.status}: it cannot be booked`);
  }
  if ((await currentContents(tx, 'Patient', [patientId])).size === 0) throw errors.invalid(`Patient/${patientId} does not exist`);
  const rules = await rulesOf(tx, view);
  if (booker.kind === 'patient') {
    // One patient's bookings are serialised, so two at once cannot both pass the limit.
    await lockCriteria(tx, `scheduling:patient:${patientId}`);
    const count = await futureAppointments(tx, patientId, view, now, input.held?.id ?? input.replacing);
    const broken = ruleRefusal(rules, start, now.getTime(), count);
    if (broken) throw ruleBroken(broken);
  }
  const status = input.mode === 'hold' ? 'pending' : 'booked';
  const participants: AppointmentParticipant[] = [
    { actor: { reference: `Patient/${patientId}` }, status: 'accepted', required: 'required' },
    // The schedule's actors (practitioner roles, practitioners, a room): who the patient sees, and where.
    ...view.schedule.actor.map((actor): AppointmentParticipant => ({ actor, status: 'accepted', required: 'required' })),
  ];
  const extension = [
    { url: VISIT_MODE_URL, valueCode: visitModeOf(view.schedule, slot) },
    ...(input.mode === 'hold' ? [{ url: HOLD_EXPIRES_URL, valueInstant: new Date(now.getTime() + rules.holdMinutes * 60_000).toISOString() }] : []),
    ...(input.override ? [{ url: OVERBOOKED_URL, valueBoolean: true }] : []),
    ...(input.replacing ? [{ url: RESCHEDULED_FROM_URL, valueReference: { reference: `Appointment/${input.replacing}` } }] : []),
  ];
  const base = input.held ?? {};
  const appointment: Appointment = {
    ...base,
    resourceType: 'Appointment',
    id: input.held?.id ?? input.newId(),
    status,
    extension: [...((base as Appointment).extension ?? []).filter((e) => ![VISIT_MODE_URL, HOLD_EXPIRES_URL, OVERBOOKED_URL].includes(e.url)), ...extension],
    ...(view.schedule.serviceType ? { serviceType: view.schedule.serviceType } : {}),
    ...(view.schedule.specialty ? { specialty: view.schedule.specialty } : {}),
    start: formatLocal(start, view.rules?.zone), end: formatLocal(Date.parse(slot.end), view.rules?.zone),
    minutesDuration: Math.round((Date.parse(slot.end) - start) / 60_000),
    slot: [{ reference: `Slot/${slot.id}` }],
    created: input.held?.created ?? now.toISOString(),
    participant: participants,
    ...(input.comment ? { comment: input.comment } : {}),
  };
  const ops: WriteOp[] = [];
  const nextSlotStatus = input.mode === 'book' ? 'busy' : slot.status;
  if (!target.stored || nextSlotStatus !== slot.status) {
    ops.push({ kind: 'update', resourceType: 'Slot', id: slot.id as string, resource: { ...slot, status: nextSlotStatus } });
  }
  ops.push(input.held
    ? { kind: 'update', resourceType: 'Appointment', id: appointment.id as string, resource: appointment }
    : { kind: 'update', resourceType: 'Appointment', id: appointment.id as string, resource: appointment });
  const reason = input.override ? 'clinic staff override: double booking on purpose'
    : booker.kind === 'patient' ? (booksAsProxy(booker, patientId) ? `proxy for Patient/${patientId}` : 'the patient books for themselves')
      : 'clinic staff book in their clinic\'s schedule';
  return { ops, appointment, reason };
}

/** Who may change an existing appointment (cancel, reschedule): the patient side for their own, staff of its clinic. */
export async function checkChange(tx: Queryable, booker: Booker, appointment: Appointment): Promise<{ view: ScheduleView | undefined; patientId: string }> {
  const patientId = patientOf(appointment);
  if (!patientId) throw errors.invalid(`Appointment/${appointment.id} names no patient`);
  const slotId = referencedIds((appointment.slot ?? []).map((s) => s.reference), 'Slot')[0];
  const slot = slotId ? (await currentContents(tx, 'Slot', [slotId])).get(slotId) : undefined;
  const view = slot ? await readSchedule(tx, referencedIds([(JSON.parse(slot) as Slot).schedule.reference], 'Schedule')[0] ?? '') : undefined;
  if (booker.kind === 'patient') {
    if (!booker.patients.includes(patientId)) throw errors.notFound(`Appointment/${appointment.id} does not exist`);
  } else if (!booker.everywhere && !(booker.organization && view?.clinics.includes(booker.organization))) {
    throw errors.forbidden('clinic staff change only their own clinic\'s appointments');
  }
  return { view, patientId };
}

export interface CancelInput {
  readonly booker: Booker;
  readonly appointment: Appointment;
  readonly view: ScheduleView | undefined;
  readonly now: Date;
  readonly reason: CodeableConcept;
  /** Part of a reschedule: the patients' deadline still applies. */
  readonly rescheduling?: boolean;
}

/** Plans a cancellation: the appointment cancelled with its reason, its stored slots free again. */
export async function planCancel(tx: Queryable, input: CancelInput): Promise<WriteOp[]> {
  const { appointment, now } = input;
  if (!appointment.status || !CLAIMING_STATUSES.has(appointment.status) || appointment.status === 'arrived' || appointment.status === 'checked-in') {
    throw errors.conflict(`Appointment/${appointment.id} is ${appointment.status}: only a pending or booked appointment is cancelled`);
  }
  if (input.booker.kind === 'patient' && input.view && appointment.status === 'booked') {
    const broken = cancelRefusal(await rulesOf(tx, input.view), Date.parse(appointment.start ?? ''), now.getTime());
    if (broken) throw ruleBroken(broken);
  }
  const ops: WriteOp[] = [{
    kind: 'update', resourceType: 'Appointment', id: appointment.id as string,
    resource: withExtensions({ ...appointment, status: 'cancelled', cancelationReason: input.reason }, (appointment.extension ?? []).filter((e) => e.url !== HOLD_EXPIRES_URL)),
  }];
  const slotIds = referencedIds((appointment.slot ?? []).map((s) => s.reference), 'Slot');
  for (const [id, content] of await currentContents(tx, 'Slot', slotIds)) {
    const slot = JSON.parse(content) as Slot;
    if (slot.status === 'busy') ops.push({ kind: 'update', resourceType: 'Slot', id, resource: { ...slot, status: 'free' } });
  }
  return ops;
}

/** The resource with these extensions, or with none (an empty array is not valid FHIR). */
function withExtensions(appointment: Appointment, extension: Extension[]): Appointment {
  const { extension: _old, ...rest } = appointment;
  return extension.length > 0 ? { ...rest, extension } : rest;
}

/** The reason a cancellation records: who cancelled (patient or provider, R4 appointment-cancellation-reason) and their words. */
export function cancellationReason(booker: Booker, text: string | undefined): CodeableConcept {
  const patientSide = booker.kind === 'patient';
  return {
    coding: [{ system: APPOINTMENT_CANCELLATION_REASON, code: patientSide ? 'pat' : 'prov', display: patientSide ? 'Patient' : 'Provider' }],
    ...(text ? { text } : {}),
  };
}
