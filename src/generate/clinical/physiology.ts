import type { Day } from '../dates.js';
import { ageOn, type Person } from '../person.js';
import type { Random } from '../random.js';
import { LABS, type LabKey } from '../tables/observations.js';
import { conditionOf, type CarePlan } from './plan.js';
import { drugStart } from './regimens.js';

/**
 * Laboratory values that move with the disease and its treatment (pure). Each person has a few stable
 * traits drawn once; a value on a given day follows from them, the conditions' onset and the drugs'
 * start, plus measurement noise. Derived results are computed, not drawn: eGFR from creatinine
 * (CKD-EPI 2009, without the race coefficient), LDL by Friedewald (mmol/L), fasting glucose from HbA1c
 * (ADAG relation).
 */

export interface Traits {
  readonly a1c: number;
  readonly ldl: number;
  readonly hdl: number;
  readonly tg: number;
  readonly egfr: number;
  readonly hb: number;
  readonly tsh: number;
  readonly bnp: number;
}

export function drawTraits(rng: Random, person: Person, plan: CarePlan, reference: Day): Traits {
  const age = ageOn(person, reference);
  const female = person.sex === 'female';
  const diabetic = conditionOf(plan, 'diabetes') !== undefined;
  return {
    a1c: diabetic ? rng.normal(8.4, 0.7) : rng.normal(5.4 + Math.max(0, age - 40) * 0.006, 0.25),
    ldl: conditionOf(plan, 'dyslipidemia') ? rng.normal(4.5, 0.6) : rng.normal(3.0, 0.6),
    hdl: rng.normal(female ? 1.55 : 1.25, 0.25),
    tg: Math.max(0.5, rng.normal(diabetic ? 2.1 : 1.4, 0.5)),
    egfr: Math.min(125, Math.max(62, 118 - 0.85 * Math.max(0, age - 25) + rng.normal(0, 7))),
    hb: rng.normal(female ? 134 : 148, 8),
    tsh: Math.exp(rng.normal(Math.log(1.8), 0.35)),
    bnp: Math.exp(rng.normal(Math.log(900), 0.5)),
  };
}

const years = (from: Day, to: Day) => Math.max(0, (to - from) / 365.25);

/** Fraction of a drug's full effect reached `day` days after its start (about three months to settle). */
function effect(start: Day | undefined, day: Day): number {
  if (start === undefined || day < start) return 0;
  return 1 - Math.exp(-(day - start) / 60);
}

export interface LabResult {
  readonly key: LabKey;
  readonly value: number;
}

function egfrOn(traits: Traits, plan: CarePlan, day: Day): number {
  const ckd = conditionOf(plan, 'ckd');
  const diabetes = conditionOf(plan, 'diabetes');
  let egfr = traits.egfr;
  if (diabetes && day >= diabetes.onset) egfr -= 1.2 * years(diabetes.onset, day);
  if (ckd && day >= ckd.onset) egfr = Math.min(egfr, 56 - 2.4 * years(ckd.onset, day));
  if (conditionOf(plan, 'heartFailure') && day >= (conditionOf(plan, 'heartFailure')?.onset ?? day + 1)) egfr -= 6;
  return Math.max(12, egfr);
}

/** Serum creatinine (µmol/L) giving this eGFR by CKD-EPI 2009 for the person's age and sex. */
export function creatinineFor(egfr: number, age: number, female: boolean): number {
  const kappa = female ? 0.7 : 0.9;
  const alpha = female ? -0.329 : -0.411;
  const base = 141 * 0.993 ** age * (female ? 1.018 : 1);
  const ratioHigh = (egfr / base) ** (-1 / 1.209);
  const ratio = ratioHigh >= 1 ? ratioHigh : (egfr / base) ** (1 / alpha);
  return ratio * kappa * 88.4;
}

/** CKD-EPI 2009 eGFR (mL/min/1.73 m²) from serum creatinine in µmol/L. */
export function ckdEpi2009(creatinineUmol: number, age: number, female: boolean): number {
  const kappa = female ? 0.7 : 0.9;
  const alpha = female ? -0.329 : -0.411;
  const scr = creatinineUmol / 88.4 / kappa;
  return 141 * Math.min(scr, 1) ** alpha * Math.max(scr, 1) ** -1.209 * 0.993 ** age * (female ? 1.018 : 1);
}

