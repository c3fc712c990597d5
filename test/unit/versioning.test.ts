import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Patient } from '@medplum/fhirtypes';
import { FhirError } from '../../src/fhir/outcomes.js';
import { assertValidId, checkIfMatch, parseVersionTag, sameContent, stamp } from '../../src/fhir/write/versioning.js';

describe('versioning', () => {
  test('stamp sets id and server meta, keeps client meta, orders keys', () => {
    const p: Patient = { resourceType: 'Patient', gender: 'male', id: 'old', meta: { tag: [{ code: 't' }], versionId: '9' } };
    const s = stamp(p, 'new', 2, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(Object.keys(s), ['resourceType', 'id', 'meta', 'gender']);
    assert.deepEqual(s.meta, { tag: [{ code: 't' }], versionId: '2', lastUpdated: '2026-01-01T00:00:00.000Z' });
  });

  test('sameContent ignores versionId, lastUpdated and key order only', () => {
    const stored = JSON.stringify({ resourceType: 'Patient', id: 'a', meta: { versionId: '3', lastUpdated: 'x' }, gender: 'male', active: true });
    assert.equal(sameContent(stored, { resourceType: 'Patient', active: true, gender: 'male', id: 'a' } as Patient), true);
    assert.equal(sameContent(stored, { resourceType: 'Patient', id: 'a', gender: 'female', active: true } as Patient), false);
    assert.equal(sameContent(stored, { resourceType: 'Patient', id: 'a', gender: 'male', active: true, meta: { tag: [{ code: 'x' }] } } as Patient), false);
  });

  test('parses ETags in their usual forms', () => {
    assert.equal(parseVersionTag('W/"3"'), 3);
    assert.equal(parseVersionTag('"12"'), 12);
    assert.equal(parseVersionTag('7'), 7);
    assert.throws(() => parseVersionTag('W/"abc"'), FhirError);
  });

  test('If-Match: stale version and missing resource are 412', () => {
    assert.doesNotThrow(() => checkIfMatch('W/"2"', { versionId: 2, deleted: false }, 'Patient/1'));
    assert.doesNotThrow(() => checkIfMatch(undefined, undefined, 'Patient/1'));
    for (const current of [{ versionId: 3, deleted: false }, { versionId: 2, deleted: true }, undefined]) {
      assert.throws(() => checkIfMatch('W/"2"', current, 'Patient/1'), (e: FhirError) => e.status === 412);
    }
  });

  test('ids follow the FHIR id pattern', () => {
    assert.doesNotThrow(() => assertValidId('abc-123.DEF'));
    for (const bad of ['', 'a/b', 'a b', 'x'.repeat(65), 'é']) assert.throws(() => assertValidId(bad), FhirError, bad);
  });
});
