import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dateTime, dayOf, formatDate, instant, isoWeek, mondayOfIsoWeek, yearsBetween } from '../../src/generate/dates.js';
import { toggleSaint, typo } from '../../src/generate/perturb.js';
import { createRandom } from '../../src/generate/random.js';

describe('seeded randomness', () => {
  test('the same seed gives the same draws; another seed, others', () => {
    const a = createRandom('s');
    const b = createRandom('s');
    const drawsA = Array.from({ length: 50 }, () => a.next());
    assert.deepEqual(Array.from({ length: 50 }, () => b.next()), drawsA);
    assert.notDeepEqual(Array.from({ length: 50 }, () => createRandom('t').next()), drawsA);
  });

  test('forks are independent of how much the parent has drawn', () => {
    const a = createRandom('s');
    const b = createRandom('s');
    for (let i = 0; i < 10; i++) b.next();
    assert.equal(a.fork('x').next(), b.fork('x').next());
    assert.notEqual(a.fork('x').next(), a.fork('y').next());
  });

  test('helpers stay in range and uuids are well-formed', () => {
    const r = createRandom(1);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(3, 7);
      assert.ok(n >= 3 && n <= 7 && Number.isInteger(n));
    }
    assert.match(r.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++) counts[r.weighted([['a', 3], ['b', 1]] as const)]++;
    assert.ok(counts.a > 2700 && counts.a < 3300, `weighted draws follow the weights (${counts.a})`);
    assert.equal(new Set(r.sample([1, 2, 3, 4, 5], 5)).size, 5);
  });
});

describe('calendar', () => {
  test('ISO weeks', () => {
    assert.equal(isoWeek(dayOf('2026-01-01')).label, '2026-W01');
    assert.equal(isoWeek(dayOf('2027-01-01')).label, '2026-W53');
    assert.equal(isoWeek(dayOf('2024-12-30')).label, '2025-W01');
    assert.equal(formatDate(mondayOfIsoWeek(2026, 12)), '2026-03-16');
  });

  test('local Québec times carry the daylight-saving offset', () => {
    assert.equal(dateTime(dayOf('2026-01-15'), 9 * 60 + 30), '2026-01-15T09:30:00-05:00');
    assert.equal(dateTime(dayOf('2026-07-15'), 9 * 60 + 30), '2026-07-15T09:30:00-04:00');
    assert.equal(dateTime(dayOf('2026-03-08'), 0), '2026-03-08T00:00:00-04:00');
    assert.equal(instant(dayOf('2026-07-15'), 9 * 60), '2026-07-15T13:00:00.000Z');
    assert.equal(yearsBetween(dayOf('2000-06-30'), dayOf('2026-06-29')), 25);
    assert.equal(yearsBetween(dayOf('2000-06-30'), dayOf('2026-06-30')), 26);
  });
});

describe('source-copy perturbations', () => {
  test('Saint and St, Sainte and Ste', () => {
    assert.equal(toggleSaint('Saint-Onge'), 'St-Onge');
    assert.equal(toggleSaint('St-Pierre'), 'Saint-Pierre');
    assert.equal(toggleSaint('Sainte-Marie'), 'Ste-Marie');
    assert.equal(toggleSaint('Ste-Croix'), 'Sainte-Croix');
  });

  test('a typo is one keyboard slip away', () => {
    const r = createRandom('typo');
    for (let i = 0; i < 200; i++) {
      const word = 'Bouchard';
      const t = typo(r, word);
      assert.ok(Math.abs(t.length - word.length) <= 1);
      assert.equal(t.charAt(0), 'B', 'first letter kept');
    }
  });
});
