import type { Dosage, Identifier, MedicationDispense, MedicationRequest, Reference } from '@medplum/fhirtypes';
import { codeableConcept } from '../../datatypes/coded.js';
import { parseNumber, quantity, unitOf } from '../../datatypes/quantity.js';
import type { ParsedMessage } from '../../message/envelope.js';
import { problem } from '../../message/problems.js';
import type { Seg } from '../../message/segments.js';
import type { MappingContext } from '../context.js';
import { orderIdentifier, orderIdentifiers, UniqueKeys } from '../orders.js';
import { MessagePatients } from '../patient.js';
import { applyRules, conv, type FieldRule } from '../rules.js';
import { all, first, notes, splitAt } from '../structure.js';
import { tableValue } from '../tables.js';
import type { MappedMessage, PatientPlan, PlannedResource } from '../types.js';

/**
 * Pharmacy: RDE^O11 (encoded order) → MedicationRequest; RDS^O13 (dispense, RXD) → MedicationDispense and the
 * MedicationRequest it fulfils. Drug codes keep their coding system (DIN, ATC, NDC, RxNorm… → their URIs).
 */

/** ORC + RXE → MedicationRequest. */
export const MEDICATION_REQUEST_RULES: readonly FieldRule[] = [
  { to: 'authoredOn', field: 9, as: conv.dateTime },
  { to: 'requester', field: 12, as: conv.person },
];

/** RXD → MedicationDispense. */
export const MEDICATION_DISPENSE_RULES: readonly FieldRule[] = [
  { to: 'medicationCodeableConcept', field: 2, as: conv.concept, required: true },
  { to: 'whenHandedOver', field: 3, as: conv.dateTime, required: true },
];

function amount(ctx: MappingContext, seg: Seg, valueField: number, unitField: number) {
  const raw = seg.get(valueField).trim();
  if (!raw) return undefined;
  return quantity(parseNumber(raw, seg.loc(valueField, 1)), unitOf(ctx, seg.rep(unitField)));
}

function requestStatus(ctx: MappingContext, orc: Seg): MedicationRequest['status'] {
  const orderStatus = orc.get(5).trim();
  const control = orc.get(1).trim();
  return (tableValue(ctx, 'order-status', orderStatus) ?? tableValue(ctx, 'order-control', control) ?? 'active') as MedicationRequest['status'];
}

function dosage(ctx: MappingContext, rxe: Seg | undefined, routes: readonly Seg[]): Dosage | undefined {
  const dose: Dosage = {};
  const route = routes[0] ? codeableConcept(ctx, routes[0].rep(1)) : undefined;
  if (route) dose.route = route;
  const site = routes[0] ? codeableConcept(ctx, routes[0].rep(2)) : undefined;
  if (site) dose.site = site;
  if (rxe) {
    const min = amount(ctx, rxe, 3, 5);
    if (min) dose.doseAndRate = [{ doseQuantity: min }];
    const instructions = rxe.reps(7).map((r) => codeableConcept(ctx, r)?.text ?? r.text).filter(Boolean).join('; ');
    if (instructions) dose.text = instructions;
    const timing = rxe.rep(1)?.c(2).trim();
    if (timing) dose.timing = { code: { text: timing } };
  }
  return Object.keys(dose).length ? dose : undefined;
}

function medicationRequest(
  ctx: MappingContext, patient: PatientPlan, orc: Seg, rxe: Seg | undefined, routes: readonly Seg[], fallbackDrug: Seg | undefined, group: readonly Seg[], keys: UniqueKeys,
): PlannedResource {
  const identifier = orderIdentifier(ctx, [[orc, 2, 'PLAC'], [orc, 3, 'FILL']], orc.loc(2));
  keys.claim('MedicationRequest', identifier, orc.loc(2), `ORC[${orc.sequence}]`);
  const medication = rxe ? codeableConcept(ctx, rxe.rep(2)) : fallbackDrug ? codeableConcept(ctx, fallbackDrug.rep(2)) : undefined;
  if (!medication) throw problem.missing(rxe ? rxe.loc(2) : orc.loc(), 'RXE-2 give code (the medication)');
  const request = applyRules(ctx, orc, {
    resourceType: 'MedicationRequest',
    identifier: orderIdentifiers(ctx, [[orc, 2, 'PLAC'], [orc, 3, 'FILL']]),
    status: requestStatus(ctx, orc),
    intent: 'order',
    medicationCodeableConcept: medication,
    subject: { reference: patient.ref },
  } as MedicationRequest, MEDICATION_REQUEST_RULES);
  const dose = dosage(ctx, rxe, routes);
  if (dose) request.dosageInstruction = [dose];
  if (rxe) {
    const dispense = amount(ctx, rxe, 10, 11);
    const refills = rxe.get(12).trim();
    if (dispense || refills) {
      request.dispenseRequest = {
        ...(dispense ? { quantity: dispense } : {}),
        ...(refills ? { numberOfRepeatsAllowed: parseNumber(refills, rxe.loc(12, 1)) } : {}),
      };
    }
  }
  const note = notes(group);
  if (note) request.note = note;
  return { ref: ctx.newRef(), resource: request, mode: 'upsert', identifier, source: orc.loc() };
}

