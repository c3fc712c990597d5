import type { Appointment, Bundle } from '@medplum/fhirtypes';
import { withRetries, type Queryable } from '../../storage/database.js';
import { currentContent } from '../../storage/resource-store.js';
import { auditInTransaction } from '../../audit/fhir-audit.js';
import { bookerOf, mayFindIn, type Booker } from '../../scheduling/access.js';
import { planBooking, resolveSlot } from '../../scheduling/booking.js';
import { referencedIds } from '../../scheduling/claims.js';
import { findOpenings, type Opening } from '../../scheduling/find.js';
import { isPublic, VISIT_MODE_URL, VISIT_MODES, type VisitMode } from '../../scheduling/schedule-facts.js';
import { formatLocal, parseWhen } from '../../scheduling/time-zone.js';
import type { FhirContext } from '../context.js';
import { errors } from '../outcomes.js';
import type { FhirRequest, FhirResponse, Handler } from '../router/types.js';
import { executeWrites } from '../write/engine.js';
import type { WriteOp } from '../write/operations.js';
import { OperationInput, referencedId } from './parameters.js';

/**
 * Appointment/$find, $hold and $book (IHE ITI Scheduling; docs/scheduling.md). The operations decide access
 * themselves (src/scheduling/access.ts): a patient does not write Appointments through the REST API, only
 * through these, for themselves or those they act for.
 */

export function requireBooker(request: FhirRequest, action: 'find' | 'write'): Booker {
  const booker = bookerOf(request.access?.principal, action);
  if (typeof booker === 'string') throw errors.forbidden(booker);
  return booker;
}

function token(value: string | undefined): { system?: string; code: string } | undefined {
  if (!value) return undefined;
  const bar = value.indexOf('|');
  return bar < 0 ? { code: value } : { ...(bar > 0 ? { system: value.slice(0, bar) } : {}), code: value.slice(bar + 1) };
}

function when(input: OperationInput, name: string, fallback: number): number {
  const text = input.string(name);
  if (text === undefined) return fallback;
  const time = parseWhen(text);
  if (time === undefined) throw errors.invalid(`The "${name}" parameter must be a date (YYYY-MM-DD, clinic time) or an instant with its offset (got "${text}")`);
  return time;
}

const DAY = 24 * 3_600_000;

/** GET|POST Appointment/$find — open slots, earliest first, as proposed Appointments. */
export const appointmentFind: Handler = async ({ request, ctx, reader }) => {
  const booker = requireBooker(request, 'find');
  const input = OperationInput.of(request);
  const now = ctx.clock();
  const from = Math.max(when(input, 'start', now.getTime()), now.getTime());
  const to = when(input, 'end', from + 14 * DAY);
  if (to <= from) throw errors.invalid('"end" must be after "start" (and after now)');
  if (to - from > 93 * DAY) throw errors.invalid('$find searches at most 93 days at once');
  const visitMode = input.string('visit-mode');
  if (visitMode !== undefined && !VISIT_MODES.includes(visitMode as VisitMode)) throw errors.invalid('"visit-mode" is in-person or virtual');
  const practitioner = referencedId(input.reference('practitioner'), 'Practitioner', 'practitioner') ?? undefined;
  const organization = referencedId(input.reference('organization'), 'Organization', 'organization') ?? undefined;
  const specialty = token(input.string('specialty'));
  const serviceType = token(input.string('service-type'));
  if (!practitioner && !organization && !specialty && !serviceType) {
    throw errors.invalid('$find needs at least one of practitioner, organization, specialty, service-type');
  }
  const count = input.integer('_count', 1, 100) ?? 10;
  const openings = await findOpenings(reader, {
    ...(practitioner ? { practitioner } : {}), ...(organization ? { organization } : {}),
    ...(specialty ? { specialty } : {}), ...(serviceType ? { serviceType } : {}),
    ...(visitMode ? { visitMode: visitMode as VisitMode } : {}),
    from, to, count, patientRules: booker.kind === 'patient',
    visible: (view, slot) => mayFindIn(booker, view.clinics, isPublic(view.schedule, slot)),
  }, { baseUrl: ctx.fhirBaseUrl, now });
  const bundle: Bundle = {
    resourceType: 'Bundle', type: 'searchset', total: openings.length,
    entry: openings.map((o) => ({ resource: proposed(o), search: { mode: 'match' } })),
  };
  return { status: 200, body: bundle };
};

/** An opening as the proposed Appointment $find returns: what $hold and $book take back. */
function proposed(o: Opening): Appointment {
  const zone = o.view.rules?.zone;
  return {
    resourceType: 'Appointment', status: 'proposed',
    start: formatLocal(o.start, zone), end: formatLocal(o.end, zone), minutesDuration: Math.round((o.end - o.start) / 60_000),
    slot: [{ reference: `Slot/${o.slotId}` }],
    ...(o.view.schedule.serviceType ? { serviceType: o.view.schedule.serviceType } : {}),
    ...(o.view.schedule.specialty ? { specialty: o.view.schedule.specialty } : {}),
    extension: [{ url: VISIT_MODE_URL, valueCode: o.visitMode }],
    participant: o.view.schedule.actor.map((actor) => ({ actor, status: 'accepted' as const, required: 'required' as const })),
  };
}

