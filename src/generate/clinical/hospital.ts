import type { CodeableConcept, Composition, Condition, DocumentReference } from '@medplum/fhirtypes';
import { dateTime, formatDate, instant, type Day } from '../dates.js';
import type { HospitalSite, Staff } from '../directory.js';
import { coding, concept, narrative, reference, type Ref } from '../fhir.js';
import { ageOn } from '../person.js';
import { CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION, DISCHARGE_DISPOSITION, LOINC, SNOMED } from '../systems.js';
import { EMERGENCY_REASONS, SPECIALTY_CODES } from '../tables/care.js';
import { CONDITIONS, type ChronicKey } from '../tables/conditions.js';
import { DRUGS } from '../tables/medications.js';
import { DOCUMENT_TYPES, type LabKey } from '../tables/observations.js';
import { weekdayOnOrAfter, type ClinicalContext } from './context.js';
import { labDraw } from './labs.js';
import { hasCondition } from './plan.js';
import { consultNote, consultTitle, dischargeSummary, type ConsultKind, type DischargeFacts, type Lang } from './texts.js';
import { addEncounter, encounterType } from './encounters.js';
import { conditionCode } from './visits.js';
import { ADMIT_SOURCE } from '../../fhir/code-systems.js';

/**
 * Hospital care (pure): emergency visits, admissions with their discharge summary (Composition), and
 * specialist consultations with their note (DocumentReference), in the hospital's language.
 */

function site(ctx: ClinicalContext): HospitalSite {
  return ctx.record.care.hospital;
}

function lang(ctx: ClinicalContext): Lang {
  return site(ctx).hospital.language === 'en' || (ctx.person.language === 'en' && ctx.rng.chance(0.3)) ? 'en' : 'fr';
}

function staffRef(staff: Staff): Ref {
  return reference('PractitionerRole', staff.roleId, staff.display);
}

function activeDrugNames(ctx: ClinicalContext, day: Day): string[] {
  return ctx.plan.regimens.filter((r) => r.start <= day && (r.stop === undefined || r.stop > day)).map((r) => DRUGS[r.drug].name);
}

function historyNames(ctx: ClinicalContext, day: Day, l: Lang): string[] {
  return ctx.plan.conditions.filter((c) => c.onset <= day).map((c) => (l === 'fr' ? CONDITIONS[c.key].fr : CONDITIONS[c.key].en));
}

/** An emergency visit; `reason` defaults to a common complaint (chest pain, dyspnea, abdominal pain, fall). */
export function emergencyVisit(ctx: ClinicalContext, day: Day, patient?: Ref, reason?: CodeableConcept): Ref {
  const { record, rng } = ctx;
  const s = site(ctx);
  const subject = patient ?? record.patient('hospital', s.hospital);
  const complaint = rng.pick(EMERGENCY_REASONS);
  const minute = rng.int(0, 1200);
  return addEncounter(ctx, {
    class: 'EMER', type: encounterType('emergency'), patient: subject, by: staffRef(s.specialists.emergency),
    start: dateTime(day, minute), end: dateTime(day, Math.min(1439, minute + rng.int(180, 600))), org: s.hospital,
    more: {
      reasonCode: [reason ?? concept([coding(SNOMED, complaint[0], complaint[1])], complaint[2])],
      hospitalization: { dischargeDisposition: concept([coding(DISCHARGE_DISPOSITION, 'home', 'Home')]) },
    },
  });
}

