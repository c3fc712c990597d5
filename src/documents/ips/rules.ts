import { isPdfOnly } from '../pdf-only.js';
import type { Resource } from '@medplum/fhirtypes';
import { dedupe, latestPerAnalyte, sameConcept, sameConceptSameDay } from './dedupe.js';
import { codeIn, codings, firstDate, hasCode, monthsBefore, timeOf, type Json } from './facts.js';
import type { SectionKey } from './sections.js';
import { CONDITION_CLINICAL } from '../../fhir/code-systems.js';

/**
 * Which stored entries each IPS section holds: one documented, configurable rule per section
 * (docs/documents.md#how-entries-are-chosen). Every rule is a pure function of the person's resources
 * (already gathered from all their source records and filtered by consent), the rules and the clock.
 * Medications are built by medications.ts from requests, dispenses and statements.
 */
export interface SummaryRules {
  readonly problems: { readonly clinicalStatuses: readonly string[]; readonly encounterDiagnosisMonths: number };
  readonly pastIllness: { readonly clinicalStatuses: readonly string[]; readonly years: number };
  readonly allergies: { readonly clinicalStatuses: readonly string[] };
  readonly medications: { readonly pastMonths: number; readonly dispenseGraceDays: number };
  readonly immunizations: { readonly years: number };
  readonly results: { readonly statuses: readonly string[]; readonly labMonths: number; readonly imagingMonths: number };
  readonly vitalSigns: { readonly months: number };
  readonly socialHistory: { readonly months: number };
  readonly pregnancy: { readonly months: number };
  readonly procedures: { readonly years: number };
  readonly devices: { readonly statuses: readonly string[] };
  readonly planOfCare: { readonly statuses: readonly string[]; readonly recommendationMonths: number };
  readonly functionalStatus: { readonly months: number };
}

export const DEFAULT_RULES: SummaryRules = {
  problems: { clinicalStatuses: ['active', 'recurrence', 'relapse'], encounterDiagnosisMonths: 12 },
  pastIllness: { clinicalStatuses: ['inactive', 'remission', 'resolved'], years: 10 },
  allergies: { clinicalStatuses: ['active'] },
  medications: { pastMonths: 12, dispenseGraceDays: 30 },
  immunizations: { years: 100 },
  results: { statuses: ['final', 'amended', 'corrected', 'preliminary'], labMonths: 24, imagingMonths: 60 },
  vitalSigns: { months: 24 },
  socialHistory: { months: 60 },
  pregnancy: { months: 12 },
  procedures: { years: 10 },
  devices: { statuses: ['active', 'intended', 'completed', 'on-hold'] },
  planOfCare: { statuses: ['active', 'on-hold'], recommendationMonths: 12 },
  functionalStatus: { months: 24 },
};

/** Rules with overrides (e.g. from CARNET_SUMMARY_RULES), section by section; unknown keys are refused. */
export function mergeRules(overrides: unknown, base: SummaryRules = DEFAULT_RULES): SummaryRules {
  if (overrides === undefined || overrides === null) return base;
  if (typeof overrides !== 'object' || Array.isArray(overrides)) throw new Error('summary rules must be a JSON object');
  const merged: Record<string, unknown> = { ...base };
  for (const [section, values] of Object.entries(overrides as Json)) {
    const current = (base as unknown as Record<string, Json>)[section];
    if (!current) throw new Error(`summary rules: unknown section "${section}"`);
    for (const [name, value] of Object.entries(values as Json)) {
      if (!(name in current)) throw new Error(`summary rules: unknown rule "${section}.${name}"`);
      if (typeof value !== typeof current[name] && !(Array.isArray(value) && Array.isArray(current[name]))) throw new Error(`summary rules: "${section}.${name}" has the wrong type`);
    }
    merged[section] = { ...current, ...(values as Json) };
  }
  return merged as unknown as SummaryRules;
}

const CLINICAL = CONDITION_CLINICAL;
const EXCLUDED_VERIFICATION = new Set(['entered-in-error', 'refuted']);
const TOBACCO = ['72166-2', '11367-0', '39240-7'];
const ALCOHOL = ['74013-4', '11331-6', '68518-0'];
const PREGNANCY = ['82810-3', '11449-6', '11778-8', '11779-6', '11780-4', '90368-2', '11636-8', '11637-6', '11638-4', '11639-2', '11640-0', '11612-9', '11613-7', '11614-5', '33065-4'];

