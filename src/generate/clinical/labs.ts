import type { DiagnosticReport, Observation} from '@medplum/fhirtypes';
import { dateTime, instant, type Day } from '../dates.js';
import type { Org } from '../directory.js';
import { coding, concept, quantity, reference, type Ref } from '../fhir.js';
import { ageOn } from '../person.js';
import type { SourceKind } from '../perturb.js';
import { LOINC, OBS_CATEGORY, V2_0074, V3_OBS_INTERP } from '../systems.js';
import { LABS, type LabKey } from '../tables/observations.js';
import { recurring, weekdayOnOrAfter, type ClinicalContext } from './context.js';
import { flag, labValues } from './physiology.js';
import { hasCondition } from './plan.js';
import type { Visit } from './visits.js';

/** Laboratory follow-up (pure): which tests are due when, and the results as the laboratory reports them. */

const INTERPRETATION = { L: 'Low', N: 'Normal', H: 'High' } as const;

/** Tests and how often (days) each condition calls for them; screening of adults without one. */
function cadence(ctx: ClinicalContext, day: Day): Map<LabKey, number> {
  const due = new Map<LabKey, number>();
  const want = (keys: LabKey[], every: number) => {
    for (const k of keys) due.set(k, Math.min(due.get(k) ?? Infinity, every));
  };
  const has = (k: Parameters<typeof hasCondition>[1]) => hasCondition(ctx.plan, k, day);
  const age = ageOn(ctx.person, day);
  if (has('diabetes')) {
    want(['hba1c', 'glucoseFasting'], 170);
    want(['cholesterol', 'hdl', 'ldl', 'triglycerides', 'creatinine', 'egfr', 'acr'], 350);
  }
  if (has('hypertension')) want(['creatinine', 'egfr', 'potassium', 'sodium'], 350);
  if (has('dyslipidemia')) want(['cholesterol', 'hdl', 'ldl', 'triglycerides', 'alt'], 350);
  if (has('ckd')) want(['creatinine', 'egfr', 'potassium', 'acr', 'hemoglobin'], 170);
  if (has('heartFailure')) want(['ntprobnp', 'creatinine', 'egfr', 'potassium', 'sodium'], 170);
  if (has('hypothyroidism')) want(['tsh'], 350);
  if (has('alcoholUse')) want(['ggt', 'alt', 'hemoglobin'], 350);
  if (age >= 40) want(['glucoseFasting', 'cholesterol', 'hdl', 'ldl', 'triglycerides'], 1000);
  if (age >= 50) want(['hemoglobin', 'wbc', 'platelets', 'creatinine', 'egfr'], 700);
  if (age >= 50 && ctx.person.sex === 'female') want(['tsh'], 1400);
  return due;
}

/** One blood draw: an Observation per test and the laboratory report that groups them. */
export function labDraw(ctx: ClinicalContext, day: Day, keys: ReadonlySet<LabKey>, lab: { kind: SourceKind; org: Org; patient?: Ref }, encounter?: Ref): Ref[] {
  if (keys.size === 0 || day > ctx.end) return [];
  const { record, person } = ctx;
  const patient = lab.patient ?? record.patient(lab.kind, lab.org);
  const female = person.sex === 'female';
  const collected = dateTime(day, 7 * 60 + ctx.rng.int(0, 150));
  const issued = instant(day, 14 * 60 + ctx.rng.int(0, 240));
  const performer = [reference('Organization', lab.org.id, lab.org.name)];
  const results: Ref[] = [];
  for (const { key, value } of labValues(ctx.rng, ctx.traits, ctx.plan, person, day, keys)) {
    const test = LABS[key] as (typeof LABS)[LabKey] & { low?: number; high?: number; female?: { low?: number; high?: number } };
    const low = (female ? test.female?.low : undefined) ?? test.low;
    const high = (female ? test.female?.high : undefined) ?? test.high;
    const f = flag(key, value, female);
    const observation = record.add<Observation>({
      resourceType: 'Observation',
      status: 'final',
      category: [concept([coding(OBS_CATEGORY, 'laboratory', 'Laboratory')])],
      code: concept([coding(LOINC, test.loinc, test.display)], test.fr),
      subject: patient,
      ...(encounter ? { encounter } : {}),
      effectiveDateTime: collected,
      issued,
      performer,
      valueQuantity: quantity(value, test.unit, test.unitDisplay),
      interpretation: [concept([coding(V3_OBS_INTERP, f, INTERPRETATION[f])])],
      referenceRange: [{
        ...(low !== undefined ? { low: quantity(low, test.unit, test.unitDisplay) } : {}),
        ...(high !== undefined ? { high: quantity(high, test.unit, test.unitDisplay) } : {}),
      }],
    });
    results.push(reference('Observation', observation.id));
  }
  const report = record.add<DiagnosticReport>({
    resourceType: 'DiagnosticReport',
    status: 'final',
    category: [concept([coding(V2_0074, 'LAB', 'Laboratory')])],
    code: concept([coding(LOINC, '11502-2', 'Laboratory report')], 'Rapport de laboratoire'),
    subject: patient,
    ...(encounter ? { encounter } : {}),
    effectiveDateTime: collected,
    issued,
    performer,
    result: results,
  });
  return [reference('DiagnosticReport', report.id), ...results];
}

/** Blood work ordered at clinic visits when tests are due, a few days before the visit. */
export function followUpLabs(ctx: ClinicalContext, visits: readonly Visit[]): void {
  const lab = ctx.record.care.lab;
  const last = new Map<LabKey, Day>();
  for (const visit of visits) {
    const day = weekdayOnOrAfter(Math.max(ctx.start, visit.day - ctx.rng.int(3, 10)));
    const due = new Set<LabKey>();
    for (const [key, every] of cadence(ctx, visit.day)) {
      if (day - (last.get(key) ?? -1e9) >= every) due.add(key);
    }
    if (due.size === 0) continue;
    for (const key of due) last.set(key, day);
    labDraw(ctx, day, due, { kind: 'lab', org: lab });
  }
  // Warfarin is followed by INR every four to six weeks at the anticoagulation clinic (hospital laboratory).
  const warfarin = ctx.plan.regimens.find((r) => r.drug === 'warfarin');
  if (warfarin) {
    const hospitalLab = ctx.record.care.hospital.lab;
    const from = Math.max(ctx.start, warfarin.start + 5, ctx.end - 730);
    for (const raw of recurring(ctx.rng, from, ctx.end, 35, 7)) {
      labDraw(ctx, weekdayOnOrAfter(raw), new Set<LabKey>(['inr']), { kind: 'lab', org: hospitalLab });
    }
  }
}