function admission(ctx: ClinicalContext, day: Day, reason: DischargeFacts['reason'], died: boolean): void {
  const { record, rng, person } = ctx;
  const s = site(ctx);
  const l = lang(ctx);
  const patient = record.patient('hospital', s.hospital);
  const stay = died && person.deathDay !== undefined ? Math.max(1, person.deathDay - day) : rng.int(3, 9);
  const attending = reason === 'heartFailure' ? s.specialists.cardiology : reason === 'copd' ? s.specialists.pulmonology : s.specialists.internal;
  const diagnosisKey: ChronicKey | undefined = reason === 'heartFailure' ? 'heartFailure' : reason === 'copd' ? 'copd' : undefined;
  const encounterRef = addEncounter(ctx, {
    class: 'IMP', type: encounterType('admission'), patient, by: staffRef(attending),
    start: dateTime(day, rng.int(0, 1200)), end: dateTime(day + stay, 11 * 60), org: s.hospital,
    more: {
      hospitalization: {
        admitSource: concept([coding(ADMIT_SOURCE, 'emd', 'From accident/emergency department')]),
        dischargeDisposition: died
          ? concept([coding(DISCHARGE_DISPOSITION, 'exp', 'Expired')])
          : concept([coding(DISCHARGE_DISPOSITION, 'home', 'Home')]),
      },
    },
  });
  if (diagnosisKey) {
    record.add<Condition>({
      resourceType: 'Condition',
      clinicalStatus: concept([coding(CONDITION_CLINICAL, 'active')]),
      verificationStatus: concept([coding(CONDITION_VERIFICATION, 'confirmed')]),
      category: [concept([coding(CONDITION_CATEGORY, 'encounter-diagnosis', 'Encounter Diagnosis')])],
      code: conditionCode(diagnosisKey),
      subject: patient,
      encounter: encounterRef,
      recordedDate: formatDate(day),
      asserter: staffRef(attending),
    });
  }
  const labs: LabKey[] = ['hemoglobin', 'wbc', 'platelets', 'creatinine', 'egfr', 'potassium', 'sodium'];
  if (reason === 'heartFailure') labs.push('ntprobnp');
  labDraw(ctx, day, new Set(labs), { kind: 'hospital', org: s.lab, patient }, encounterRef);
  const sections = dischargeSummary(rng, {
    reason, age: ageOn(person, day), female: person.sex === 'female', days: stay,
    history: historyNames(ctx, day, l), drugs: activeDrugNames(ctx, day + stay), died, doctor: attending.display,
  }, l);
  record.add<Composition>({
    resourceType: 'Composition',
    language: l === 'en' ? 'en-CA' : 'fr-CA',
    status: 'final',
    type: concept([coding(LOINC, DOCUMENT_TYPES.dischargeSummary.loinc, DOCUMENT_TYPES.dischargeSummary.display)], l === 'en' ? 'Discharge summary' : 'Résumé de départ'),
    subject: patient,
    encounter: encounterRef,
    date: dateTime(day + stay, 15 * 60),
    author: [staffRef(attending)],
    title: l === 'en' ? `Discharge summary — ${s.hospital.name}` : `Résumé de départ — ${s.hospital.name}`,
    custodian: reference('Organization', s.hospital.id, s.hospital.name),
    section: sections.map((sec) => ({ title: sec.title, text: narrative([sec.text]) })),
  });
}

const CONSULT_FOR: readonly (readonly [ChronicKey, ConsultKind, number, 'nephrology' | 'cardiology' | 'psychiatry' | 'addiction' | 'endocrinology' | 'pulmonology'])[] = [
  ['ckd', 'nephrology', 0.8, 'nephrology'],
  ['heartFailure', 'cardiology', 0.8, 'cardiology'],
  ['depression', 'psychiatry', 0.3, 'psychiatry'],
  ['alcoholUse', 'addiction', 0.5, 'addiction'],
  ['opioidUse', 'addiction', 0.7, 'addiction'],
  ['diabetes', 'endocrinology', 0.15, 'endocrinology'],
  ['copd', 'pulmonology', 0.3, 'pulmonology'],
];

