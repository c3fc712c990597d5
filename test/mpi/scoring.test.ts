import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blockingKeys } from '../../src/mpi/blocking.js';
import { decide, type ScoredCandidate } from '../../src/mpi/decision.js';
import { DEFAULT_MODEL } from '../../src/mpi/defaults.js';
import { expectationMaximisation, seededRandom, type Vector } from '../../src/mpi/em.js';
import { formatEnterpriseId, isValidEnterpriseId } from '../../src/mpi/enterprise-id.js';
import { MemoryLinker } from '../../src/mpi/linker.js';
import { compileModel, probabilityOf, scorePair } from '../../src/mpi/model.js';
import { nameTokens } from '../../src/mpi/normalise.js';
import { compact, type MatchRecord } from '../../src/mpi/record.js';

let n = 0;
const rec = (given: string, family: string, birthDate: string, extra: Partial<MatchRecord> = {}): MatchRecord =>
  compact({ id: `r${++n}`, given: nameTokens(given), family: [nameTokens(family)], birthDate, sex: 'female', ...extra }) as unknown as MatchRecord;

const compiled = compileModel(DEFAULT_MODEL);

describe('Fellegi–Sunter scoring', () => {
  test('agreement adds evidence, disagreement removes it, missing values are neutral', () => {
    const a = rec('Marie-Ève', 'Tremblay', '1980-03-07', { postalCode: 'H2X1Y4' });
    const same = scorePair(compiled, a, rec('Marie Eve', 'TREMBLAY', '1980-03-07', { postalCode: 'H2X1Y4' }));
    const noPostal = scorePair(compiled, a, rec('Marie Eve', 'TREMBLAY', '1980-03-07'));
    const other = scorePair(compiled, a, rec('Louise', 'Gagnon', '1955-11-23', { postalCode: 'G1R2B5' }));
    assert.ok(same.weight > noPostal.weight);
    assert.ok(noPostal.weight > DEFAULT_MODEL.upper);
    assert.ok(other.weight < DEFAULT_MODEL.lower);
    assert.ok(probabilityOf(DEFAULT_MODEL, same.weight) > 0.999);
    assert.ok(probabilityOf(DEFAULT_MODEL, other.weight) < 0.001);
  });

  test('given and family names written in each other’s place still match, with a penalty', () => {
    const a = rec('Gagnon', 'Sylvie', '1971-05-02');
    const b = rec('Sylvie', 'Gagnon', '1971-05-02');
    const score = scorePair(compiled, a, b);
    assert.equal(score.transposed, true);
    const straight = scorePair(compiled, b, rec('Sylvie', 'Gagnon', '1971-05-02'));
    assert.ok(Math.abs(straight.weight - score.weight - DEFAULT_MODEL.transpositionPenalty) < 1e-9);
  });

  test('household fields together add at most the household cap', () => {
    const contact = { postalCode: 'H2X1Y4', phone: '5145550199', street: '12 rue saint denis', city: 'montreal', email: 'a@b.ca' };
    const a = rec('Luc', 'Roy', '1990-01-01', contact);
    const withContact = scorePair(compiled, a, rec('Luc', 'Roy', '1990-01-01', contact)).weight;
    const without = scorePair(compiled, a, rec('Luc', 'Roy', '1990-01-01')).weight;
    assert.ok(Math.abs(withContact - without - DEFAULT_MODEL.householdCap) < 1e-9);
  });
});

