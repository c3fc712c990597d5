import type { Condition, Observation } from '@medplum/fhirtypes';
import { dateTime, formatDate, instant } from '../dates.js';
import { coding, concept, reference, type Ref } from '../fhir.js';
import { ageOn } from '../person.js';
import type { PlannedCase } from '../public-health.js';
import { CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION, LOINC, OBS_CATEGORY, SNOMED, V3_OBS_INTERP } from '../systems.js';
import { QUALIFIERS } from '../tables/care.js';
import { CONDITIONS } from '../tables/conditions.js';
import type { DrugKey } from '../tables/medications.js';
import { INFECTION_TESTS } from '../tables/observations.js';
import { clinicMinute, prescriber, weekdayOnOrAfter, type ClinicalContext } from './context.js';
import { emergencyVisit } from './hospital.js';
import { acuteCourse } from './medications.js';
import { addEncounter, encounterType } from './encounters.js';
import { conditionCode } from './visits.js';

/**
 * A notifiable infection as the sources record it (pure): the visit where it is diagnosed, the diagnosis,
 * the positive test from the laboratory and the treatment. Returns the references of what it wrote, for
 * the ground truth.
 */

const TREATMENT: Partial<Record<PlannedCase['condition'], readonly [DrugKey, number]>> = {
  pertussis: ['azithromycin', 5],
  chlamydia: ['doxycycline', 7],
  lyme: ['doxycycline', 14],
};

export function notifiableCase(ctx: ClinicalContext, planned: PlannedCase): string[] {
  const { record, rng, person } = ctx;
  const written: string[] = [];
  const care = record.care;
  const sensitive = CONDITIONS[planned.condition].sensitive;
  const day = weekdayOnOrAfter(planned.onset + rng.int(1, 3));
  if (day > ctx.end) return written;
  const who = prescriber(ctx);
  const atClinic = who.kind === 'gmf' && (planned.condition === 'chlamydia' || rng.chance(0.7));
  let patient: Ref;
  let encounter: Ref;
  let author: Ref;
  if (atClinic) {
    patient = record.patient('gmf', who.org);
    author = reference('PractitionerRole', who.author.roleId, who.author.display);
    const minute = clinicMinute(rng);
    encounter = addEncounter(ctx, {
      class: 'AMB', type: encounterType('problem'), patient, by: author,
      start: dateTime(day, minute), end: dateTime(day, minute + 15), org: who.org,
      more: { reasonCode: [conditionCode(planned.condition)] },
    }, sensitive);
    written.push(encounter.reference as string);
  } else {
    patient = record.patient('hospital', care.hospital.hospital);
    encounter = emergencyVisit(ctx, day, patient, conditionCode(planned.condition));
    author = reference('PractitionerRole', care.hospital.specialists.emergency.roleId, care.hospital.specialists.emergency.display);
    written.push(encounter.reference as string);
  }
  const resolved = day + 21 <= ctx.end;
  const condition = record.add<Condition>({
    resourceType: 'Condition',
    clinicalStatus: concept([coding(CONDITION_CLINICAL, resolved ? 'resolved' : 'active')]),
    verificationStatus: concept([coding(CONDITION_VERIFICATION, 'confirmed')]),
    category: [concept([coding(CONDITION_CATEGORY, 'encounter-diagnosis', 'Encounter Diagnosis')])],
    code: conditionCode(planned.condition),
    subject: patient,
    encounter,
    onsetDateTime: formatDate(planned.onset),
    ...(resolved ? { abatementDateTime: formatDate(day + 14) } : {}),
    recordedDate: formatDate(day),
    asserter: author,
  }, sensitive);
  written.push(`Condition/${condition.id}`);
  const test = planned.condition === 'lyme' ? undefined : INFECTION_TESTS[planned.condition];
  if (test) {
    const lab = atClinic ? { org: care.lab, patient: record.patient('lab', care.lab) } : { org: care.hospital.lab, patient };
    const observation = record.add<Observation>({
      resourceType: 'Observation',
      status: 'final',
      category: [concept([coding(OBS_CATEGORY, 'laboratory', 'Laboratory')])],
      code: concept([coding(LOINC, test.loinc, test.display)], test.fr),
      subject: lab.patient,
      ...(atClinic ? {} : { encounter }),
      effectiveDateTime: dateTime(day, 10 * 60 + rng.int(0, 300)),
      issued: instant(day + rng.int(1, 2), 13 * 60),
      performer: [reference('Organization', lab.org.id, lab.org.name)],
      valueCodeableConcept: concept([coding(SNOMED, QUALIFIERS.detected[0], QUALIFIERS.detected[1])], QUALIFIERS.detected[2]),
      interpretation: [concept([coding(V3_OBS_INTERP, 'POS', 'Positive')])],
    }, sensitive);
    written.push(`Observation/${observation.id}`);
  }
  const age = ageOn(person, day);
  const treatment = TREATMENT[planned.condition]
    ?? (planned.condition === 'influenza' && (age >= 65 || ctx.plan.conditions.length > 0) && rng.chance(0.5) ? (['oseltamivir', 5] as const) : undefined)
    ?? (planned.condition === 'covid19' && age >= 60 && rng.chance(0.4) ? (['nirmatrelvirRitonavir', 5] as const) : undefined);
  if (treatment) {
    acuteCourse(ctx, { drug: treatment[0], day, supply: treatment[1], reason: reference('Condition', condition.id), ...(sensitive ? { sensitive } : {}) }, patient, author);
  }
  return written;
}
