import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Resource } from '@medplum/fhirtypes';
import { rewriteReferences } from '../../src/fhir/references.js';
import { patchedNumbers } from '../../src/fhir/write/patch.js';
import { sameContent, stamp } from '../../src/fhir/write/versioning.js';
import { isLossless, parseJsonNumbers, scanJson, stringifyJson, writtenNumbers } from '../../src/fhir/written-numbers.js';

/** Issue #13: FHIR decimals keep their precision — 1.50 stays 1.50, a 400-digit value is not rounded. */
const LONG = `3.${'1415926535'.repeat(40)}`; // 400 digits after the point
const HUGE = `1${'0'.repeat(399)}`; // a 400-digit whole number: Infinity as a double

const roundTrip = (text: string): string => {
  const parsed = parseJsonNumbers(text);
  return stringifyJson(parsed, writtenNumbers(parsed));
};

describe('decimals as written', () => {
  test('a number is lossless when its double prints it back exactly', () => {
    for (const text of ['0', '1', '-12', '1.5', '0.1', '123456789012345']) assert.ok(isLossless(text), text);
    for (const text of ['1.50', '1e2', '-0', '1.0', LONG, HUGE, '12345678901234567890', '0.0000001']) assert.ok(!isLossless(text), text);
  });

  test('the scan counts numbers outside strings and finds those a double loses, in order', () => {
    const scan = scanJson('{"a":"1.50 \\" 2.0","b":[1,1.50,{"c":-0}],"d":7}');
    assert.equal(scan.numbers, 4);
    assert.deepEqual(scan.lossy, [{ ordinal: 1, text: '1.50' }, { ordinal: 2, text: '-0' }]);
    assert.equal(scan.depth, 3);
  });

  test('1.50, exponents, -0 and 400-digit values come back as written; other numbers as usual', () => {
    const text = `{"resourceType":"Observation","valueQuantity":{"value":1.50,"unit":"mg"},"component":[{"valueQuantity":{"value":${LONG}}},{"valueQuantity":{"value":${HUGE}}},{"valueInteger":3},{"valueQuantity":{"value":2.5e3}},{"valueQuantity":{"value":-0}}]}`;
    assert.equal(roundTrip(text), text);
    assert.equal(roundTrip('{"a":[1,2.5,"1.50"]}'), '{"a":[1,2.5,"1.50"]}');
    // Everything else reads ordinary numbers.
    const parsed = parseJsonNumbers(text) as { valueQuantity: { value: number } };
    assert.equal(parsed.valueQuantity.value, 1.5);
  });

  test('the paths survive the copies of the write pipeline; a value that changed is written as it is now', () => {
    const body = parseJsonNumbers('{"resourceType":"Observation","subject":{"reference":"urn:uuid:1"},"valueQuantity":{"value":1.50}}') as Resource;
    const written = writtenNumbers(body);
    const copied = stamp(rewriteReferences(body, new Map([['urn:uuid:1', 'Patient/p']])), 'o1', 1, '2026-01-01T00:00:00Z');
    assert.match(stringifyJson(copied, written), /"value":1\.50}/);
    (copied as { valueQuantity: { value: number } }).valueQuantity.value = 2;
    assert.match(stringifyJson(copied, written), /"value":2}/);
  });

  test('an update from 1.5 to 1.50 is a change, not the same content', () => {
    const stored = '{"resourceType":"Observation","id":"o","meta":{"versionId":"1"},"valueQuantity":{"value":1.5}}';
    const candidate = parseJsonNumbers('{"resourceType":"Observation","id":"o","valueQuantity":{"value":1.50}}') as Resource;
    assert.equal(sameContent(stored, candidate, writtenNumbers(candidate)), false);
    const same = parseJsonNumbers('{"resourceType":"Observation","id":"o","valueQuantity":{"value":1.5}}') as Resource;
    assert.equal(sameContent(stored, same, writtenNumbers(same)), true);
    const storedPrecise = '{"resourceType":"Observation","id":"o","valueQuantity":{"value":1.50}}';
    assert.equal(sameContent(storedPrecise, candidate, writtenNumbers(candidate)), true);
    assert.equal(sameContent(storedPrecise, same, writtenNumbers(same)), false);
  });

  test('a JSON Patch: added or replaced values as written, replaced or removed ones forgotten', () => {
    const before = new Map([['/valueQuantity/value', '1.50'], ['/component/0/valueQuantity/value', '2.0']]);
    const patch = parseJsonNumbers('[{"op":"replace","path":"/valueQuantity","value":{"value":3.10,"unit":"mg"}},{"op":"remove","path":"/component/0"},{"op":"add","path":"/referenceRange/0/low/value","value":0.50}]');
    assert.deepEqual([...(patchedNumbers(before, patch) ?? [])].sort(), [['/referenceRange/0/low/value', '0.50'], ['/valueQuantity/value', '3.10']]);
  });

  test('repeated keys (not FHIR) leave the numbers as parsed instead of misplacing them', () => {
    const parsed = parseJsonNumbers('{"a":1.50,"a":2.50,"b":3.0}');
    assert.deepEqual(parsed, { a: 2.5, b: 3 });
    assert.equal(writtenNumbers(parsed), undefined);
  });
});
