import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dayOf } from '../../src/generate/dates.js';
import { ckdEpi2009, creatinineFor, drawTraits, flag, labValues } from '../../src/generate/clinical/physiology.js';
import type { CarePlan } from '../../src/generate/clinical/plan.js';
import { assignNams, makePerson, type Person } from '../../src/generate/person.js';
import { createRandom } from '../../src/generate/random.js';
import type { LabKey } from '../../src/generate/tables/observations.js';

const reference = dayOf('2026-06-30');

function adult(sex: 'female' | 'male'): Person {
  const base = makePerson(createRandom('adult'), 0, { reference });
  return assignNams([{ ...base, sex, birthDay: dayOf('1960-05-10') }])[0] as Person;
}

function mean(rngSeed: string, person: Person, plan: CarePlan, day: number, key: LabKey, n = 40): number {
  const rng = createRandom(rngSeed);
  const traits = drawTraits(createRandom('traits'), person, plan, reference);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += labValues(rng, traits, plan, person, day, new Set([key]))[0]?.value ?? NaN;
  return sum / n;
}

describe('results that move with the disease', () => {
  test('eGFR is computed from the creatinine it comes from (CKD-EPI 2009)', () => {
    for (const egfr of [15, 35, 59, 75, 100]) {
      for (const female of [true, false]) {
        assert.ok(Math.abs(ckdEpi2009(creatinineFor(egfr, 66, female), 66, female) - egfr) < 0.01, `${egfr} ${female}`);
      }
    }
    assert.ok(creatinineFor(40, 70, false) > creatinineFor(90, 70, false), 'lower filtration, higher creatinine');
  });

  test('HbA1c falls once metformin is started and sits above normal in diabetes', () => {
    const person = adult('male');
    const onset = dayOf('2022-01-10');
    const plan: CarePlan = { conditions: [{ key: 'diabetes', onset }], allergies: [], warfarin: false, regimens: [{ drug: 'metformin', condition: 'diabetes', start: onset + 20 }] };
    const before = mean('a1c', person, plan, onset + 5, 'hba1c');
    const after = mean('a1c', person, plan, onset + 300, 'hba1c');
    assert.ok(before > 6.5, `untreated ${before}`);
    assert.ok(after < before - 0.8, `treated ${after} < ${before}`);
    const healthy = mean('a1c', person, { conditions: [], allergies: [], warfarin: false, regimens: [] }, onset, 'hba1c');
    assert.ok(healthy < 6.3, `no diabetes ${healthy}`);
  });

  test('a statin lowers LDL; CKD lowers eGFR over the years; levothyroxine normalises TSH', () => {
    const person = adult('female');
    const onset = dayOf('2021-09-01');
    const statin: CarePlan = { conditions: [{ key: 'dyslipidemia', onset }], allergies: [], warfarin: false, regimens: [{ drug: 'atorvastatin', condition: 'dyslipidemia', start: onset + 10 }] };
    assert.ok(mean('ldl', person, statin, onset + 400, 'ldl') < mean('ldl', person, statin, onset + 5, 'ldl') * 0.7);
    const ckd: CarePlan = { conditions: [{ key: 'ckd', onset }], allergies: [], warfarin: false, regimens: [] };
    const early = mean('egfr', person, ckd, onset + 30, 'egfr');
    const late = mean('egfr', person, ckd, onset + 4 * 365, 'egfr');
    assert.ok(early < 60 && late < early - 5, `${early} → ${late}`);
    const hypo: CarePlan = { conditions: [{ key: 'hypothyroidism', onset }], allergies: [], warfarin: false, regimens: [{ drug: 'levothyroxine', condition: 'hypothyroidism', start: onset + 30 }] };
    assert.ok(mean('tsh', person, hypo, onset + 10, 'tsh') > 5);
    assert.ok(mean('tsh', person, hypo, onset + 400, 'tsh') < 5);
  });

  test('flags follow the reference interval, with the women’s interval where there is one', () => {
    assert.equal(flag('hba1c', 7.2, false), 'H');
    assert.equal(flag('hba1c', 5.5, false), 'N');
    assert.equal(flag('egfr', 45, true), 'L');
    assert.equal(flag('creatinine', 100, false), 'N');
    assert.equal(flag('creatinine', 100, true), 'H');
    assert.equal(flag('hdl', 1.2, true), 'L');
    assert.equal(flag('hdl', 1.2, false), 'N');
  });
});
