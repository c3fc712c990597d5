import type { AllergyIntolerance, Appointment, Condition, Observation, Slot } from '@medplum/fhirtypes';
import { dateTime, formatDate, instant, type Day } from '../dates.js';
import { coding, concept, quantity, reference, round, type Ref } from '../fhir.js';
import { ageOn } from '../person.js';
import {
  ALLERGY_CLINICAL, ALLERGY_VERIFICATION, CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION, ICD10CA,
  LOINC, OBS_CATEGORY, SNOMED,
} from '../systems.js';
import { CONDITIONS, type ChronicKey } from '../tables/conditions.js';
import { SCORES, VITALS } from '../tables/observations.js';
import { addWeekdays, clinicMinute, prescriber, recurring, weekdayOnOrAfter, type ClinicalContext } from './context.js';
import { addEncounter, encounterType } from './encounters.js';
import { hasCondition } from './plan.js';
import { APPOINTMENT_CANCELLATION_REASON } from '../../fhir/code-systems.js';

/**
 * Family-medicine follow-up (pure): the chronic conditions and allergies on the clinic's problem list,
 * appointments (kept, missed, cancelled, one upcoming), the visits they lead to and the vital signs taken.
 */

export function conditionCode(key: keyof typeof CONDITIONS) {
  const c = CONDITIONS[key];
  const codings = [coding(SNOMED, c.snomed[0], c.snomed[1])];
  if ('icd10ca' in c && c.icd10ca) codings.push(coding(ICD10CA, c.icd10ca[0], c.icd10ca[1]));
  return concept(codings, c.fr);
}

/** The problem list of a source: one Condition per chronic condition, kept by that source. */
export function problemList(ctx: ClinicalContext, orgCode: string, patient: Ref, author: Ref): Map<ChronicKey, Ref> {
  const refs = new Map<ChronicKey, Ref>();
  for (const c of ctx.plan.conditions) {
    if (c.onset > ctx.end) continue;
    const recorded = Math.max(c.onset, ctx.start - 30);
    const resolved = c.remission !== undefined && c.remission <= ctx.end;
    const condition = ctx.record.add<Condition>({
      resourceType: 'Condition',
      clinicalStatus: concept([coding(CONDITION_CLINICAL, resolved ? 'remission' : 'active')]),
      verificationStatus: concept([coding(CONDITION_VERIFICATION, 'confirmed')]),
      category: [concept([coding(CONDITION_CATEGORY, 'problem-list-item', 'Problem List Item')])],
      code: conditionCode(c.key),
      subject: patient,
      onsetDateTime: formatDate(c.onset),
      ...(resolved ? { abatementDateTime: formatDate(c.remission as Day) } : {}),
      recordedDate: formatDate(recorded),
      recorder: author,
    }, CONDITIONS[c.key].sensitive);
    refs.set(c.key, reference('Condition', condition.id));
  }
  ctx.conditionRefs.set(orgCode, refs);
  return refs;
}

export function allergies(ctx: ClinicalContext, patient: Ref, author: Ref, onDay: Day): void {
  for (const a of ctx.plan.allergies) {
    ctx.record.add<AllergyIntolerance>({
      resourceType: 'AllergyIntolerance',
      clinicalStatus: concept([coding(ALLERGY_CLINICAL, 'active')]),
      verificationStatus: concept([coding(ALLERGY_VERIFICATION, 'confirmed')]),
      type: a.type,
      category: [a.category],
      criticality: a.reactions.some(([code]) => code === '39579001') ? 'high' : 'low',
      code: concept([coding(SNOMED, a.substance[0], a.substance[1])], a.fr),
      patient,
      recordedDate: dateTime(onDay, 10 * 60),
      recorder: author,
      reaction: [{ manifestation: a.reactions.map(([code, display]) => concept([coding(SNOMED, code, display)])) }],
    });
  }
}

function vitalObservation(ctx: ClinicalContext, patient: Ref, encounter: Ref, when: string, key: keyof typeof VITALS, value: number, decimals = 0): void {
  const v = VITALS[key];
  ctx.record.add<Observation>({
    resourceType: 'Observation',
    status: 'final',
    category: [concept([coding(OBS_CATEGORY, 'vital-signs', 'Vital Signs')])],
    code: concept([coding(LOINC, v.loinc, v.display)]),
    subject: patient,
    encounter,
    effectiveDateTime: when,
    valueQuantity: quantity(round(value, decimals), v.unit, v.unitDisplay),
  });
}

