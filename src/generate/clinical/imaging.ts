import type { DiagnosticReport } from '@medplum/fhirtypes';
import { dateTime, instant, type Day } from '../dates.js';
import { coding, concept, reference } from '../fhir.js';
import { ageOn } from '../person.js';
import { LOINC, SNOMED, V2_0074 } from '../systems.js';
import { QUALIFIERS } from '../tables/care.js';
import { DOCUMENT_TYPES } from '../tables/observations.js';
import { recurring, weekdayOnOrAfter, type ClinicalContext } from './context.js';
import { hasCondition } from './plan.js';
import { imagingConclusion, type ImagingKind } from './texts.js';

/**
 * Imaging (pure): reports with a conclusion in plain French (English at an English-speaking hospital) —
 * chest X-rays for COPD and heart failure, screening mammography every two years for women 50 to 74
 * (Programme québécois de dépistage du cancer du sein), low-dose CT for heavy smokers, knee X-rays.
 */

const REPORT_CODE: Record<ImagingKind, { loinc: string; display: string }> = {
  chestXray: DOCUMENT_TYPES.chestXray,
  chestXrayHeartFailure: DOCUMENT_TYPES.chestXray,
  mammography: DOCUMENT_TYPES.mammography,
  chestCt: DOCUMENT_TYPES.chestCt,
  kneeXray: DOCUMENT_TYPES.imaging,
};

function report(ctx: ClinicalContext, kind: ImagingKind, day: Day): void {
  const { record, rng } = ctx;
  const imaging = record.care.imaging;
  const language = imaging.org.language;
  const { title, conclusion, normal } = imagingConclusion(rng, kind, language);
  const code = REPORT_CODE[kind];
  const minute = 8 * 60 + rng.int(0, 540);
  const radiologist = reference('PractitionerRole', imaging.radiologist.roleId, imaging.radiologist.display);
  record.add<DiagnosticReport>({
    resourceType: 'DiagnosticReport',
    status: 'final',
    category: [concept([coding(V2_0074, 'RAD', 'Radiology')])],
    code: concept([coding(LOINC, code.loinc, code.display)], title),
    subject: record.patient('imaging', imaging.org),
    effectiveDateTime: dateTime(day, minute),
    issued: instant(day + rng.int(0, 3), 16 * 60),
    performer: [reference('Organization', imaging.org.id, imaging.org.name)],
    resultsInterpreter: [radiologist],
    conclusion,
    ...(normal ? { conclusionCode: [concept([coding(SNOMED, QUALIFIERS.normal[0], QUALIFIERS.normal[1])])] } : {}),
  });
}

export function imagingStudies(ctx: ClinicalContext): void {
  const { rng, person, plan } = ctx;
  const inWindow = (day: Day) => day >= ctx.start && day <= ctx.end;
  if (hasCondition(plan, 'copd', ctx.end)) {
    const from = Math.max(ctx.start, plan.conditions.find((c) => c.key === 'copd')?.onset ?? ctx.start);
    for (let i = rng.int(1, 2); i > 0; i--) {
      const day = weekdayOnOrAfter(from + rng.int(0, ctx.end - from));
      if (inWindow(day)) report(ctx, 'chestXray', day);
    }
  }
  if (hasCondition(plan, 'heartFailure', ctx.end)) {
    const onset = plan.conditions.find((c) => c.key === 'heartFailure')?.onset ?? ctx.start;
    const day = weekdayOnOrAfter(Math.max(ctx.start, onset + rng.int(0, 30)));
    if (inWindow(day)) report(ctx, 'chestXrayHeartFailure', day);
  }
  if (person.sex === 'female') {
    for (const day of recurring(rng, ctx.start, ctx.end, 730, 40)) {
      const age = ageOn(person, day);
      if (age >= 50 && age <= 74 && rng.chance(0.65)) report(ctx, 'mammography', weekdayOnOrAfter(day));
    }
  }
  if (hasCondition(plan, 'tobacco', ctx.end) && ageOn(person, ctx.end) >= 55 && ageOn(person, ctx.end) <= 74 && rng.chance(0.25)) {
    report(ctx, 'chestCt', weekdayOnOrAfter(ctx.end - rng.int(30, 600)));
  }
  if (hasCondition(plan, 'osteoarthritisKnee', ctx.end)) {
    const onset = plan.conditions.find((c) => c.key === 'osteoarthritisKnee')?.onset ?? ctx.start;
    const day = weekdayOnOrAfter(Math.max(ctx.start, onset + rng.int(0, 60)));
    if (inWindow(day)) report(ctx, 'kneeXray', day);
  }
}