/** The clinical date of a resource, the one rules, ordering and narratives use. */
export function clinicalDate(resource: Resource): string | undefined {
  const r = resource as unknown as Json;
  switch (resource.resourceType) {
    case 'Condition': return firstDate(r, 'onsetDateTime', 'onsetPeriod.start', 'recordedDate');
    case 'AllergyIntolerance': return firstDate(r, 'onsetDateTime', 'recordedDate');
    case 'Immunization': return firstDate(r, 'occurrenceDateTime', 'recorded');
    case 'Observation': return firstDate(r, 'effectiveDateTime', 'effectivePeriod.start', 'effectiveInstant', 'issued');
    case 'DiagnosticReport': return firstDate(r, 'effectiveDateTime', 'effectivePeriod.start', 'issued');
    case 'Procedure': return firstDate(r, 'performedDateTime', 'performedPeriod.start', 'performedPeriod.end');
    case 'DeviceUseStatement': return firstDate(r, 'timingDateTime', 'timingPeriod.start', 'recordedOn');
    case 'CarePlan': return firstDate(r, 'period.start', 'created');
    case 'ClinicalImpression': return firstDate(r, 'effectiveDateTime', 'effectivePeriod.start', 'date');
    case 'Consent': return firstDate(r, 'dateTime');
    case 'ImmunizationRecommendation': return firstDate(r, 'date');
    default: return firstDate(r, 'date', 'authoredOn', 'meta.lastUpdated');
  }
}

/** Most recent first; undated last; ties by id so the order is stable. */
export function byDateDesc(a: Resource, b: Resource): number {
  return timeOf(clinicalDate(b)) - timeOf(clinicalDate(a)) || String(a.id).localeCompare(String(b.id));
}

function conditionOk(c: Json): boolean {
  return !EXCLUDED_VERIFICATION.has(codeIn(c.verificationStatus) ?? '');
}

function observationCategory(o: Json): string[] {
  return (Array.isArray(o.category) ? o.category : []).flatMap((c) => codings(c).map((x) => x.code as string));
}

function isSocial(o: Json): boolean {
  return observationCategory(o).includes('social-history') || TOBACCO.some((c) => hasCode(o.code, c)) || ALCOHOL.some((c) => hasCode(o.code, c));
}

function isPregnancy(o: Json): boolean {
  return PREGNANCY.some((c) => hasCode(o.code, c));
}

function isImagingReport(d: Json): boolean {
  const cats = (Array.isArray(d.category) ? d.category : []).flatMap((c) => codings(c).map((x) => x.code));
  return cats.some((c) => c === 'RAD' || c === 'LP29684-5' || c === 'imaging' || c === 'CT' || c === 'RX' || c === 'NMR' || c === 'US');
}

type Selector = (resources: readonly Resource[], rules: SummaryRules, now: Date) => Resource[];

const ofType = (resources: readonly Resource[], type: string): Json[] =>
  resources.filter((r) => r.resourceType === type).sort(byDateDesc) as unknown as Json[];
const since = (r: Json, after: number) => timeOf(clinicalDate(r as unknown as Resource)) >= after;
const asResources = (list: Json[]) => list as unknown as Resource[];