/** Blood pressure as the R4 vital-signs profile wants it: a panel with systolic and diastolic components. */
function bloodPressure(ctx: ClinicalContext, patient: Ref, encounter: Ref, when: string, day: Day): void {
  const htn = hasCondition(ctx.plan, 'hypertension', day);
  const treated = ctx.plan.regimens.some((r) => r.condition === 'hypertension' && r.start <= day);
  const age = ageOn(ctx.person, day);
  const sys = htn ? (treated ? ctx.rng.normal(134, 9) : ctx.rng.normal(152, 10)) : ctx.rng.normal(112 + Math.max(0, age - 30) * 0.35, 8);
  const dia = Math.min(sys - 25, htn ? ctx.rng.normal(treated ? 80 : 92, 6) : ctx.rng.normal(72, 6));
  const component = (key: 'systolic' | 'diastolic', value: number) => ({
    code: concept([coding(LOINC, VITALS[key].loinc, VITALS[key].display)]),
    valueQuantity: quantity(Math.round(value), VITALS[key].unit, VITALS[key].unitDisplay),
  });
  ctx.record.add<Observation>({
    resourceType: 'Observation',
    status: 'final',
    category: [concept([coding(OBS_CATEGORY, 'vital-signs', 'Vital Signs')])],
    code: concept([coding(LOINC, VITALS.bpPanel.loinc, VITALS.bpPanel.display)], 'Pression artérielle'),
    subject: patient,
    encounter,
    effectiveDateTime: when,
    component: [component('systolic', sys), component('diastolic', dia)],
  });
}

function questionnaireScore(ctx: ClinicalContext, patient: Ref, encounter: Ref, when: string, score: keyof typeof SCORES, value: number): void {
  ctx.record.add<Observation>({
    resourceType: 'Observation',
    status: 'final',
    category: [concept([coding(OBS_CATEGORY, 'survey', 'Survey')])],
    code: concept([coding(LOINC, SCORES[score].loinc, SCORES[score].display)]),
    subject: patient,
    encounter,
    effectiveDateTime: when,
    valueInteger: Math.max(0, Math.min(score === 'phq9' ? 27 : 21, Math.round(value))),
  }, 'mental-health');
}

export interface Visit {
  readonly day: Day;
  readonly encounter: Ref;
  readonly annual: boolean;
}

/** Follow-up visits at the family clinic, with their appointments and vital signs. Returns the kept visits. */
export function clinicVisits(ctx: ClinicalContext): Visit[] {
  const { rng, person, plan, record } = ctx;
  const who = prescriber(ctx);
  if (who.kind !== 'gmf') return [];
  const patient = record.patient('gmf', who.org);
  const age = ageOn(person, ctx.end);
  const chronic = plan.conditions.filter((c) => c.onset <= ctx.end).length;
  const interval = chronic >= 2 ? 120 : chronic === 1 ? 180 : age < 2 ? 90 : age < 18 ? 540 : 365;
  const attendance = chronic > 0 || age < 2 ? 1 : 0.7;
  const visits: Visit[] = [];
  const nurse = record.care.gmf?.nurse;
  let lastHeight = 0;
  for (const raw of recurring(rng, ctx.start, ctx.end, interval, 25)) {
    if (!rng.chance(attendance)) continue;
    const day = weekdayOnOrAfter(raw);
    if (day > ctx.end) break;
    const minute = clinicMinute(rng);
    const byNurse = nurse && chronic > 0 && rng.chance(0.2);
    const clinician = byNurse ? nurse : who.author;
    const status = rng.weighted([['fulfilled', 90], ['noshow', 4], ['cancelled', 6]] as const);
    const appointment = record.add<Appointment>({
      resourceType: 'Appointment',
      status,
      ...(status === 'cancelled' ? { cancelationReason: concept([coding(APPOINTMENT_CANCELLATION_REASON, 'pat', 'Patient')], 'Annulé par le patient') } : {}),
      serviceType: [encounterType('followUp')],
      description: chronic > 0 ? 'Suivi des maladies chroniques' : age < 18 ? 'Visite de suivi pédiatrique' : 'Examen médical périodique',
      start: instant(day, minute),
      end: instant(day, minute + 20),
      created: instant(day - rng.int(7, 60), 9 * 60),
      participant: [
        { actor: patient, status: 'accepted' },
        { actor: reference('PractitionerRole', clinician.roleId, clinician.display), status: 'accepted' },
      ],
    });
    if (status !== 'fulfilled') continue;
    const when = dateTime(day, minute + 5);
    const encounterRef = addEncounter(ctx, {
      class: 'AMB', type: encounterType('followUp'), patient, by: reference('PractitionerRole', clinician.roleId, clinician.display),
      start: when, end: dateTime(day, minute + 25), org: who.org,
      more: { appointment: [reference('Appointment', appointment.id)] },
    });
    const ageThen = ageOn(person, day);
    if (ageThen >= 3) bloodPressure(ctx, patient, encounterRef, when, day);
    const height = ageThen >= 18 ? (person.sex === 'female' ? 162 : 176) + (person.index % 13) - 6 : 50 + ageThen * 6.5;
    const bmi = ageThen >= 18 ? 24 + (person.index % 11) - 3 + (hasCondition(plan, 'diabetes', day) ? 5 : 0) : 16.5;
    const weight = (bmi * (height / 100) ** 2) * (1 + rng.normal(0, 0.015));
    vitalObservation(ctx, patient, encounterRef, when, 'weight', weight, 1);
    if (ageThen < 18 || lastHeight === 0) {
      vitalObservation(ctx, patient, encounterRef, when, 'height', height, 0);
      lastHeight = height;
    }
    if (hasCondition(plan, 'depression', day) && rng.chance(0.6)) {
      const depression = plan.conditions.find((c) => c.key === 'depression');
      const improving = depression && day - depression.onset > 120;
      questionnaireScore(ctx, patient, encounterRef, when, 'phq9', improving ? rng.normal(7, 3) : rng.normal(16, 3));
    }
    if (hasCondition(plan, 'anxiety', day) && rng.chance(0.4)) questionnaireScore(ctx, patient, encounterRef, when, 'gad7', rng.normal(11, 4));
    const lastAnnual = [...visits].reverse().find((v) => v.annual);
    visits.push({ day, encounter: encounterRef, annual: !lastAnnual || day - lastAnnual.day >= 330 });
  }
  return visits;
}

