import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { patientCompartmentOf } from '../../src/fhir/compartment.js';
import { fhirDefinitions } from '../../src/fhir/definitions.js';
import { extractIndex } from '../../src/fhir/search/extract/index.js';
import { searchRegistry, type ParamDef } from '../../src/fhir/search/registry.js';
import { writeVersions, type NewVersion } from '../../src/storage/resource-store.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { plant, type Planted } from './planting.js';

/**
 * Walks the R4 search parameter definitions: for every parameter of every resource type, a resource is
 * stored with a value where the parameter's FHIRPath looks, and the parameter must find it — and must not
 * find it with another value. Resources are written straight through the index writer (not the validating
 * API, whose minimal resources would fail unrelated invariants): what is under test is indexing and search.
 */
const MANUAL: Record<string, Planted> = {
  'Bundle.composition': {
    resource: { resourceType: 'Bundle', type: 'document', entry: [{ resource: { resourceType: 'Composition', id: 'planted' } }] },
    query: 'composition=Composition/planted', miss: 'composition=Composition/nomatch',
  },
  'Bundle.message': {
    resource: { resourceType: 'Bundle', type: 'message', entry: [{ resource: { resourceType: 'MessageHeader', id: 'planted' } }] },
    query: 'message=MessageHeader/planted', miss: 'message=MessageHeader/nomatch',
  },
  'Location.near': {
    resource: { resourceType: 'Location', position: { latitude: 48.4284, longitude: -71.0537 } },
    query: 'near=48.43|-71.05|2|km', miss: 'near=45.5|-73.6|2|km',
  },
  'Patient.deceased': { resource: { resourceType: 'Patient', deceasedBoolean: true }, query: 'deceased=true', miss: 'deceased=false' },
};

interface Case {
  readonly param: ParamDef;
  readonly id: string;
  readonly planted: Planted;
}

describe('every R4 search parameter is indexed and searchable', () => {
  let t: TestCarnet;
  const cases: Case[] = [];
  const unplanted: string[] = [];

  before(async () => {
    t = await startTestCarnet();
    fhirDefinitions();
    let n = 0;
    for (const type of [...fhirDefinitions().resourceTypes].sort()) {
      // AuditEvent searches answer from Carnet's audit trail (IHE ITI-81, its own parameters and access
      // rules), not from the resource store's index: test/access/audit-event-api.test.ts covers them.
      if (type === 'AuditEvent') continue;
      for (const param of searchRegistry().params(type).values()) {
        if (param.storage !== 'index' && param.storage !== 'near') continue;
        const planted = MANUAL[`${type}.${param.code}`] ?? plant(param);
        if (!planted) unplanted.push(`${type}.${param.code}`);
        else cases.push({ param, id: `pp${++n}`, planted });
      }
    }
    const now = new Date().toISOString();
    const versions: NewVersion[] = cases.map(({ param, id, planted }) => {
      const resource = { ...planted.resource, id, meta: { ...(planted.resource.meta as object | undefined), versionId: '1', lastUpdated: now } } as Resource;
      return {
        resourceType: param.resourceType, id, versionId: 1, lastUpdated: now, deleted: false, method: 'PUT',
        patientId: patientCompartmentOf(resource) ?? null, content: JSON.stringify(resource), index: extractIndex(resource, t.base),
      };
    });
    await t.carnet.db.transaction((tx) => writeVersions(tx, versions));
  });
  after(async () => t.close());

  test('a value can be planted for every parameter with an expression', () => {
    assert.deepEqual(unplanted, []);
    assert.ok(cases.length > 2200, `${cases.length} parameters`);
  });

  test('each parameter finds its resource, and does not with another value', async () => {
    const failures: string[] = [];
    const ids = (b: Bundle) => (b.entry ?? []).map((e) => e.resource?.id);
    for (const { param, id, planted } of cases) {
      const hit = await t.request('GET', `/fhir/${param.resourceType}?${planted.query}&_count=1000&_total=none`);
      const miss = await t.request('GET', `/fhir/${param.resourceType}?${planted.miss}&_count=1000&_total=none`);
      if (hit.status !== 200 || !ids(hit.body).includes(id)) failures.push(`${param.resourceType}?${decodeURIComponent(planted.query)} → ${hit.status} ${hit.status === 200 ? 'not found' : hit.text.slice(0, 160)}`);
      if (miss.status !== 200 || ids(miss.body).includes(id)) failures.push(`${param.resourceType}?${decodeURIComponent(planted.miss)} → ${miss.status} ${miss.status === 200 ? 'found (should not)' : miss.text.slice(0, 160)}`);
    }
    assert.deepEqual(failures.slice(0, 200), [], `${failures.length} failures`);
  });
});
