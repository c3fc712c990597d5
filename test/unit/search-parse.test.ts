import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fhirDefinitions } from '../../src/fhir/definitions.js';
import { FhirError } from '../../src/fhir/outcomes.js';
import { decodeSearchCursor, encodeSearchCursor, sortFingerprint } from '../../src/fhir/search/cursor.js';
import type { Condition } from '../../src/fhir/search/model.js';
import { parseSearch } from '../../src/fhir/search/parse/request.js';
import { parseQuantity, parseToken, splitUnescaped, splitPrefix } from '../../src/fhir/search/parse/values.js';
import { searchRegistry } from '../../src/fhir/search/registry.js';

fhirDefinitions();
const BASE = 'http://carnet.test/fhir';
const parse = (type: string, query: string, lenient = false) => parseSearch(type, new URLSearchParams(query).entries(), { baseUrl: BASE, lenient });
const only = (type: string, query: string): Condition => {
  const plan = parse(type, query);
  assert.equal(plan.conditions.length, 1);
  return plan.conditions[0] as Condition;
};
type IndexCondition = Extract<Condition, { kind: 'index' }>;
const idx = (c: Condition): IndexCondition => {
  assert.equal(c.kind, 'index');
  return c as IndexCondition;
};
const key = (type: string, code: string) => searchRegistry().param(type, code)?.key;
const invalid = (e: unknown) => e instanceof FhirError && e.status === 400;

describe('search values', () => {
  test('tokens in all four forms, with escapes', () => {
    assert.deepEqual(parseToken('http://s|c', 'x'), { system: 'http://s', code: 'c' });
    assert.deepEqual(parseToken('|c', 'x'), { system: null, code: 'c' });
    assert.deepEqual(parseToken('http://s|', 'x'), { system: 'http://s', code: undefined });
    assert.deepEqual(parseToken('a\\|b', 'x'), { system: undefined, code: 'a|b' });
    assert.throws(() => parseToken('|', 'x'), invalid);
  });
  test('escaped separators do not split', () => {
    assert.deepEqual(splitUnescaped('a\\,b,c', ','), ['a\\,b', 'c']);
    assert.deepEqual(splitUnescaped('x$y\\$z', '$'), ['x', 'y\\$z']);
  });
  test('prefixes', () => {
    assert.deepEqual(splitPrefix('ge2020'), { prefix: 'ge', rest: '2020' });
    assert.deepEqual(splitPrefix('2020'), { prefix: 'eq', rest: '2020' });
    assert.deepEqual(splitPrefix('ap5.4'), { prefix: 'ap', rest: '5.4' });
  });
  test('quantities in UCUM are canonical', () => {
    const q = parseQuantity('5.4|http://unitsofmeasure.org|mmol/L', 'x');
    assert.equal(q.canonical?.code, 'mol.m-3');
    assert.ok(Math.abs((q.canonical?.lo ?? 0) - 5.35) < 1e-9);
    assert.equal(parseQuantity('5.4||mg', 'x').canonical, undefined);
    assert.throws(() => parseQuantity('5.4|http://unitsofmeasure.org|bogus', 'x'), invalid);
  });
});

