import type { Appointment } from '@medplum/fhirtypes';
import { withRetries } from '../../storage/database.js';
import { booksAsProxy, isStaff } from '../../scheduling/access.js';
import { cancellationReason, checkChange, planBooking, planCancel, resolveSlot } from '../../scheduling/booking.js';
import { referencedIds } from '../../scheduling/claims.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { OperationInput, referencedId } from './parameters.js';
import { commit, readAppointment, requireBooker } from './appointment-booking.js';

/**
 * Appointment/[id]/$cancel, $reschedule and $noshow (docs/scheduling.md): changes of an existing
 * appointment, each in one transaction with its audit record. Cancelling frees the slot; rescheduling
 * is that cancellation and a new booking together; a no-show is the clinic's to mark.
 */

/** POST Appointment/[id]/$cancel — `reason` (valueString): the appointment is cancelled, its slot free again. */
export const appointmentCancel: Handler = async ({ request, ctx, params }) => {
  const booker = requireBooker(request, 'write');
  const reason = OperationInput.of(request).string('reason');
  return withRetries(ctx.db, async (tx) => {
    const appointment = await readAppointment(tx, params.id as string);
    if (!appointment) throw errors.notFound(`Appointment/${params.id} does not exist`);
    const { view, patientId } = await checkChange(tx, booker, appointment);
    const ops = await planCancel(tx, { booker, appointment, view, now: ctx.clock(), reason: cancellationReason(booker, reason) });
    const why = booker.kind === 'patient' ? (booksAsProxy(booker, patientId) ? 'proxy cancels for the person they act for' : 'the patient cancels their own appointment') : 'clinic staff cancel in their clinic';
    return commit(tx, ctx, request, 'cancel', ops, appointment, why, 200);
  });
};

/** POST Appointment/[id]/$reschedule — `slot` (a Slot from $find): cancel this appointment and book that slot, in one transaction. */
export const appointmentReschedule: Handler = async ({ request, ctx, params }) => {
  const booker = requireBooker(request, 'write');
  const input = OperationInput.of(request);
  const slotId = referencedId(input.reference('slot'), 'Slot', 'slot');
  if (!slotId) throw errors.invalid('Name the new slot: "slot" (a Slot reference from $find)');
  const override = input.boolean('override') ?? false;
  return withRetries(ctx.db, async (tx) => {
    const now = ctx.clock();
    const old = await readAppointment(tx, params.id as string);
    if (!old) throw errors.notFound(`Appointment/${params.id} does not exist`);
    if (referencedIds((old.slot ?? []).map((s) => s.reference), 'Slot').includes(slotId)) throw errors.invalid(`Appointment/${old.id} is already in Slot/${slotId}`);
    const { view, patientId } = await checkChange(tx, booker, old);
    const cancel = await planCancel(tx, { booker, appointment: old, view, now, reason: { ...cancellationReason(booker, 'Reporté'), text: 'rescheduled' }, rescheduling: true });
    const planned = await planBooking(tx, {
      booker, target: await resolveSlot(tx, slotId), patientId, mode: 'book', now, override, replacing: old.id as string, newId: ctx.newId,
    });
    return commit(tx, ctx, request, 'reschedule', [...cancel, ...planned.ops], planned.appointment, `${planned.reason}; rescheduled from Appointment/${old.id}`, 201);
  });
};

/** POST Appointment/[id]/$noshow — clinic staff mark that the patient did not come (once the appointment started). */
export const appointmentNoShow: Handler = async ({ request, ctx, params }) => {
  const booker = requireBooker(request, 'write');
  if (!isStaff(booker)) throw errors.forbidden('only clinic staff mark a no-show');
  return withRetries(ctx.db, async (tx) => {
    const appointment = await readAppointment(tx, params.id as string);
    if (!appointment) throw errors.notFound(`Appointment/${params.id} does not exist`);
    await checkChange(tx, booker, appointment);
    if (appointment.status !== 'booked' && appointment.status !== 'arrived' && appointment.status !== 'checked-in') {
      throw errors.conflict(`Appointment/${appointment.id} is ${appointment.status}: only a booked appointment can be a no-show`);
    }
    if (Date.parse(appointment.start ?? '') > ctx.clock().getTime()) throw errors.conflict(`Appointment/${appointment.id} has not started yet`);
    const next: Appointment = { ...appointment, status: 'noshow' };
    return commit(tx, ctx, request, 'noshow', [{ kind: 'update', resourceType: 'Appointment', id: appointment.id as string, resource: next }], appointment, 'clinic staff mark a no-show', 200);
  });
};
