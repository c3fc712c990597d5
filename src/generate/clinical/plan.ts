import { addYears, type Day } from '../dates.js';
import type { Person } from '../person.js';
import { ageOn } from '../person.js';
import type { Random } from '../random.js';
import { planRegimens, type Regimen } from './regimens.js';
import { ALLERGIES, type AllergyCode, type ChronicKey } from '../tables/conditions.js';

/**
 * Which chronic conditions a person lives with and since when (pure). Prevalences by age and sex are
 * rounded from the INSPQ's Système intégré de surveillance des maladies chroniques du Québec (SISMACQ)
 * and Statistics Canada's Canadian Community Health Survey; they only need to look like a Québec
 * population, not to estimate one.
 */

export interface ChronicCondition {
  readonly key: ChronicKey;
  readonly onset: Day;
  /** Day the condition went into remission (an episode of depression, for one), if it did. */
  readonly remission?: Day;
}

export interface CarePlan {
  readonly conditions: readonly ChronicCondition[];
  readonly allergies: readonly AllergyCode[];
  /** For atrial fibrillation: warfarin (INR follow-up) rather than apixaban. */
  readonly warfarin: boolean;
  readonly regimens: readonly Regimen[];
}

type Rule = (age: number, female: boolean, has: (k: ChronicKey) => boolean) => number;

/** Probability of each condition at the reference date, in dependency order. */
const PREVALENCE: readonly (readonly [ChronicKey, Rule, number])[] = [
  // [condition, prevalence, youngest onset age]
  ['tobacco', (a) => (a < 16 ? 0 : a < 65 ? 0.16 : 0.1), 14],
  ['hypertension', (a) => (a < 30 ? 0.01 : a < 45 ? 0.06 : a < 60 ? 0.2 : a < 80 ? 0.45 : 0.6), 25],
  ['dyslipidemia', (a, _f, has) => (a < 35 ? 0.01 : a < 55 ? 0.12 : 0.3) + (has('hypertension') ? 0.1 : 0), 30],
  ['diabetes', (a, _f, has) => (a < 30 ? 0.005 : a < 45 ? 0.03 : a < 60 ? 0.09 : a < 80 ? 0.18 : 0.22) + (has('hypertension') ? 0.06 : 0), 25],
  ['ckd', (a, _f, has) => (a < 50 ? 0.005 : a < 70 ? 0.04 : 0.12) + (has('diabetes') ? 0.1 : 0) + (has('hypertension') ? 0.04 : 0), 40],
  ['heartFailure', (a, _f, has) => (a < 55 ? 0.002 : a < 75 ? 0.02 : 0.08) + (has('hypertension') ? 0.02 : 0), 50],
  ['atrialFibrillation', (a) => (a < 55 ? 0.002 : a < 75 ? 0.03 : 0.09), 50],
  ['copd', (a, _f, has) => (a < 40 ? 0 : a < 65 ? 0.03 : 0.09) * (has('tobacco') ? 3 : 0.6), 40],
  ['asthma', (a) => (a < 5 ? 0.03 : a < 20 ? 0.1 : 0.07), 3],
  ['depression', (a, f) => (a < 14 ? 0 : a < 65 ? (f ? 0.1 : 0.06) : 0.05), 14],
  ['anxiety', (a, f) => (a < 12 ? 0 : f ? 0.08 : 0.045), 12],
  ['hypothyroidism', (a, f) => (a < 30 ? 0.005 : f ? (a < 60 ? 0.06 : 0.12) : 0.02), 25],
  ['alcoholUse', (a, f) => (a < 18 ? 0 : f ? 0.012 : 0.03), 18],
  ['opioidUse', (a) => (a < 18 || a > 70 ? 0 : 0.006), 18],
  ['osteoarthritisKnee', (a) => (a < 45 ? 0 : a < 65 ? 0.06 : 0.15), 45],
];

export function planCare(rng: Random, person: Person, end: Day): CarePlan {
  const age = ageOn(person, end);
  const female = person.sex === 'female';
  const chosen = new Map<ChronicKey, ChronicCondition>();
  const has = (k: ChronicKey) => chosen.has(k);
  for (const [key, rule, youngest] of PREVALENCE) {
    if (age < youngest || !rng.chance(Math.min(0.95, rule(age, female, has)))) continue;
    // Onset: some time between the youngest plausible age and now, weighted towards recent years.
    const earliest = Math.max(addYears(person.birthDay, youngest), addYears(end, -Math.min(25, age - youngest + 1)));
    const onset = Math.round(end - (end - earliest) * rng.next() ** 1.6) - rng.int(30, 120);
    const onsetDay = Math.max(onset, addYears(person.birthDay, youngest));
    const remission = key === 'depression' && rng.chance(0.45) && end - onsetDay > 540
      ? onsetDay + rng.int(365, Math.max(366, end - onsetDay - 60))
      : undefined;
    chosen.set(key, { key, onset: onsetDay, ...(remission !== undefined ? { remission } : {}) });
  }
  const allergies = rng.chance(0.12) ? rng.sample(ALLERGIES, rng.chance(0.2) ? 2 : 1) : [];
  const conditions = [...chosen.values()];
  const warfarin = rng.chance(0.3);
  return { conditions, allergies, warfarin, regimens: planRegimens(rng.fork('regimens'), conditions, warfarin, end) };
}

export function hasCondition(plan: CarePlan, key: ChronicKey, day?: Day): boolean {
  const c = plan.conditions.find((x) => x.key === key);
  return Boolean(c && (day === undefined || c.onset <= day));
}

export function conditionOf(plan: CarePlan, key: ChronicKey): ChronicCondition | undefined {
  return plan.conditions.find((x) => x.key === key);
}