describe('decisions and thresholds', () => {
  const incoming = rec('Marie', 'Tremblay', '1980-03-07', { nam: 'TREM80530712', source: 'urn:hospital:a' });
  const candidate = (record: MatchRecord, personId: string): ScoredCandidate => ({ record, personId, score: scorePair(compiled, incoming, record) });

  test('above the upper threshold: automatic link', () => {
    const d = decide(incoming, [candidate(rec('Marie', 'Tremblay', '1980-03-07', { nam: 'TREM80530712' }), 'P1')], DEFAULT_MODEL);
    assert.equal(d.kind, 'link');
  });
  test('between the thresholds: review; below: new person', () => {
    const between = decide(incoming, [candidate(rec('Marie', 'Tremblay', '1980-03-19'), 'P1')], DEFAULT_MODEL);
    assert.equal(between.kind, 'review');
    const below = decide(incoming, [candidate(rec('Louise', 'Gagnon', '1955-11-23'), 'P2')], DEFAULT_MODEL);
    assert.equal(below.kind, 'new');
  });
  test('twins (same family, date, address; different given name and NAM) are never linked automatically', () => {
    const home = { postalCode: 'H2X1Y4', phone: '5145550199', street: '12 rue saint denis', city: 'montreal' };
    const twin1 = rec('Jean-François', 'Roy', '2001-06-01', { ...home, nam: 'ROYJ01060111', sex: 'male' });
    const twin2 = rec('Jean-Philippe', 'Roy', '2001-06-01', { ...home, nam: 'ROYJ01060122', sex: 'male' });
    const d = decide(twin2, [{ record: twin1, personId: 'P1', score: scorePair(compiled, twin2, twin1) }], DEFAULT_MODEL);
    assert.notEqual(d.kind, 'link');
  });
  test('namesakes born the same day (NAMs differing in their sequence digits) are never linked automatically', () => {
    const home = { postalCode: 'H2X1Y4', city: 'montreal' };
    const a = rec('Marie', 'Tremblay', '1950-03-04', { ...home, nam: 'TREM50530411' });
    const b = rec('Marie', 'Tremblay', '1950-03-04', { ...home, nam: 'TREM50530421' });
    const d = decide(a, [{ record: b, personId: 'P1', score: scorePair(compiled, a, b) }], DEFAULT_MODEL);
    assert.ok(d.kind === 'review' && d.review[0]?.guard === 'nam-conflict');
  });
  test('a person with another record carrying a namesake NAM is not linked through its record without NAM', () => {
    const incoming = rec('Marie', 'Tremblay', '1994-09-18', { nam: 'TREM94591815' });
    const withoutNam = rec('Marie', 'Tremblay', '1994-09-18');
    const otherNam = rec('Marie', 'Tremblay', '1994-09-18', { nam: 'TREM94591822' });
    const scored = [withoutNam, otherNam].map((record) => ({ record, personId: 'P1', score: scorePair(compiled, incoming, record) }));
    const d = decide(incoming, scored, DEFAULT_MODEL);
    assert.ok(d.kind === 'review' && d.review[0]?.guard === 'nam-conflict');
  });
  test('a father above the upper threshold does not make his son’s record ambiguous: he is guarded apart', () => {
    const home = { postalCode: 'J4K9J0', phone: '4505555579', street: '12 rue principale', city: 'longueuil', sex: 'male' };
    const son = rec('Patrick', 'Bouchard', '1994-01-20', { ...home, nam: 'BOUP94012010', source: 'urn:pharmacy:a' });
    const sonBefore = rec('Patrick', 'Bouchard', '1994-01-20', { ...home, nam: 'BOUP94012010', suffix: 'jr' });
    const father = rec('Patrick', 'Bouchard', '1972-09-23', { ...home, nam: 'BOUP72092315', suffix: 'sr' });
    const scored = [{ record: father, personId: 'PF' }, { record: sonBefore, personId: 'PS' }].map((c) => ({ ...c, score: scorePair(compiled, son, c.record) }));
    assert.ok((scored[0]?.score.weight ?? 0) >= DEFAULT_MODEL.upper, 'the household cap lifts the father above the upper threshold');
    const d = decide(son, scored, DEFAULT_MODEL);
    assert.ok(d.kind === 'link' && d.personId === 'PS', 'linked to the son');
    assert.ok(d.kind === 'link' && d.review.some((c) => c.personId === 'PF'), 'the father stays in the review list');
    // Both plausible: still ambiguous.
    const twice = decide(son, [sonBefore, { ...sonBefore, id: 'again' }].map((record, i) => ({ record, personId: `P${i}`, score: scorePair(compiled, son, record) })), DEFAULT_MODEL);
    assert.ok(twice.kind === 'review' && twice.review.every((c) => c.guard === 'ambiguous'));
  });
  test('a NAM mistyped in its sequence character is linked when everything else, home included, agrees exactly', () => {
    const home = { postalCode: 'J9P5E9', phone: '8195558464', street: '4 rue des pins', city: 'val-dor' };
    const a = rec('Marie-France', 'Turcotte', '1969-06-10', { ...home, nam: 'TURM69561026' });
    const b = rec('Marie-France', 'Turcotte', '1969-06-10', { ...home, nam: 'TURM69561016' });
    assert.equal(decide(a, [{ record: b, personId: 'P1', score: scorePair(compiled, a, b) }], DEFAULT_MODEL).kind, 'link');
    // Another home: namesakes born the same day.
    const elsewhere = { ...b, phone: '5145550000', street: '9 rue ontario' };
    const d = decide(a, [{ record: elsewhere, personId: 'P1', score: scorePair(compiled, a, elsewhere) }], DEFAULT_MODEL);
    assert.ok(d.kind === 'review' && d.review[0]?.guard === 'nam-conflict');
  });
  test('two NAMs each their own holder’s (own date and initial, two characters apart) are never linked automatically', () => {
    const home = { postalCode: 'J4N5S5', phone: '5795555844', street: '3 rue cyr', city: 'longueuil' };
    // Twins: Sarah and Marie-Sarah (a first part dropped reads as the same name).
    const sarah = rec('Sarah', 'Cyr', '1993-03-25', { ...home, nam: 'CYRS93532517' });
    const marieSarah = rec('Marie-Sarah', 'Cyr', '1993-03-25', { ...home, nam: 'CYRM93532511' });
    const score = scorePair(compiled, sarah, marieSarah);
    assert.ok(score.weight >= DEFAULT_MODEL.upper + DEFAULT_MODEL.namConflictMargin, 'the weight alone would link them');
    const d = decide(sarah, [{ record: marieSarah, personId: 'P1', score }], DEFAULT_MODEL);
    assert.ok(d.kind === 'review' && d.review[0]?.guard === 'nam-conflict');
  });
  test('guards: two certain persons, a human rejection, a second record from the same source', () => {
    const twin = rec('Marie', 'Tremblay', '1980-03-07', { nam: 'TREM80530712' });
    const ambiguous = decide(incoming, [candidate(twin, 'P1'), candidate({ ...twin, id: 'other' }, 'P2')], DEFAULT_MODEL);
    assert.equal(ambiguous.kind, 'review');
    assert.ok(ambiguous.kind === 'review' && ambiguous.review.every((c) => c.guard === 'ambiguous'));
    const rejected = decide(incoming, [candidate(twin, 'P1')], DEFAULT_MODEL, { rejectedPersons: new Set(['P1']) });
    assert.equal(rejected.kind, 'new');
    const sameSource = decide(incoming, [candidate({ ...twin, source: 'urn:hospital:a' }, 'P1')], DEFAULT_MODEL);
    assert.ok(sameSource.kind === 'review' && sameSource.review[0]?.guard === 'same-source');
  });
});