/** Values of the requested tests on one day, rounded as a laboratory reports them. */
export function labValues(rng: Random, traits: Traits, plan: CarePlan, person: Person, day: Day, keys: ReadonlySet<LabKey>): LabResult[] {
  const female = person.sex === 'female';
  const age = ageOn(person, day);
  const diabetes = conditionOf(plan, 'diabetes');
  const out: LabResult[] = [];
  const put = (key: LabKey, value: number) => {
    if (!keys.has(key)) return;
    const f = 10 ** LABS[key].decimals;
    out.push({ key, value: Math.round(Math.max(0, value) * f) / f });
  };
  const a1c = diabetes && day >= diabetes.onset
    ? traits.a1c - 1.3 * effect(drugStart(plan, 'metformin'), day) - 0.6 * effect(drugStart(plan, 'gliclazide') ?? drugStart(plan, 'empagliflozin'), day) + 0.12 * years(diabetes.onset, day) + rng.normal(0, 0.25)
    : Math.min(traits.a1c, 6.2) + rng.normal(0, 0.12);
  put('hba1c', a1c);
  put('glucoseFasting', (1.59 * a1c - 2.59) * 0.82 + rng.normal(0, 0.35));
  const statin = effect(drugStart(plan, 'atorvastatin') ?? drugStart(plan, 'rosuvastatin'), day);
  const ldl = traits.ldl * (1 - 0.45 * statin) + rng.normal(0, 0.2);
  const hdl = traits.hdl + rng.normal(0, 0.08);
  const tg = Math.max(0.4, traits.tg * (1 - 0.15 * statin) + rng.normal(0, 0.25));
  put('ldl', ldl);
  put('hdl', hdl);
  put('triglycerides', tg);
  put('cholesterol', ldl + hdl + tg / 2.2);
  const egfr = egfrOn(traits, plan, day) + rng.normal(0, 3);
  const creatinine = Math.round(creatinineFor(egfr, age, female));
  put('creatinine', creatinine);
  put('egfr', Math.min(ckdEpi2009(creatinine, age, female), 120));
  const ckd = egfr < 60;
  put('potassium', rng.normal(ckd ? 4.7 : 4.2, 0.3) + (drugStart(plan, 'ramipril') !== undefined && day >= (drugStart(plan, 'ramipril') ?? 0) ? 0.2 : 0));
  put('sodium', rng.normal(139, 2) - (drugStart(plan, 'hydrochlorothiazide') !== undefined ? 1.5 : 0));
  put('acr', Math.exp(rng.normal(Math.log(ckd ? 12 : diabetes ? 2.2 : 0.8), 0.5)));
  put('hemoglobin', traits.hb - (ckd ? 14 : 0) + rng.normal(0, 5));
  put('wbc', rng.normal(6.6, 1.3));
  put('platelets', rng.normal(255, 45));
  const hypo = conditionOf(plan, 'hypothyroidism');
  const tsh = hypo && day >= hypo.onset
    ? (effect(drugStart(plan, 'levothyroxine'), day) > 0.5 ? Math.exp(rng.normal(Math.log(2.4), 0.45)) : rng.normal(9.5, 2.5))
    : traits.tsh * Math.exp(rng.normal(0, 0.15));
  put('tsh', tsh);
  put('inr', plan.warfarin && drugStart(plan, 'warfarin') !== undefined && day >= (drugStart(plan, 'warfarin') ?? 0) ? rng.normal(2.5, 0.45) : rng.normal(1.0, 0.06));
  const hf = conditionOf(plan, 'heartFailure');
  put('ntprobnp', hf && day >= hf.onset ? traits.bnp * Math.exp(rng.normal(0, 0.35)) : Math.exp(rng.normal(Math.log(55 + age), 0.4)));
  const alcohol = conditionOf(plan, 'alcoholUse');
  const drinking = alcohol && day >= alcohol.onset;
  put('ggt', drinking ? Math.exp(rng.normal(Math.log(120), 0.45)) : rng.normal(female ? 20 : 28, 7));
  put('alt', drinking ? rng.normal(58, 15) : rng.normal(22, 7));
  return out;
}

/** The interpretation flag against the reference interval (v3 ObservationInterpretation: L, N, H). */
export function flag(key: LabKey, value: number, female: boolean): 'L' | 'N' | 'H' {
  const test = LABS[key] as { low?: number; high?: number; female?: { low?: number; high?: number } };
  const low = (female ? test.female?.low : undefined) ?? test.low;
  const high = (female ? test.female?.high : undefined) ?? test.high;
  if (low !== undefined && value < low) return 'L';
  if (high !== undefined && value > high) return 'H';
  return 'N';
}
