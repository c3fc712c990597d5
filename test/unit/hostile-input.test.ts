import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Resource } from '@medplum/fhirtypes';
import { FhirError } from '../../src/fhir/outcomes.js';
import { parseSearch, SEARCH_LIMITS } from '../../src/fhir/search/parse/request.js';
import { applyJsonPatch } from '../../src/fhir/write/patch.js';
import { charsetOf, decodeBody, jsonDepth, MAX_JSON_DEPTH, parseJsonBody } from '../../src/http/json-body.js';

/** Issue #13, hostile and odd input: each was a 500 or silently altered data; now a 4xx FhirError or the data as sent. */
const status = (run: () => unknown): number | 'ok' => {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof FhirError) return error.status;
    throw error;
  }
};

describe('JSON bodies', () => {
  test('nested 10,000 deep is a 400 before anything recursive sees it', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    assert.equal(status(() => parseJsonBody(Buffer.from(deep), 'application/fhir+json')), 400);
    const deepObject = `{"resourceType":"Patient","extension":${'[{"url":"x","extension":'.repeat(5_000)}[]${'}]'.repeat(5_000)}}`;
    assert.equal(status(() => parseJsonBody(Buffer.from(deepObject), 'application/fhir+json')), 400);
  });
  test('the depth count ignores brackets inside strings and escaped quotes', () => {
    assert.equal(jsonDepth('{"a":"[[[{{{\\"[[["}'), 1);
    assert.equal(jsonDepth('[[1],[2,[3]]]'), 3);
    const atLimit = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    assert.equal(status(() => parseJsonBody(Buffer.from(atLimit), undefined)), 'ok');
  });
  test('invalid UTF-8 is refused, not stored as U+FFFD', () => {
    const bytes = Buffer.concat([Buffer.from('{"family":"B'), Buffer.from([0xe9]), Buffer.from('land"}')]);
    assert.equal(status(() => parseJsonBody(bytes, 'application/fhir+json')), 400);
    assert.equal(status(() => parseJsonBody(bytes, 'application/fhir+json; charset=utf-8')), 400);
  });
  test('a declared charset=iso-8859-1 is decoded: "Béland" stays "Béland"', () => {
    const bytes = Buffer.from('{"family":"Béland"}', 'latin1');
    assert.deepEqual(parseJsonBody(bytes, 'application/fhir+json; charset=ISO-8859-1'), { family: 'Béland' });
    assert.deepEqual(parseJsonBody(Buffer.from('{"family":"Béland"}'), 'application/fhir+json;charset="utf-8"'), { family: 'Béland' });
  });
  test('a charset Carnet does not decode is a 415; a UTF-8 byte-order mark is dropped', () => {
    assert.equal(status(() => decodeBody(Buffer.from('{}'), 'application/json; charset=koi8-r')), 415);
    assert.equal(charsetOf('application/json; Charset = UTF-8'), 'utf-8');
    assert.deepEqual(parseJsonBody(Buffer.from('\ufeff{"a":1}'), 'application/json'), { a: 1 });
  });
});

describe('NUL characters', () => {
  test('in a search value or parameter name (from a URL, a header or a conditional reference) is a 400', () => {
    for (const params of [[['identifier', 'a\u0000b']], [['code', 'x\u0000']], [['na\u0000me', 'x']]] as [string, string][][]) {
      assert.equal(status(() => parseSearch('Patient', params, { baseUrl: 'http://c.test/fhir' })), 400);
    }
  });
});

describe('JSON Patch', () => {
  const current = { resourceType: 'Patient', id: 'p', active: true, name: [{ family: 'x' }] } as Resource;
  const patches: unknown[][] = [
    [{ op: 'add', path: '/__proto__/polluted', value: true }],
    [{ op: 'add', path: '/__proto__', value: { polluted: true } }],
    [{ op: 'replace', path: '/constructor/prototype/polluted', value: true }],
    [{ op: 'copy', from: '/__proto__', path: '/x' }],
    [{ op: 'test', path: '/name/__proto__', value: 1 }],
    [{ op: 'move', from: '/name/0', path: '/name/0/x' }],
  ];
  for (const patch of patches) {
    test(`${JSON.stringify(patch)} is a 400 and pollutes nothing`, () => {
      assert.equal(status(() => applyJsonPatch(current, patch)), 400);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }
});

describe('bounded search work', () => {
  const parse = (params: [string, string][]) => () => parseSearch('Patient', params, { baseUrl: 'http://c.test/fhir' });
  const repeat = (n: number, pair: [string, string]): [string, string][] => Array.from({ length: n }, () => pair);
  test(`at most ${SEARCH_LIMITS.parameters} filtering parameters, repetitions included (name=a ×200 took 19 s)`, () => {
    assert.equal(status(parse(repeat(SEARCH_LIMITS.parameters, ['name', 'a']))), 'ok');
    assert.equal(status(parse(repeat(SEARCH_LIMITS.parameters + 1, ['name', 'a']))), 400);
    assert.equal(status(parse([...repeat(SEARCH_LIMITS.parameters, ['name', 'a']), ['_count', '10'], ['_sort', 'name']])), 'ok', 'result parameters do not count');
  });
  test(`at most ${SEARCH_LIMITS.valuesPerParameter} values in one parameter`, () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`).join(',');
    assert.equal(status(parse([['identifier', values(SEARCH_LIMITS.valuesPerParameter)]])), 'ok');
    assert.equal(status(parse([['identifier', values(SEARCH_LIMITS.valuesPerParameter + 1)]])), 400);
  });
  test(`at most ${SEARCH_LIMITS.includes} _include and _revinclude`, () => {
    assert.equal(status(parse(repeat(SEARCH_LIMITS.includes, ['_include', 'Patient:organization']))), 'ok');
    assert.equal(status(parse(repeat(SEARCH_LIMITS.includes + 1, ['_revinclude', 'Observation:subject']))), 400);
  });
  test('the refusal says too-costly', () => {
    try {
      parse(repeat(SEARCH_LIMITS.parameters + 1, ['name', 'a']))();
      assert.fail('not refused');
    } catch (error) {
      assert.equal((error as FhirError).outcome.issue?.[0]?.code, 'too-costly');
    }
  });
});
