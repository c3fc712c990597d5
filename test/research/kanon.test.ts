import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classKey, generalise, LADDER, planK, quasiIdentifiers, type QuasiIdentifiers } from '../../src/research/deid/kanon.js';

/** The k-anonymity check, pure: classes, the generalisation ladder, suppression, the k reached. */
const TOP = 1936;

function population(list: [QuasiIdentifiers, number][]) {
  const map = new Map<string, { qi: QuasiIdentifiers; n: number }>();
  for (const [qi, n] of list) map.set(classKey(qi, LADDER[0]!, TOP), { qi, n });
  return map;
}

describe('k-anonymity', () => {
  test('quasi-identifiers of a released Patient, and their classes at each level', () => {
    const qi = quasiIdentifiers({ resourceType: 'Patient', gender: 'female', birthDate: '1972', address: [{ postalCode: 'H2X' }] });
    assert.deepEqual(qi, { birthYear: 1972, gender: 'female', postal: 'H2X' });
    assert.equal(classKey(qi, LADDER[0]!, TOP), '1972-1972|female|H2X');
    assert.equal(classKey(qi, LADDER[1]!, TOP), '1970-1974|female|H2X');
    assert.equal(classKey(qi, LADDER[3]!, TOP), '1970-1979|female|H');
    assert.equal(classKey(qi, LADDER[5]!, TOP), '|female|');
    assert.equal(classKey({ birthYear: 1930, gender: 'male' }, LADDER[0]!, TOP), '-1936|male|', 'over the top age: one class');
  });

  test('every class already has k: nothing generalised or suppressed', () => {
    const plan = planK(population([[{ birthYear: 1970, gender: 'female', postal: 'H2X' }, 6], [{ birthYear: 1980, gender: 'male', postal: 'G1R' }, 5]]), 5, 0.05, TOP);
    assert.deepEqual({ level: plan.level, suppressed: plan.suppressedPersons, k: plan.kReached, persons: plan.persons }, { level: 0, suppressed: 0, k: 5, persons: 11 });
  });

  test('small classes: generalised up the ladder until the suppression is within bounds, then suppressed', () => {
    // Years 1970–1974, 2 persons each: no year class reaches 5, the 5-year band holds 10.
    const pop = population([1970, 1971, 1972, 1973, 1974].map((y) => [{ birthYear: y, gender: 'female', postal: 'H2X' }, 2] as [QuasiIdentifiers, number]));
    const plan = planK(pop, 5, 0.05, TOP);
    assert.equal(plan.level, 1);
    assert.equal(plan.kReached, 10);
    // One outlier among 100: suppressed (1 % ≤ 5 %) rather than generalising everyone.
    const big = population([[{ birthYear: 1970, gender: 'female', postal: 'H2X' }, 99], [{ birthYear: 1999, gender: 'male', postal: 'J0A' }, 1]]);
    const plan2 = planK(big, 5, 0.05, TOP);
    assert.deepEqual([plan2.level, plan2.suppressedPersons, plan2.kReached, plan2.suppressedClasses], [0, 1, 99, ['1999-1999|male|J0A']]);
    // No suppression allowed: generalised until the outlier falls into a class of ≥ k.
    const plan3 = planK(big, 5, 0, TOP);
    assert.ok(plan3.level > 0);
    assert.ok(plan3.suppressedPersons === 0 || plan3.level === LADDER.length - 1);
    // Fewer than k persons in all: everyone is suppressed at the last level, nothing released.
    const tiny = planK(population([[{ birthYear: 1970, gender: 'female' }, 3]]), 5, 0.05, TOP);
    assert.deepEqual([tiny.level, tiny.suppressedPersons, tiny.kReached], [LADDER.length - 1, 3, undefined]);
  });

  test('a Patient generalised to a level: a year kept, a band or the top-coded age as an extension, the postal code cut', () => {
    const p = { resourceType: 'Patient', id: 'x', birthDate: '1972', gender: 'female', address: [{ postalCode: 'H2X', state: 'QC' }] };
    assert.deepEqual(generalise(p, LADDER[0]!, TOP), { patient: p, generalised: false });
    const banded = generalise(p, LADDER[3]!, TOP).patient as Record<string, any>;
    assert.equal(banded.birthDate, undefined);
    assert.deepEqual(banded.extension[0].valuePeriod, { start: '1970', end: '1979' });
    assert.deepEqual(banded.address, [{ postalCode: 'H', state: 'QC' }]);
    const old = generalise({ ...p, birthDate: '1920' }, LADDER[0]!, TOP).patient as Record<string, any>;
    assert.deepEqual(old.extension[0].valuePeriod, { end: '1936' });
    const none = generalise(p, LADDER[5]!, TOP).patient as Record<string, any>;
    assert.deepEqual([none.birthDate, none.extension, none.address], [undefined, undefined, [{ state: 'QC' }]]);
  });
});