describe('search requests', () => {
  test('each parameter type becomes a test on its index table', () => {
    assert.deepEqual(only('Patient', 'family=Côté'), { kind: 'index', table: 'search_string', key: key('Patient', 'family'), tests: [{ type: 'string', mode: 'prefix', value: 'cote' }] });
    assert.equal((only('Patient', 'birthdate=ge1980') as { table: string }).table, 'search_date');
    assert.equal((only('Observation', 'value-quantity=5') as { table: string }).table, 'search_quantity');
    assert.equal((only('RiskAssessment', 'probability=0.5') as { table: string }).table, 'search_number');
    assert.equal((only('ValueSet', 'url=http://x') as { table: string }).table, 'search_uri');
  });
  test('commas are OR within a parameter, repetitions are AND', () => {
    const plan = parse('Observation', 'code=a,b&code=c');
    assert.equal(plan.conditions.length, 2);
    assert.equal(idx(plan.conditions[0] as Condition).tests.length, 2);
  });
  test('string modifiers', () => {
    assert.deepEqual(idx(only('Patient', 'name:exact=Éloïse')).tests, [{ type: 'string', mode: 'exact', value: 'Éloïse' }]);
    assert.deepEqual(idx(only('Patient', 'name:contains=LOÏ')).tests, [{ type: 'string', mode: 'contains', value: 'loi' }]);
  });
  test('token modifiers', () => {
    assert.equal((only('Observation', 'code:not=x') as { negate?: boolean }).negate, true);
    assert.equal((only('Observation', 'code:text=glucose') as { table: string }).table, 'search_string');
    assert.deepEqual(idx(only('Patient', 'identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053')).tests, [
      { type: 'token', value: { system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR|446053' } },
    ]);
    assert.equal(only('Observation', 'code:in=http://example.org/vs').kind, 'terminology');
    assert.equal(only('Condition', 'code:below=http://snomed.info/sct|73211009').kind, 'terminology');
    assert.deepEqual(only('Patient', 'gender:missing=true'), { kind: 'missing', table: 'search_token', key: key('Patient', 'gender'), missing: true });
  });
  test('references: relative, id alone, typed, absolute local, external, identifier', () => {
    const targets = (q: string) => (idx(only("Observation", q)).tests[0] as unknown as { targets: string[] }).targets;
    assert.deepEqual(targets('subject=Patient/1'), ['Patient/1']);
    assert.deepEqual(targets(`subject=${BASE}/Patient/1`), ['Patient/1']);
    assert.deepEqual(targets('subject:Patient=1'), ['Patient/1']);
    assert.deepEqual(targets('subject=https://elsewhere.example/fhir/Patient/1'), ['https://elsewhere.example/fhir/Patient/1']);
    assert.ok(targets('subject=1').includes('Group/1') && targets('subject=1').includes('Patient/1'));
    assert.deepEqual(targets('patient=1'), ['Patient/1']);
    assert.equal(idx(only('Observation', 'subject:identifier=urn:ramq|X')).tests[0]?.type, 'reference-identifier');
    assert.throws(() => parse('Observation', 'patient:Group=1'), invalid);
  });
  test('chains of any depth, with and without a type', () => {
    const c = only('Observation', 'subject:Patient.organization.name=CISSS') as Extract<Condition, { kind: 'chain' }>;
    assert.equal(c.kind, 'chain');
    assert.deepEqual(c.targets.map((t) => t.type), ['Patient']);
    assert.equal(c.targets[0]?.inner[0]?.kind, 'chain');
    const untyped = only('Observation', 'subject.name=x') as Extract<Condition, { kind: 'chain' }>;
    assert.ok(untyped.targets.length > 1 && untyped.targets.every((t) => searchRegistry().param(t.type, 'name')));
    assert.throws(() => parse('Observation', 'code.name=x'), invalid);
  });
  test('_has, nested', () => {
    const c = only('Patient', '_has:Observation:patient:_has:Provenance:target:agent=Practitioner/1') as Extract<Condition, { kind: 'has' }>;
    assert.equal(c.kind, 'has');
    assert.equal(c.sourceType, 'Observation');
    assert.equal(c.inner[0]?.kind, 'has');
    assert.throws(() => parse('Patient', '_has:Observation:code:status=final'), invalid);
  });
  test('composites need every component', () => {
    const c = only('Observation', 'code-value-quantity=http://loinc.org|8480-6$gt120') as Extract<Condition, { kind: 'composite' }>;
    assert.equal(c.alternatives[0]?.length, 2);
    assert.throws(() => parse('Observation', 'code-value-quantity=8480-6'), invalid);
  });
  test('result parameters', () => {
    const plan = parse('Observation', '_count=5&_sort=-date,_id&_total=accurate&_summary=data&_include=Observation:patient&_revinclude:iterate=Provenance:target&_elements=code,value');
    assert.equal(plan.count, 5);
    assert.deepEqual(plan.sort.map((s) => [s.by, s.descending]), [['param', true], ['id', false]]);
    assert.equal(plan.total, 'accurate');
    assert.equal(plan.summary, 'data');
    assert.deepEqual(plan.include.map((i) => [i.sourceType, i.iterate]), [['Observation', false]]);
    assert.deepEqual(plan.revinclude.map((i) => [i.sourceType, i.iterate]), [['Provenance', true]]);
    assert.deepEqual(plan.elements, ['code', 'value']);
    assert.equal(parse('Patient', '_count=100000').count, 1000);
  });
  test('unknown parameters: 400, or ignored and reported when lenient', () => {
    assert.throws(() => parse('Patient', 'bogus=1'), invalid);
    const plan = parse('Patient', 'bogus=1&family=x', true);
    assert.deepEqual(plan.ignored, ['bogus']);
    assert.equal(plan.conditions.length, 1);
    for (const bad of ['family:bogus=x', 'birthdate=yesterday', 'family=', '_sort=code-value-quantity', '_include=Patient:family', '_total=maybe']) {
      assert.throws(() => parse(bad.startsWith('_sort=code') ? 'Observation' : 'Patient', bad), invalid, bad);
    }
  });
});

describe('paging cursors', () => {
  test('round trip, and refused for another sort order', () => {
    const fp = sortFingerprint('Observation', []);
    const raw = encodeSearchCursor({ direction: 'next', values: [], rid: '42' }, fp);
    assert.deepEqual(decodeSearchCursor(raw, fp, 0), { direction: 'next', values: [], rid: '42' });
    assert.throws(() => decodeSearchCursor(raw, 'other', 0), invalid);
    assert.throws(() => decodeSearchCursor('garbage', fp, 0), invalid);
  });
});