/** The slot and patient a $hold or $book names: `slot` + `patient`, or an `appointment` ($find's proposal with a patient participant). */
function bookingTarget(input: OperationInput): { slotId: string | undefined; patientId: string | undefined; heldId: string | undefined } {
  const appointment = (input.resource('appointment') ?? input.resource('resource')) as Appointment | undefined;
  if (appointment && appointment.resourceType !== 'Appointment') throw errors.invalid('The "appointment" parameter must be an Appointment');
  const heldRef = input.reference('appointment');
  const heldId = appointment?.id && appointment.status === 'pending' ? appointment.id
    : !appointment && heldRef?.reference ? referencedId(heldRef, 'Appointment', 'appointment') : undefined;
  const slotId = referencedId(input.reference('slot'), 'Slot', 'slot') ?? referencedIds((appointment?.slot ?? []).map((s) => s.reference), 'Slot')[0];
  const patientId = referencedId(input.reference('patient'), 'Patient', 'patient')
    ?? referencedIds((appointment?.participant ?? []).map((p) => p.actor?.reference), 'Patient')[0];
  return { slotId, patientId, heldId };
}

export async function readAppointment(tx: Queryable, id: string): Promise<Appointment | undefined> {
  const content = await currentContent(tx, 'Appointment', id);
  return content ? (JSON.parse(content) as Appointment) : undefined;
}

/** Runs planned writes and the operation's audit record in the transaction; answers the appointment. */
export async function commit(
  tx: Queryable, ctx: FhirContext, request: FhirRequest, operation: string, ops: WriteOp[], appointment: Appointment, reason: string, status: number,
): Promise<FhirResponse> {
  const principal = request.access?.principal;
  const results = await executeWrites(tx, ctx, ops, { transaction: true, ...(principal?.organization ? { author: principal.organization } : {}) });
  const patient = referencedIds((appointment.participant ?? []).map((p) => p.actor?.reference), 'Patient')[0] ?? null;
  request.audit?.entity(`Appointment/${appointment.id}`, patient);
  request.audit?.decision(reason, principal && (principal.role === 'patient' || principal.role === 'proxy') ? 'PATRQT' : 'TREAT');
  await auditInTransaction(tx, ctx, request, { interaction: 'operation', operation, resourceType: 'Appointment', id: appointment.id as string, status });
  const written = results.find((r) => r.resourceType === 'Appointment' && r.id === appointment.id);
  return { status, body: written?.content ?? appointment, headers: { Location: `${ctx.fhirBaseUrl}/Appointment/${appointment.id}` } };
}

function bookHandler(mode: 'hold' | 'book'): Handler {
  return async ({ request, ctx }) => {
    const booker = requireBooker(request, 'write');
    const input = OperationInput.of(request);
    const target = bookingTarget(input);
    const override = input.boolean('override') ?? false;
    const comment = input.string('comment');
    return withRetries(ctx.db, async (tx) => {
      const now = ctx.clock();
      const held = target.heldId ? await readAppointment(tx, target.heldId) : undefined;
      if (target.heldId && mode === 'book') {
        if (!held || held.status !== 'pending') throw errors.notFound(`Appointment/${target.heldId} is not a hold`);
      }
      const slotId = target.slotId ?? referencedIds((held?.slot ?? []).map((s) => s.reference), 'Slot')[0];
      const patientId = target.patientId ?? (held ? referencedIds((held.participant ?? []).map((p) => p.actor?.reference), 'Patient')[0] : undefined)
        ?? (booker.kind === 'patient' && booker.patients.length === 1 ? booker.patients[0] : undefined);
      if (!slotId) throw errors.invalid('Name the slot: "slot" (a Slot reference from $find) or an "appointment" with a slot');
      if (!patientId) throw errors.invalid('Name the patient: "patient" (a Patient reference)');
      if (held && !referencedIds((held.participant ?? []).map((p) => p.actor?.reference), 'Patient').includes(patientId)) {
        throw errors.invalid(`Appointment/${held.id} holds the slot for another patient`);
      }
      const planned = await planBooking(tx, {
        booker, target: await resolveSlot(tx, slotId), patientId, mode, now, override,
        ...(held && mode === 'book' ? { held } : {}), ...(comment ? { comment } : {}), newId: ctx.newId,
      });
      return commit(tx, ctx, request, mode, planned.ops, planned.appointment, planned.reason, held && mode === 'book' ? 200 : 201);
    });
  };
}

/** POST Appointment/$hold — a pending appointment that keeps the slot for the clinic's hold time, then expires. */
export const appointmentHold: Handler = bookHandler('hold');
/** POST Appointment/$book — a booked appointment; the slot is busy (a hold, if named, is confirmed). */
export const appointmentBook: Handler = bookHandler('book');
