import type { Encounter, EncounterParticipant, Identifier } from '@medplum/fhirtypes';
import { fixedConcept } from '../../datatypes/coded.js';
import { identifierFromCx, personReference } from '../../datatypes/person.js';
import type { ParsedMessage } from '../../message/envelope.js';
import { problem } from '../../message/problems.js';
import type { Seg } from '../../message/segments.js';
import type { MappingContext } from '../context.js';
import { MessagePatients } from '../patient.js';
import { applyRules, conv, type FieldRule } from '../rules.js';
import { first, splitAt } from '../structure.js';
import { tableValue } from '../tables.js';
import type { MappedMessage, MergePlan, PatientPlan, PlannedResource } from '../types.js';
import { V2_0203, V3_ACT_CODE, V3_NULL_FLAVOR, V3_PARTICIPATION_TYPE } from '../../../fhir/code-systems.js';

/**
 * ADT → Patient (demographics: ADT is the feed that owns them, so the Patient is upserted) and Encounter
 * (from PV1, upserted by visit number PV1-19). A28/A31 carry person information only. A40 merges.
 */

const PARTICIPATION = V3_PARTICIPATION_TYPE;

/** Events this mapping accepts, and whether they describe a visit. */
export const ADT_EVENTS: Readonly<Record<string, 'visit' | 'person' | 'merge'>> = {
  A01: 'visit', A02: 'visit', A03: 'visit', A04: 'visit', A05: 'visit', A08: 'visit', A11: 'visit', A13: 'visit',
  A28: 'person', A31: 'person', A40: 'merge',
};

/** PV1 → Encounter. */
export const ENCOUNTER_RULES: readonly FieldRule[] = [
  { to: 'serviceType', field: 10, as: conv.concept },
  { to: 'location', field: 3, as: (_ctx, seg, field) => {
    const pl = seg.rep(field);
    const display = pl ? [pl.c(4) ? pl.s(4, 1) : '', pl.c(1), pl.c(2), pl.c(3)].map((s) => s.trim()).filter(Boolean).join(' / ') : '';
    return display ? [{ location: { display } }] : undefined;
  } },
];

function participants(ctx: MappingContext, pv1: Seg): EncounterParticipant[] | undefined {
  const roles: [number, string, string][] = [[7, 'ATND', 'attender'], [8, 'REF', 'referrer'], [17, 'ADM', 'admitter'], [9, 'CON', 'consultant']];
  const list: EncounterParticipant[] = [];
  for (const [field, code, display] of roles) {
    for (const rep of pv1.reps(field)) {
      const individual = personReference(ctx, rep);
      if (individual) list.push({ type: [fixedConcept(PARTICIPATION, code, display)], individual: individual as EncounterParticipant["individual"] });
    }
  }
  return list.length ? list : undefined;
}

function encounterStatus(ctx: MappingContext, event: string, pv1: Seg): Encounter['status'] {
  const fromEvent = tableValue(ctx, 'adt-encounter-status', event);
  if (fromEvent) return fromEvent as Encounter['status'];
  // A08 (update) states no change of status: the discharge date tells whether the visit is over.
  return pv1.get(45) ? 'finished' : 'in-progress';
}

function mapEncounter(ctx: MappingContext, event: string, patient: PatientPlan, pv1: Seg): PlannedResource | undefined {
  const visit = pv1.rep(19);
  const identifier = visit ? identifierFromCx(ctx, visit) : undefined;
  if (!identifier) {
    ctx.warnings.push(problem.warning('101', 'PV1-19 visit number is empty: no Encounter recorded (a visit needs a number to be updated later)', pv1.loc(19)));
    return undefined;
  }
  if (!identifier.type) identifier.type = { coding: [{ system: V2_0203, code: 'VN' }] };
  const patientClass = pv1.get(2).trim();
  const actCode = patientClass ? tableValue(ctx, 'patient-class', patientClass) : undefined;
  const encounter = applyRules(ctx, pv1, {
    resourceType: 'Encounter',
    identifier: [identifier],
    status: encounterStatus(ctx, event, pv1),
    class: actCode
      ? { system: V3_ACT_CODE, code: actCode }
      : { system: V3_NULL_FLAVOR, code: 'UNK', display: 'unknown' },
    subject: { reference: patient.ref },
  } as Encounter, ENCOUNTER_RULES);
  const who = participants(ctx, pv1);
  if (who) encounter.participant = who;
  const start = conv.dateTime(ctx, pv1, 44) as string | undefined;
  const end = event === 'A13' ? undefined : (conv.dateTime(ctx, pv1, 45) as string | undefined);
  if (start || end) encounter.period = { ...(start ? { start } : {}), ...(end ? { end } : {}) };
  const admitSource = conv.concept(ctx, pv1, 14);
  const disposition = conv.concept(ctx, pv1, 36);
  if (admitSource || disposition) {
    encounter.hospitalization = { ...(admitSource ? { admitSource } : {}), ...(disposition ? { dischargeDisposition: disposition } : {}) } as Encounter['hospitalization'];
  }
  return { ref: ctx.newRef(), resource: encounter, mode: 'upsert', identifier, source: pv1.loc() };
}

function mapMerges(ctx: MappingContext, segments: readonly Seg[], patients: MessagePatients): MergePlan[] {
  const merges: MergePlan[] = [];
  const { groups } = splitAt(segments, ['PID']);
  if (groups.length === 0) throw problem.missing({ segment: 'PID', sequence: 1 }, 'a PID segment (the surviving patient)');
  for (const group of groups) {
    const pid = group[0] as Seg;
    const mrg = first(group, 'MRG');
    if (!mrg) throw problem.missing({ segment: 'MRG', sequence: pid.sequence }, `the MRG segment after PID[${pid.sequence}] (the patient merged away)`);
    const merged = mrg.reps(1).map((r) => identifierFromCx(ctx, r)).filter((i): i is Identifier => i !== undefined);
    if (merged.length === 0) throw problem.missing(mrg.loc(1, 1), 'MRG-1 prior patient identifier');
    const survivor = patients.add(ctx, pid, 'upsert');
    if (merged.some((m) => m.system === survivor.identifier.system && m.value === survivor.identifier.value)) {
      throw problem.dataType(mrg.loc(1, 1), 'MRG-1 names the surviving patient itself');
    }
    merges.push({ survivorRef: survivor.ref, merged, source: mrg.loc() });
  }
  return merges;
}

export function mapAdt(parsed: ParsedMessage, ctx: MappingContext): MappedMessage {
  const event = parsed.envelope.event;
  const kind = ADT_EVENTS[event];
  const segments = parsed.segments.slice(1);
  const patients = new MessagePatients();
  if (kind === 'merge') return { patients: patients.plans, resources: [], merges: mapMerges(ctx, segments, patients) };
  const pid = first(segments, 'PID');
  if (!pid) throw problem.missing({ segment: 'PID', sequence: 1 }, 'a PID segment');
  const patient = patients.add(ctx, pid, 'upsert');
  const resources: PlannedResource[] = [];
  const pv1 = first(segments, 'PV1');
  if (kind === 'visit') {
    if (!pv1) throw problem.missing({ segment: 'PV1', sequence: 1 }, `a PV1 segment (ADT^${event} describes a visit)`);
    const encounter = mapEncounter(ctx, event, patient, pv1);
    if (encounter) resources.push(encounter);
  }
  return { patients: patients.plans, resources, merges: [] };
}