function consultation(ctx: ClinicalContext, kind: ConsultKind, specialist: Staff, day: Day, condition: ChronicKey): void {
  const { record, rng, person } = ctx;
  const s = site(ctx);
  const l = lang(ctx);
  const patient = record.patient('hospital', s.hospital);
  const sensitive = CONDITIONS[condition].sensitive;
  const minute = 8 * 60 + rng.int(0, 480);
  const encounter = addEncounter(ctx, {
    class: 'AMB', type: { ...encounterType('consultation'), text: consultTitle(kind, l) }, patient, by: staffRef(specialist),
    start: dateTime(day, minute), end: dateTime(day, minute + 45), org: s.hospital,
    more: { reasonCode: [conditionCode(condition)] },
  }, sensitive);
  const referrer = record.care.familyDoctor?.display ?? (l === 'fr' ? 'l’urgence' : 'the emergency department');
  const findings = l === 'fr'
    ? `Pression artérielle ${rng.int(118, 148)}/${rng.int(68, 90)} mmHg, fréquence cardiaque ${rng.int(60, 92)}/min. Revue des résultats de laboratoire récents.`
    : `Blood pressure ${rng.int(118, 148)}/${rng.int(68, 90)} mmHg, heart rate ${rng.int(60, 92)}/min. Recent laboratory results reviewed.`;
  const text = consultNote({
    kind, age: ageOn(person, day), female: person.sex === 'female', history: historyNames(ctx, day, l),
    drugs: activeDrugNames(ctx, day), findings, doctor: specialist.display, referrer,
  }, l);
  record.add<DocumentReference>({
    resourceType: 'DocumentReference',
    status: 'current',
    docStatus: 'final',
    type: concept([coding(LOINC, DOCUMENT_TYPES.consultNote.loinc, DOCUMENT_TYPES.consultNote.display)], consultTitle(kind, l)),
    subject: patient,
    date: instant(day, minute + 60),
    author: [staffRef(specialist)],
    custodian: reference('Organization', s.hospital.id, s.hospital.name),
    description: consultTitle(kind, l),
    content: [{
      attachment: {
        contentType: 'text/plain; charset=utf-8',
        language: l === 'en' ? 'en-CA' : 'fr-CA',
        data: Buffer.from(text, 'utf8').toString('base64'),
        title: consultTitle(kind, l),
        creation: dateTime(day, minute + 60),
      },
    }],
    context: {
      encounter: [encounter],
      period: { start: dateTime(day, minute) },
      practiceSetting: concept([coding(SNOMED, SPECIALTY_CODES[kind][0], SPECIALTY_CODES[kind][1])], SPECIALTY_CODES[kind][l === 'fr' ? 2 : 1]),
    },
  }, sensitive);
}

/** Emergency visits, admissions (a final one for people who died in hospital) and consultations. */
export function hospitalCare(ctx: ClinicalContext): void {
  const { rng, person, plan } = ctx;
  const s = site(ctx);
  const years = (ctx.end - ctx.start) / 365.25;
  const age = ageOn(person, ctx.end);
  const erRate = age >= 75 ? 0.35 : age >= 60 ? 0.18 : age < 5 ? 0.2 : 0.1;
  for (let i = 0; i < years; i++) {
    if (rng.chance(erRate)) emergencyVisit(ctx, ctx.start + rng.int(0, ctx.end - ctx.start));
  }
  // Admissions for a chronic disease come after its diagnosis.
  const sinceOnset = (key: ChronicKey) => {
    const from = Math.max(ctx.start, plan.conditions.find((c) => c.key === key)?.onset ?? ctx.start);
    return from + rng.int(0, Math.max(0, ctx.end - 30 - from));
  };
  if (hasCondition(plan, 'heartFailure', ctx.end - 30) && rng.chance(0.6)) admission(ctx, sinceOnset('heartFailure'), 'heartFailure', false);
  if (hasCondition(plan, 'copd', ctx.end - 30) && rng.chance(0.35)) admission(ctx, sinceOnset('copd'), 'copd', false);
  if (age >= 70 && rng.chance(0.05)) admission(ctx, ctx.end - rng.int(30, Math.max(31, ctx.end - ctx.start)), 'pneumonia', false);
  if (person.deathDay !== undefined && rng.chance(0.7)) admission(ctx, person.deathDay - rng.int(3, 10), 'terminal', true);
  for (const [condition, kind, chance, specialty] of CONSULT_FOR) {
    const c = plan.conditions.find((x) => x.key === condition);
    if (!c || !rng.chance(chance)) continue;
    const day = weekdayOnOrAfter(Math.max(ctx.start, c.onset + rng.int(60, 400)));
    if (day <= ctx.end) consultation(ctx, kind, s.specialists[specialty], day, condition);
  }
}
