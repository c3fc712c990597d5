import type { Immunization} from '@medplum/fhirtypes';
import { dateTime, dayFrom, ymd, type Day } from '../dates.js';
import type { Org } from '../directory.js';
import { coding, concept, reference, type Ref } from '../fhir.js';
import { ageOn } from '../person.js';
import { CVX } from '../systems.js';
import { CHILDHOOD_SCHEDULE, VACCINES, type VaccineKey } from '../tables/vaccines.js';
import { weekdayOnOrAfter, type ClinicalContext } from './context.js';

/**
 * Immunisations (pure): the childhood schedule at the CLSC recorded in the family clinic's chart, and for
 * adults the seasonal influenza and COVID-19 campaigns, given at the community pharmacy.
 */

function immunization(ctx: ClinicalContext, key: VaccineKey, day: Day, patient: Ref, performer: Org): void {
  const vaccine = VACCINES[key];
  ctx.record.add<Immunization>({
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: concept([coding(CVX, vaccine.cvx, vaccine.display)], vaccine.fr),
    patient,
    occurrenceDateTime: dateTime(day, 9 * 60 + ctx.rng.int(0, 420)),
    primarySource: true,
    lotNumber: `${String.fromCharCode(65 + ctx.rng.int(0, 25))}${String.fromCharCode(65 + ctx.rng.int(0, 25))}${ctx.rng.int(1000, 9999)}`,
    performer: [{ actor: reference('Organization', performer.id, performer.name) }],
  });
}

export function immunizations(ctx: ClinicalContext): void {
  const { person, record, rng, plan } = ctx;
  const care = record.care;
  // Childhood schedule: recorded by the family clinic (or the region's first GMF for children without one).
  const clinic = care.gmf?.org ?? care.region.gmfs[0]?.org;
  if (clinic) {
    for (const [key, ageDays] of CHILDHOOD_SCHEDULE) {
      const day = weekdayOnOrAfter(person.birthDay + ageDays + rng.int(0, 20));
      if (day < ctx.start || day > ctx.end || !rng.chance(0.93)) continue;
      immunization(ctx, key, day, record.patient('gmf', clinic), care.region.cisss);
    }
  }
  const pharmacy = care.pharmacy.org;
  const chronic = plan.conditions.length > 0;
  const firstSeason = ymd(ctx.start).year;
  for (let season = firstSeason; season <= ymd(ctx.end).year; season++) {
    const age = ageOn(person, dayFrom(season, 11, 1));
    if (age < 1) continue;
    // Influenza: October to December.
    const fluRate = age >= 75 ? 0.75 : age >= 60 ? 0.6 : chronic ? 0.45 : age < 5 ? 0.3 : 0.15;
    const flu = weekdayOnOrAfter(dayFrom(season, 10, 20) + rng.int(0, 55));
    if (flu >= ctx.start && flu <= ctx.end && rng.chance(fluRate)) {
      immunization(ctx, age >= 65 ? 'influenzaHighDose' : 'influenza', flu, record.patient('pharmacy', pharmacy), pharmacy);
    }
    // COVID-19: primary series in 2021, then an autumn dose for older and chronically ill people.
    if (season === 2021 && age >= 12) {
      const first = weekdayOnOrAfter(dayFrom(2021, 4, 1) + rng.int(0, 75) - Math.min(60, Math.max(0, age - 60)));
      if (first >= ctx.start && first <= ctx.end && rng.chance(0.85)) {
        const brand = rng.chance(0.7) ? 'covidPfizer' : 'covidModerna';
        immunization(ctx, brand, first, record.patient('pharmacy', pharmacy), pharmacy);
        const second = weekdayOnOrAfter(first + rng.int(56, 100));
        if (second <= ctx.end) immunization(ctx, brand, second, record.patient('pharmacy', pharmacy), pharmacy);
      }
    } else if (season >= 2022 && age >= 18) {
      const covidRate = age >= 75 ? 0.6 : age >= 60 ? 0.45 : chronic ? 0.25 : 0.08;
      const covid = weekdayOnOrAfter(dayFrom(season, 10, 10) + rng.int(0, 60));
      if (covid >= ctx.start && covid <= ctx.end && rng.chance(covidRate)) {
        immunization(ctx, 'covidUnspecified', covid, record.patient('pharmacy', pharmacy), pharmacy);
      }
    }
  }
  // Shingles vaccine (two doses) for some people over 65.
  if (ageOn(person, ctx.end) >= 65 && rng.chance(0.25)) {
    const first = weekdayOnOrAfter(ctx.end - rng.int(100, 900));
    if (first >= ctx.start) {
      immunization(ctx, 'zoster', first, record.patient('pharmacy', pharmacy), pharmacy);
      if (first + 70 <= ctx.end) immunization(ctx, 'zoster', weekdayOnOrAfter(first + 60 + rng.int(0, 60)), record.patient('pharmacy', pharmacy), pharmacy);
    }
  }
}
