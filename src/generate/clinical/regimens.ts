import type { Day } from '../dates.js';
import type { Random } from '../random.js';
import type { ChronicKey } from '../tables/conditions.js';
import type { DrugKey } from '../tables/medications.js';
import type { ChronicCondition } from './plan.js';

/**
 * Drug treatment of each chronic condition (pure), following the usual first lines of Québec practice
 * (INESSS guides, Diabetes Canada, Hypertension Canada): a start day, sometimes an intensification, a
 * switch or a stop with its reason.
 */

export interface Regimen {
  readonly drug: DrugKey;
  readonly condition: ChronicKey;
  readonly start: Day;
  readonly stop?: Day;
  readonly stopReason?: string;
}

export function planRegimens(rng: Random, conditions: readonly ChronicCondition[], warfarin: boolean, end: Day): Regimen[] {
  const out: Regimen[] = [];
  const has = (k: ChronicKey) => conditions.some((c) => c.key === k);
  const add = (drug: DrugKey, condition: ChronicKey, start: Day, stop?: Day, stopReason?: string) => {
    if (start >= end) return;
    if (out.some((r) => r.drug === drug && r.stop === undefined)) return;
    out.push({ drug, condition, start, ...(stop !== undefined && stop < end ? { stop, ...(stopReason ? { stopReason } : {}) } : {}) });
  };
  for (const c of conditions) {
    const start = c.onset + rng.int(7, 45);
    switch (c.key) {
      case 'diabetes':
        add('metformin', c.key, start);
        if (rng.chance(0.45)) add(has('heartFailure') || has('ckd') ? 'empagliflozin' : rng.pick(['gliclazide', 'empagliflozin'] as const), c.key, start + rng.int(300, 900));
        if (end - c.onset > 8 * 365 && rng.chance(0.2)) add('insulinGlargine', c.key, end - rng.int(200, 1500));
        if (!has('dyslipidemia') && rng.chance(0.7)) add('atorvastatin', c.key, start + rng.int(0, 120));
        break;
      case 'hypertension':
        add(rng.chance(0.7) ? 'ramipril' : 'amlodipine', c.key, start);
        if (rng.chance(0.35)) add('hydrochlorothiazide', c.key, start + rng.int(200, 800));
        break;
      case 'dyslipidemia':
        if (rng.chance(0.12)) {
          const stop = start + rng.int(40, 200);
          add('atorvastatin', c.key, start, stop, 'Myalgies sous atorvastatine');
          add('rosuvastatin', c.key, stop + rng.int(10, 40));
        } else {
          add('atorvastatin', c.key, start);
        }
        break;
      case 'heartFailure':
        add('furosemide', c.key, start);
        add('bisoprolol', c.key, start + rng.int(10, 60));
        if (rng.chance(0.6)) add('sacubitrilValsartan', c.key, start + rng.int(60, 300));
        break;
      case 'atrialFibrillation':
        add(warfarin ? 'warfarin' : 'apixaban', c.key, start);
        add('bisoprolol', c.key, start);
        break;
      case 'copd':
        add('tiotropium', c.key, start);
        add('salbutamol', c.key, start);
        break;
      case 'asthma':
        add('salbutamol', c.key, start);
        if (rng.chance(0.6)) add('budesonideFormoterol', c.key, start + rng.int(0, 200));
        break;
      case 'depression': {
        const drug = rng.chance(0.5) ? 'sertraline' : 'escitalopram';
        if (!rng.chance(0.8)) break;
        if (rng.chance(0.15)) {
          const stop = start + rng.int(60, 180);
          add(drug, c.key, start, stop, 'Réponse insuffisante, changement d’antidépresseur');
          add('venlafaxine', c.key, stop + 1, c.remission !== undefined ? c.remission + rng.int(90, 240) : undefined, 'Rémission soutenue');
        } else {
          add(drug, c.key, start, c.remission !== undefined ? c.remission + rng.int(90, 240) : undefined, 'Rémission soutenue');
        }
        break;
      }
      case 'anxiety':
        if (rng.chance(0.6)) add('escitalopram', c.key, start);
        break;
      case 'hypothyroidism':
        add('levothyroxine', c.key, c.onset + rng.int(20, 40));
        break;
      case 'alcoholUse':
        if (rng.chance(0.4)) add('naltrexone', c.key, start + rng.int(0, 400), start + rng.int(500, 800), 'Fin du traitement prévu');
        break;
      case 'opioidUse':
        if (rng.chance(0.8)) add('buprenorphineNaloxone', c.key, start);
        break;
      case 'tobacco':
        if (rng.chance(0.15)) add('varenicline', c.key, end - rng.int(200, 1500), undefined);
        break;
      case 'osteoarthritisKnee':
        if (rng.chance(0.6)) add('acetaminophen', c.key, start);
        else if (rng.chance(0.5)) add('naproxen', c.key, start, start + rng.int(60, 300), 'Dyspepsie');
        break;
    }
  }
  // Varenicline is a 12-week course.
  return out.map((r) => (r.drug === 'varenicline' && r.stop === undefined ? { ...r, stop: Math.min(end - 1, r.start + 84), stopReason: 'Traitement de 12 semaines complété' } : r))
    .filter((r) => r.stop === undefined || r.stop > r.start);
}

/** Start day of a drug in the plan (the first regimen), if it is part of it. */
export function drugStart(plan: { readonly regimens: readonly Regimen[] }, drug: DrugKey): Day | undefined {
  return plan.regimens.find((r) => r.drug === drug)?.start;
}