describe('blocking', () => {
  test('duplicates with one wrong field still share a key; transposed names share the name key', () => {
    const a = rec('Sylvie', 'Gagnon', '1971-05-02', { nam: 'GAGS71550211' });
    const keys = new Set(blockingKeys(a));
    const shares = (b: MatchRecord) => blockingKeys(b).some((k) => keys.has(k));
    assert.ok(shares(rec('Sylvie', 'Gagnon', '1971-02-05')), 'day/month swapped');
    assert.ok(shares(rec('Silvie', 'Gagnon-Roy', '1971-05-02')), 'names changed');
    assert.ok(shares(rec('Gagnon', 'Sylvie', '1980-01-01')), 'transposed names, wrong date');
    assert.ok(shares(rec('Zoé', 'Zed', '1999-09-09', { nam: 'GAGS71550211' })), 'same NAM');
    assert.ok(!shares(rec('Luc', 'Roy', '1990-01-01')));
  });
});

describe('EM estimation', () => {
  test('recovers m, u and λ of a known two-class mixture', () => {
    const random = seededRandom(7);
    const truth = {
      lambda: 0.2,
      m: [[0.9, 0.07, 0.03], [0.85, 0.15], [0.8, 0.1, 0.1]],
      u: [[0.05, 0.15, 0.8], [0.1, 0.9], [0.02, 0.08, 0.9]],
    };
    const draw = (p: number[]) => {
      let x = random();
      for (let i = 0; i < p.length; i++) {
        x -= p[i] as number;
        if (x < 0) return i;
      }
      return p.length - 1;
    };
    const vectors: Vector[] = [];
    for (let i = 0; i < 40_000; i++) {
      const match = random() < truth.lambda;
      vectors.push((match ? truth.m : truth.u).map((p) => (random() < 0.05 ? null : draw(p))));
    }
    const start = { lambda: 0.5, m: [[0.6, 0.2, 0.2], [0.6, 0.4], [0.6, 0.2, 0.2]], u: [[0.2, 0.2, 0.6], [0.4, 0.6], [0.2, 0.2, 0.6]] };
    const result = expectationMaximisation(vectors, start);
    assert.ok(result.converged);
    assert.ok(Math.abs(result.lambda - truth.lambda) < 0.02, `λ ${result.lambda}`);
    result.m.forEach((levels, f) => levels.forEach((p, l) => assert.ok(Math.abs(p - (truth.m[f]?.[l] as number)) < 0.03, `m[${f}][${l}] = ${p}`)));
    result.u.forEach((levels, f) => levels.forEach((p, l) => assert.ok(Math.abs(p - (truth.u[f]?.[l] as number)) < 0.03, `u[${f}][${l}] = ${p}`)));
  });
});

describe('in-memory linkage', () => {
  test('a duplicate joins its person, a stranger starts a new one', () => {
    const linker = new MemoryLinker(DEFAULT_MODEL);
    const first = linker.add(rec('Gabrielle', 'Bouchard', '1965-12-24', { nam: 'BOUG65622412' }));
    const dup = linker.add(rec('Gabriele', 'Bouchard', '1965-12-24', { nam: 'BOUG65622412' }));
    const other = linker.add(rec('Rémi', 'Poirier', '1948-04-30'));
    assert.equal(dup.personId, first.personId);
    assert.notEqual(other.personId, first.personId);
  });
});

describe('enterprise identifiers', () => {
  test('are ten digits with a Luhn check digit that catches a typo', () => {
    const id = formatEnterpriseId(123);
    assert.match(id, /^\d{10}$/);
    assert.ok(isValidEnterpriseId(id));
    assert.ok(!isValidEnterpriseId(`${id.slice(0, 8)}${(Number(id[8]) + 1) % 10}${id[9]}`));
  });
});