/** Weekdays (from the second week after the reference date) and 20-minute times of day a doctor's calendar offers. */
export const UPCOMING_WEEKDAYS = 60;
const UPCOMING_TIMES = 24;

/**
 * Where a doctor's n-th upcoming appointment falls (pure): one per weekday over twelve weeks, then again
 * at another time of day (8:00 to 15:40), so each of the first 60 × 24 lands on a distinct slot. Past
 * that the calendar is full (undefined).
 */
export function upcomingPosition(n: number): { weekday: number; minute: number } | undefined {
  if (!Number.isInteger(n) || n < 0 || n >= UPCOMING_WEEKDAYS * UPCOMING_TIMES) return undefined;
  const weekday = n % UPCOMING_WEEKDAYS;
  // For a given weekday, floor(n / 60) takes every value below 24 once, and so does this shift of it.
  const time = (Math.floor(n / UPCOMING_WEEKDAYS) + weekday * 7) % UPCOMING_TIMES;
  return { weekday, minute: 8 * 60 + time * 20 };
}

/** An upcoming booked appointment with the family doctor, in a slot of their schedule. */
export function upcomingAppointment(ctx: ClinicalContext): void {
  const { record, rng } = ctx;
  const doctor = record.care.familyDoctor;
  if (!doctor || !record.care.gmf || ctx.person.deathDay !== undefined || !rng.chance(0.3)) return;
  const scheduleId = record.directory.schedules.get(doctor.roleId);
  if (!scheduleId) return;
  const rank = ctx.upcoming.get(doctor.roleId) ?? 0;
  const position = upcomingPosition(rank);
  if (!position) return; // the doctor's calendar is full for the next twelve weeks
  ctx.upcoming.set(doctor.roleId, rank + 1);
  const day = addWeekdays(weekdayOnOrAfter(ctx.reference + 8), position.weekday);
  const minute = position.minute;
  const slot = record.add<Slot>({
    resourceType: 'Slot',
    schedule: reference('Schedule', scheduleId),
    status: 'busy',
    start: instant(day, minute),
    end: instant(day, minute + 20),
  });
  record.add<Appointment>({
    resourceType: 'Appointment',
    status: 'booked',
    serviceType: [encounterType('followUp')],
    description: 'Rendez-vous de suivi',
    start: instant(day, minute),
    end: instant(day, minute + 20),
    created: instant(ctx.reference - rng.int(1, 20), 10 * 60),
    slot: [reference('Slot', slot.id)],
    participant: [
      { actor: record.patient('gmf', record.care.gmf.org), status: 'accepted' },
      { actor: reference('PractitionerRole', doctor.roleId, doctor.display), status: 'accepted' },
    ],
  });
}