function patientOf(ctx: MappingContext, parsed: ParsedMessage, patients: MessagePatients): PatientPlan {
  const pid = first(parsed.segments, 'PID');
  if (!pid) throw problem.missing({ segment: 'PID', sequence: 1 }, 'a PID segment');
  return patients.add(ctx, pid, 'reference');
}

function orderGroups(parsed: ParsedMessage): readonly (readonly Seg[])[] {
  const { groups } = splitAt(parsed.segments.slice(1), ['ORC']);
  if (groups.length === 0) throw problem.missing({ segment: 'ORC', sequence: 1 }, 'an ORC segment (the order)');
  return groups;
}

export function mapRde(parsed: ParsedMessage, ctx: MappingContext): MappedMessage {
  const patients = new MessagePatients();
  const patient = patientOf(ctx, parsed, patients);
  const keys = new UniqueKeys();
  const resources = orderGroups(parsed).map((group) => {
    const orc = group[0] as Seg;
    const rxe = first(group, 'RXE');
    if (!rxe) throw problem.missing({ segment: 'RXE', sequence: orc.sequence }, `the RXE segment of ORC[${orc.sequence}]`);
    return medicationRequest(ctx, patient, orc, rxe, all(group, 'RXR'), undefined, group, keys);
  });
  return { patients: patients.plans, resources, merges: [] };
}

export function mapRds(parsed: ParsedMessage, ctx: MappingContext): MappedMessage {
  const patients = new MessagePatients();
  const patient = patientOf(ctx, parsed, patients);
  const keys = new UniqueKeys();
  const resources: PlannedResource[] = [];
  // Several dispenses (RXD) of one order share its MedicationRequest.
  const requests = new Map<string, PlannedResource>();
  for (const group of orderGroups(parsed)) {
    const orc = group[0] as Seg;
    const rxd = first(group, 'RXD');
    if (!rxd) throw problem.missing({ segment: 'RXD', sequence: orc.sequence }, `the RXD segment of ORC[${orc.sequence}]`);
    const routes = all(group, 'RXR');
    // The order this dispense fulfils: created from the RDS itself when the RDE never reached us.
    const placed = orderIdentifier(ctx, [[orc, 2, 'PLAC'], [orc, 3, 'FILL']], orc.loc(2));
    const requestKey = `${placed.system}|${placed.value}`;
    let request = requests.get(requestKey);
    if (!request) {
      request = { ...medicationRequest(ctx, patient, orc, first(group, 'RXE'), routes, rxd, [], keys), mode: 'create-if-absent' };
      requests.set(requestKey, request);
      resources.push(request);
    }
    const orderKey = orderIdentifier(ctx, [[orc, 3, 'FILL'], [orc, 2, 'PLAC']], orc.loc(3));
    const dispenseId: Identifier = { system: orderKey.system as string, value: `${orderKey.value}/dispense/${rxd.get(1).trim() || '1'}` };
    keys.claim('MedicationDispense', dispenseId, rxd.loc(1), `RXD[${rxd.sequence}]`);
    const prescription = rxd.get(7).trim();
    const dispense = applyRules(ctx, rxd, {
      resourceType: 'MedicationDispense',
      identifier: [dispenseId, ...(prescription ? [{ system: orderKey.system as string, value: prescription, type: { text: 'prescription number' } }] : [])],
      status: orc.get(1).trim() === 'CA' ? 'cancelled' : 'completed',
      medicationCodeableConcept: { text: '' },
      subject: { reference: patient.ref },
      authorizingPrescription: [{ reference: request.ref } as Reference<MedicationRequest>],
    } as MedicationDispense, MEDICATION_DISPENSE_RULES);
    const dispensed = amount(ctx, rxd, 4, 5);
    if (dispensed) dispense.quantity = dispensed;
    const performer = conv.person(ctx, rxd, 10) as Reference | undefined;
    if (performer) dispense.performer = [{ actor: performer as NonNullable<MedicationDispense['performer']>[number]['actor'] }];
    const dose = dosage(ctx, undefined, routes);
    if (dose) dispense.dosageInstruction = [dose];
    const note = notes(group);
    if (note) dispense.note = note;
    resources.push({ ref: ctx.newRef(), resource: dispense, mode: 'upsert', identifier: dispenseId, source: rxd.loc() });
  }
  return { patients: patients.plans, resources, merges: [] };
}
