import type { MedicationDispense, MedicationRequest} from '@medplum/fhirtypes';
import { dateTime, formatDate, type Day } from '../dates.js';
import { coding, concept, reference, type Ref } from '../fhir.js';
import { ATC, MED_REQUEST_CATEGORY, UCUM } from '../systems.js';
import { CONDITIONS } from '../tables/conditions.js';
import { DRUGS, type Drug, type DrugKey } from '../tables/medications.js';
import { prescriber, weekdayOnOrAfter, type ClinicalContext } from './context.js';

/**
 * Prescriptions and dispenses (pure). The clinic writes a MedicationRequest at the start and renews it
 * every year (a stop ends it with its reason); the community pharmacy records a MedicationDispense at each
 * fill, 30 days at first and 90 days once the treatment is stable (opioid agonist treatment: 14 days).
 */

export function drugConcept(drug: Drug) {
  return concept([coding(ATC, drug.atc, drug.atcDisplay)], drug.name);
}

const days = (n: number) => ({ value: n, unit: 'jours', system: UCUM, code: 'd' });

export interface AcuteCourse {
  readonly drug: DrugKey;
  readonly day: Day;
  readonly supply: number;
  readonly reason?: Ref;
  readonly sensitive?: 'mental-health' | 'sexual-health' | 'substance-use';
}

/** A short course (antibiotic, antiviral): one request from the clinic and one dispense the same day. */
export function acuteCourse(ctx: ClinicalContext, course: AcuteCourse, patient: Ref, author: Ref): void {
  const drug = DRUGS[course.drug];
  const { record } = ctx;
  record.add<MedicationRequest>({
    resourceType: 'MedicationRequest',
    status: 'completed',
    intent: 'order',
    category: [concept([coding(MED_REQUEST_CATEGORY, 'community', 'Community')])],
    medicationCodeableConcept: drugConcept(drug),
    subject: patient,
    authoredOn: dateTime(course.day, 11 * 60),
    requester: author,
    ...(course.reason ? { reasonReference: [course.reason] } : {}),
    dosageInstruction: [{ text: drug.sig }],
    dispenseRequest: { quantity: { value: Math.ceil(drug.unitsPerDay * course.supply), unit: drug.form }, expectedSupplyDuration: days(course.supply) },
  }, course.sensitive);
  dispense(ctx, course.drug, course.day, course.supply, course.sensitive);
}

function dispense(ctx: ClinicalContext, key: DrugKey, day: Day, supply: number, sensitive?: AcuteCourse['sensitive']): void {
  const { record } = ctx;
  const pharmacy = record.care.pharmacy;
  const drug = DRUGS[key];
  const pharmacist = ctx.rng.pick(pharmacy.pharmacists);
  const minute = 10 * 60 + ctx.rng.int(0, 480);
  record.add<MedicationDispense>({
    resourceType: 'MedicationDispense',
    status: 'completed',
    medicationCodeableConcept: drugConcept(drug),
    subject: record.patient('pharmacy', pharmacy.org),
    performer: [{ actor: reference('PractitionerRole', pharmacist.roleId, pharmacist.display) }],
    quantity: { value: Math.max(1, Math.ceil(drug.unitsPerDay * supply)), unit: drug.form },
    daysSupply: days(supply),
    whenPrepared: dateTime(day, minute),
    whenHandedOver: dateTime(day, minute + 30),
    dosageInstruction: [{ text: drug.sig }],
  }, sensitive);
}

/** Every chronic regimen of the plan over the window. */
export function chronicMedications(ctx: ClinicalContext): void {
  const { record, plan, rng } = ctx;
  const who = prescriber(ctx);
  const patient = record.patient(who.kind, who.org);
  const author = reference('PractitionerRole', who.author.roleId, who.author.display);
  const conditions = ctx.conditionRefs.get(who.org.code);
  for (const regimen of plan.regimens) {
    const drug = DRUGS[regimen.drug];
    const end = Math.min(regimen.stop ?? ctx.end, ctx.end);
    if (end < ctx.start) continue;
    const sensitive = CONDITIONS[regimen.condition].sensitive;
    const reason = conditions?.get(regimen.condition);
    // Prescriptions: the first one, then a renewal every year, within the window.
    let authored = regimen.start;
    while (authored + 365 < ctx.start) authored += 365;
    for (; authored <= end; authored += 365) {
      const validUntil = authored + 365;
      const current = validUntil > ctx.end;
      const stopped = regimen.stop !== undefined && regimen.stop < validUntil;
      const status = stopped ? 'stopped' : current && ctx.person.deathDay === undefined ? 'active' : 'completed';
      record.add<MedicationRequest>({
        resourceType: 'MedicationRequest',
        status,
        ...(stopped && regimen.stopReason ? { statusReason: { text: regimen.stopReason } } : {}),
        intent: 'order',
        category: [concept([coding(MED_REQUEST_CATEGORY, 'community', 'Community')])],
        medicationCodeableConcept: drugConcept(drug),
        subject: patient,
        authoredOn: dateTime(authored, 9 * 60 + rng.int(0, 480)),
        requester: author,
        ...(reason ? { reasonReference: [reason] } : {}),
        dosageInstruction: [{ text: drug.sig }],
        dispenseRequest: {
          validityPeriod: { start: formatDate(authored), end: formatDate(stopped ? (regimen.stop as Day) : validUntil) },
          numberOfRepeatsAllowed: 3,
          quantity: { value: Math.max(1, Math.ceil(drug.unitsPerDay * 90)), unit: drug.form },
          expectedSupplyDuration: days(90),
        },
      }, sensitive);
    }
    // Fills at the pharmacy.
    let fill = regimen.start + rng.int(0, 3);
    let count = 0;
    while (fill <= end) {
      const supply = regimen.drug === 'buprenorphineNaloxone' ? 14 : count < 2 ? 30 : 90;
      if (fill >= ctx.start) dispense(ctx, regimen.drug, weekdayOnOrAfter(fill), supply, sensitive);
      // Adherence: refills come a little late, sometimes much later.
      fill += supply + (rng.chance(0.15) ? rng.int(10, 40) : rng.int(-3, 6));
      count++;
    }
  }
}
