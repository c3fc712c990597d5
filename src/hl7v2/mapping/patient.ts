import type { Identifier, Patient } from '@medplum/fhirtypes';
import { identifierFromCx } from '../datatypes/person.js';
import { problem } from '../message/problems.js';
import type { Seg } from '../message/segments.js';
import type { MappingContext } from './context.js';
import { applyRules, conv, type FieldRule } from './rules.js';
import type { PatientPlan } from './types.js';
import { V3_MARITAL } from '../../fhir/code-systems.js';


/** PID → Patient. */
export const PATIENT_RULES: readonly FieldRule[] = [
  { to: 'identifier', field: 3, as: conv.identifiers, required: true },
  { to: 'name', field: 5, as: conv.names },
  { to: 'birthDate', field: 7, as: conv.date },
  { to: 'gender', field: 8, as: conv.code('administrative-sex') },
  { to: 'address', field: 11, as: conv.addresses },
  { to: 'maritalStatus', field: 16, as: conv.codedAs('marital-status', V3_MARITAL) },
];

function telecoms(ctx: MappingContext, pid: Seg): Patient['telecom'] {
  const home = (conv.telecoms(ctx, pid, 13) as Patient['telecom']) ?? [];
  const work = ((conv.telecoms(ctx, pid, 14) as Patient['telecom']) ?? []).map((t) => ({ ...t, use: t.use === 'mobile' ? t.use : ('work' as const) }));
  const all = [...home, ...work];
  return all.length ? all : undefined;
}

/** The identifier that finds this patient again: the sender's preferred type (MR by default), else the first. */
export function keyIdentifier(ctx: MappingContext, identifiers: readonly Identifier[]): Identifier | undefined {
  const preferred = identifiers.find((i) => i.type?.coding?.[0]?.code === ctx.profile.patientIdentifierType);
  return preferred ?? identifiers[0];
}

export function mapPatient(ctx: MappingContext, pid: Seg, mode: PatientPlan['mode']): PatientPlan {
  const patient = applyRules(ctx, pid, { resourceType: 'Patient', active: true } as Patient, PATIENT_RULES);
  const telecom = telecoms(ctx, pid);
  if (telecom) patient.telecom = telecom;
  const language = conv.concept(ctx, pid, 15);
  if (language) patient.communication = [{ language: language as NonNullable<Patient['communication']>[number]['language'] }];
  const deathTime = conv.dateTime(ctx, pid, 29) as string | undefined;
  if (deathTime) patient.deceasedDateTime = deathTime;
  else if (pid.get(30).trim().toUpperCase() === 'Y') patient.deceasedBoolean = true;
  const identifier = keyIdentifier(ctx, patient.identifier ?? []);
  if (!identifier) throw problem.missing(pid.loc(3, 1), 'PID-3 patient identifier');
  return { ref: ctx.newRef(), resource: patient, identifier, mode, source: pid.loc() };
}

/** The patients of one message: a PID naming a patient already seen reuses its plan (one write per patient). */
export class MessagePatients {
  private readonly byKey = new Map<string, PatientPlan>();
  readonly plans: PatientPlan[] = [];

  add(ctx: MappingContext, pid: Seg, mode: PatientPlan['mode']): PatientPlan {
    const plan = mapPatient(ctx, pid, mode);
    const key = `${plan.identifier.system}|${plan.identifier.value}`;
    const known = this.byKey.get(key);
    if (known) return known;
    this.byKey.set(key, plan);
    this.plans.push(plan);
    return plan;
  }
}
