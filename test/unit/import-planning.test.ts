import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Bundle } from '@medplum/fhirtypes';
import { planBundle, planImportEntry, resourceWrite } from '../../src/import/plan.js';
import { FhirError } from '../../src/fhir/outcomes.js';

const uuid = '5b6d2c2e-1111-4c3a-9d1e-000000000001';

describe('import planning', () => {
  test('a POST with a urn:uuid fullUrl becomes an update-as-create under that uuid', () => {
    const op = planImportEntry({ fullUrl: `urn:uuid:${uuid}`, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }, 0);
    assert.deepEqual(op, { kind: 'update', resourceType: 'Patient', id: uuid, resource: { resourceType: 'Patient', id: uuid }, fullUrl: `urn:uuid:${uuid}` });
  });

  test('directory resources with an identifier become conditional creates on it, escaped', () => {
    const op = planImportEntry({
      fullUrl: `urn:uuid:${uuid}`,
      resource: { resourceType: 'Organization', identifier: [{ system: 'https://github.com/synthetichealth/synthea', value: 'a|b,c' }] },
      request: { method: 'POST', url: 'Organization' },
    }, 0);
    assert.equal(op?.kind, 'create');
    assert.equal(op?.kind === 'create' ? decodeURIComponent(op.ifNoneExist?.slice('identifier='.length) ?? '') : '', 'https://github.com/synthetichealth/synthea|a\\|b\\,c');
  });

  test('directory resources without identifier and explicit ifNoneExist keep plain semantics', () => {
    const plain = planImportEntry({ fullUrl: `urn:uuid:${uuid}`, resource: { resourceType: 'Organization', name: 'x' }, request: { method: 'POST', url: 'Organization' } }, 0);
    assert.equal(plain?.kind, 'update');
    const explicit = planImportEntry({ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=a|1' } }, 0);
    assert.deepEqual(explicit, { kind: 'create', resource: { resourceType: 'Patient' }, ifNoneExist: 'identifier=a|1' });
  });

  test('other methods keep their transaction meaning; reads are skipped; order is R4 processing order', () => {
    const bundle: Bundle = {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', id: 'p1' }, request: { method: 'PUT', url: 'Patient/p1' } },
        { request: { method: 'GET', url: 'Patient/p1' } },
        { request: { method: 'DELETE', url: 'Patient/old' } },
      ],
    };
    const plan = planBundle(bundle);
    assert.deepEqual(plan.ops.map((o) => o.kind), ['delete', 'update']);
    assert.deepEqual(plan.entryIndexes, [2, 0]);
    assert.equal(plan.skipped, 1);
    assert.equal(plan.transaction, true);
  });

  test('collections store each resource under its own id', () => {
    const plan = planBundle({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', id: 'a' } }, { resource: { resourceType: 'Patient' } }] });
    assert.deepEqual(plan.ops.map((o) => o.kind), ['update', 'create']);
    assert.equal(plan.transaction, false);
    assert.equal(resourceWrite(undefined), undefined);
  });

  test('an entry without request is a located 400', () => {
    assert.throws(() => planImportEntry({ resource: { resourceType: 'Patient' } }, 3), (e: FhirError) => e.status === 400 && /entry\[3\]/.test(e.message));
  });
});
