import type { Appointment, AppointmentParticipant, Identifier } from '@medplum/fhirtypes';
import { codeableConcept } from '../../datatypes/coded.js';
import { toInstant } from '../../datatypes/dates.js';
import { identifierFromEi, personReference } from '../../datatypes/person.js';
import { parseNumber } from '../../datatypes/quantity.js';
import type { ParsedMessage } from '../../message/envelope.js';
import { problem } from '../../message/problems.js';
import type { Seg } from '../../message/segments.js';
import type { MappingContext } from '../context.js';
import { orderIdentifier } from '../orders.js';
import { MessagePatients } from '../patient.js';
import { applyRules, conv, type FieldRule } from '../rules.js';
import { all, first, notes } from '../structure.js';
import { tableValue } from '../tables.js';
import type { MappedMessage, PlannedResource } from '../types.js';

/** SIU^S12–S15 → Appointment, upserted by the filler appointment id (SCH-2), else the placer's (SCH-1). */

export const APPOINTMENT_RULES: readonly FieldRule[] = [
  { to: 'reasonCode', field: 7, as: conv.list(conv.concept) },
  { to: 'appointmentType', field: 8, as: conv.concept },
];

function minutes(ctx: MappingContext, seg: Seg, amountField: number, unitField: number): number | undefined {
  const raw = seg.get(amountField).trim();
  if (!raw) return undefined;
  const value = parseNumber(raw, seg.loc(amountField, 1));
  const unit = (seg.get(unitField, 1) || seg.get(unitField, 2)).trim().toLowerCase();
  const factor = unit.startsWith('h') ? 60 : unit === 's' || unit.startsWith('sec') ? 1 / 60 : unit.startsWith('d') ? 1440 : 1;
  const result = Math.round(value * factor);
  return result > 0 ? result : undefined;
}

function period(ctx: MappingContext, sch: Seg, tq1: Seg | undefined, ais: Seg | undefined): { start?: string; end?: string } {
  const tz = ctx.profile.timezone;
  const at = (seg: Seg, field: number, component = 1) => {
    const raw = seg.get(field, component).trim();
    return raw ? toInstant(raw, seg.loc(field, component), tz) : undefined;
  };
  const start = (tq1 && at(tq1, 7)) ?? at(sch, 11, 4) ?? (ais && at(ais, 4));
  const end = (tq1 && at(tq1, 8)) ?? at(sch, 11, 5);
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

function participants(ctx: MappingContext, segments: readonly Seg[], patientRef: string): AppointmentParticipant[] {
  const list: AppointmentParticipant[] = [{ actor: { reference: patientRef }, status: 'accepted' }];
  for (const aip of all(segments, 'AIP')) {
    const actor = personReference(ctx, aip.rep(3));
    const role = codeableConcept(ctx, aip.rep(4));
    if (actor || role) list.push({ ...(actor ? { actor: actor as AppointmentParticipant['actor'] } : {}), ...(role ? { type: [role] } : {}), status: 'accepted' });
  }
  for (const ail of all(segments, 'AIL')) {
    const pl = ail.rep(3);
    const display = pl ? [pl.s(4, 1), pl.c(1), pl.c(2), pl.c(3)].map((s) => s.trim()).filter(Boolean).join(' / ') : '';
    if (display) list.push({ actor: { display } as AppointmentParticipant['actor'], status: 'accepted' });
  }
  for (const aig of all(segments, 'AIG')) {
    const resource = codeableConcept(ctx, aig.rep(3));
    if (resource?.text) list.push({ actor: { display: resource.text } as AppointmentParticipant['actor'], status: 'accepted' });
  }
  return list;
}

export function mapSiu(parsed: ParsedMessage, ctx: MappingContext): MappedMessage {
  const segments = parsed.segments.slice(1);
  const sch = first(segments, 'SCH');
  if (!sch) throw problem.missing({ segment: 'SCH', sequence: 1 }, 'an SCH segment');
  const pid = first(segments, 'PID');
  if (!pid) throw problem.missing({ segment: 'PID', sequence: 1 }, 'a PID segment (the patient of the appointment)');
  const patients = new MessagePatients();
  const patient = patients.add(ctx, pid, 'reference');
  const identifier = orderIdentifier(ctx, [[sch, 2, 'FILL'], [sch, 1, 'PLAC']], sch.loc(2));
  const filler = sch.get(25).trim();
  const status = ((filler && tableValue(ctx, 'appointment-filler-status', filler)) ?? tableValue(ctx, 'siu-status', parsed.envelope.event) ?? 'booked') as Appointment['status'];
  const when = period(ctx, sch, first(segments, 'TQ1'), first(segments, 'AIS'));
  if (!when.start && !['proposed', 'cancelled', 'waitlist', 'entered-in-error'].includes(status)) {
    throw problem.missing({ segment: 'TQ1', sequence: 1, field: 7 }, 'the appointment start (TQ1-7, SCH-11.4 or AIS-4)');
  }
  const appointment = applyRules(ctx, sch, {
    resourceType: 'Appointment',
    identifier: [identifier, ...(sch.rep(1) && sch.rep(2) ? [identifierFromEi(ctx, sch.rep(1) as NonNullable<ReturnType<Seg['rep']>>, 'PLAC') as Identifier] : [])],
    status,
    ...when,
    participant: participants(ctx, segments, patient.ref),
  } as Appointment, APPOINTMENT_RULES);
  const duration = minutes(ctx, sch, 9, 10);
  if (duration) appointment.minutesDuration = duration;
  const ais = first(segments, 'AIS');
  const service = ais ? codeableConcept(ctx, ais.rep(3)) : undefined;
  if (service) appointment.serviceType = [service];
  if (status === 'cancelled') {
    const reason = codeableConcept(ctx, sch.rep(6));
    if (reason) appointment.cancelationReason = reason;
  }
  const comment = notes(segments.slice(0, segments.indexOf(pid)));
  if (comment) appointment.comment = comment.map((n) => n.text).join('\n');
  return { patients: patients.plans, resources: [{ ref: ctx.newRef(), resource: appointment, mode: 'upsert', identifier, source: sch.loc() }], merges: [] };
}