/** The rule of each section other than medications (medications.ts). */
export const SELECTORS: Readonly<Record<Exclude<SectionKey, 'medications'>, Selector>> = {
  problems: (all, rules, now) => {
    const stale = monthsBefore(now, rules.problems.encounterDiagnosisMonths);
    const list = ofType(all, 'Condition').filter((c) => conditionOk(c)
      && rules.problems.clinicalStatuses.includes(codeIn(c.clinicalStatus, CLINICAL) ?? '')
      // A diagnosis made at a visit and never closed is not a problem for ever: only recent ones count,
      // problem-list items (and conditions without a category) always do.
      && (!hasCode(c.category, 'encounter-diagnosis') || hasCode(c.category, 'problem-list-item') || since(c, stale)));
    return dedupe(asResources(list), sameConcept('code'));
  },
  pastIllness: (all, rules, now) => {
    const after = monthsBefore(now, rules.pastIllness.years * 12);
    const list = ofType(all, 'Condition').filter((c) => conditionOk(c)
      && rules.pastIllness.clinicalStatuses.includes(codeIn(c.clinicalStatus, CLINICAL) ?? '')
      && timeOf(firstDate(c, 'abatementDateTime', 'abatementPeriod.end', 'recordedDate', 'onsetDateTime')) >= after);
    // A condition both active (problems) and resolved in another source stays in problems only.
    const active = new Set(SELECTORS.problems(all, rules, now).flatMap(sameConcept('code')));
    return dedupe(asResources(list), sameConcept('code')).filter((c) => !sameConcept('code')(c).some((k) => active.has(k)));
  },
  allergies: (all, rules) => {
    const list = ofType(all, 'AllergyIntolerance').filter((a) => conditionOk(a)
      && (a.clinicalStatus === undefined || rules.allergies.clinicalStatuses.includes(codeIn(a.clinicalStatus) ?? '')));
    return dedupe(asResources(list), sameConcept('code'));
  },
  immunizations: (all, rules, now) => {
    const after = monthsBefore(now, rules.immunizations.years * 12);
    const list = ofType(all, 'Immunization').filter((i) => i.status === 'completed' && since(i, after));
    return dedupe(asResources(list), sameConceptSameDay('vaccineCode', clinicalDate));
  },
  results: (all, rules, now) => {
    const lab = ofType(all, 'Observation').filter((o) => rules.results.statuses.includes(o.status as string)
      && (observationCategory(o).includes('laboratory') || observationCategory(o).includes('imaging'))
      && !isSocial(o) && !isPregnancy(o) && since(o, monthsBefore(now, rules.results.labMonths)));
    // A laboratory report that came as a PDF only has no Observations to stand for it: it is listed itself (flagged).
    const imaging = ofType(all, 'DiagnosticReport').filter((d) => rules.results.statuses.includes(d.status as string)
      && ((isImagingReport(d) && since(d, monthsBefore(now, rules.results.imagingMonths))) || (isPdfOnly(d as unknown as Resource) && since(d, monthsBefore(now, rules.results.labMonths)))));
    return [...latestPerAnalyte(asResources(lab)), ...latestPerAnalyte(asResources(imaging))];
  },
  procedures: (all, rules, now) => {
    const list = ofType(all, 'Procedure').filter((p) => p.status === 'completed' && since(p, monthsBefore(now, rules.procedures.years * 12)));
    return dedupe(asResources(list), sameConceptSameDay('code', clinicalDate));
  },
  devices: (all, rules) => {
    const list = ofType(all, 'DeviceUseStatement').filter((d) => rules.devices.statuses.includes(d.status as string));
    return dedupe(asResources(list), (d) => [String(((d as unknown as Json).device as Json | undefined)?.reference ?? d.id)]);
  },
  pregnancy: (all, rules, now) => latestPerAnalyte(asResources(ofType(all, 'Observation').filter((o) =>
    isPregnancy(o) && rules.results.statuses.includes(o.status as string) && since(o, monthsBefore(now, rules.pregnancy.months))))),
  socialHistory: (all, rules, now) => latestPerAnalyte(asResources(ofType(all, 'Observation').filter((o) =>
    isSocial(o) && rules.results.statuses.includes(o.status as string) && since(o, monthsBefore(now, rules.socialHistory.months))))),
  vitalSigns: (all, rules, now) => latestPerAnalyte(asResources(ofType(all, 'Observation').filter((o) =>
    observationCategory(o).includes('vital-signs') && rules.results.statuses.includes(o.status as string)
    && since(o, monthsBefore(now, rules.vitalSigns.months))))),
  planOfCare: (all, rules, now) => [
    ...ofType(all, 'CarePlan').filter((c) => rules.planOfCare.statuses.includes(c.status as string)),
    ...ofType(all, 'ImmunizationRecommendation').filter((r) => since(r, monthsBefore(now, rules.planOfCare.recommendationMonths))),
  ] as unknown as Resource[],
  functionalStatus: (all, rules, now) => latestPerAnalyte(asResources(ofType(all, 'ClinicalImpression').filter((c) =>
    c.status === 'completed' && since(c, monthsBefore(now, rules.functionalStatus.months))))),
  advanceDirectives: (all) => asResources(ofType(all, 'Consent').filter((c) => c.status === 'active'
    && hasCode(c.scope, 'adr'))),
};
