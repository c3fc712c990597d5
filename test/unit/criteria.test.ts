import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCriteria, parseCriteriaString, parseTokenValue } from '../../src/fhir/criteria.js';
import { fhirDefinitions } from '../../src/fhir/definitions.js';
import { FhirError } from '../../src/fhir/outcomes.js';

fhirDefinitions();

describe('search criteria', () => {
  test('token values in all four forms', () => {
    assert.deepEqual(parseTokenValue('http://s|c'), { system: 'http://s', code: 'c' });
    assert.deepEqual(parseTokenValue('|c'), { system: null, code: 'c' });
    assert.deepEqual(parseTokenValue('http://s|'), { system: 'http://s', code: undefined });
    assert.deepEqual(parseTokenValue('c'), { system: undefined, code: 'c' });
  });

  test('parses _id and token parameters, commas as OR with escapes', () => {
    const c = parseCriteriaString('Patient', '_id=a,b&identifier=urn:x|1\\,2,urn:y|3');
    assert.deepEqual(c.clauses, [
      { kind: 'id', ids: ['a', 'b'] },
      { kind: 'token', param: 'identifier', values: [{ system: 'urn:x', code: '1,2' }, { system: 'urn:y', code: '3' }] },
    ]);
  });

  test('result parameters do not filter', () => {
    assert.deepEqual(parseCriteria('Observation', [['_count', '5'], ['code', 'x']]).clauses, [
      { kind: 'token', param: 'code', values: [{ system: undefined, code: 'x' }] },
    ]);
  });

  test('unknown parameters, empty values and empty criteria are 400', () => {
    for (const q of ['family=x', 'identifier=', 'identifier=|', '']) {
      assert.throws(() => parseCriteriaString('Patient', q), (e: FhirError) => e.status === 400, q);
    }
  });
});
