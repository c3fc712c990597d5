import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle } from '@medplum/fhirtypes';
import { handleFhirRequest } from '../../src/fhir/router/router.js';
import type { Visibility } from '../../src/storage/sql/visibility.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { fixtureBundle } from './fixtures.js';

/** A visibility (what access control and consent will supply) hides resources from every search path. */
const HIDDEN = ['Observation/o-glu-mg', 'Patient/p-oconnell'];
const hide: Visibility = (alias, sql) => `NOT (${alias}.resource_type || '/' || ${alias}.id = ANY(${sql.bind(HIDDEN, 'text[]')}))`;

describe('search under a visibility restriction', () => {
  let t: TestCarnet;
  const search = async (url: string): Promise<Bundle> => {
    const u = new URL(url, 'http://x');
    const response = await handleFhirRequest(
      { method: 'GET', path: u.pathname.replace(/^\//, ''), query: u.searchParams, headers: {}, visibility: hide },
      t.carnet.ctx,
    );
    assert.equal(response.status, 200, String(response.body).slice(0, 300));
    return JSON.parse(response.body as string) as Bundle;
  };
  const ids = (b: Bundle, mode = 'match') => (b.entry ?? []).filter((e) => e.search?.mode === mode).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();
  before(async () => {
    t = await startTestCarnet();
    assert.equal((await t.request('POST', '/fhir', { body: fixtureBundle() })).status, 200);
  });
  after(async () => t.close());

  test('matches, totals and pages never count a hidden resource', async () => {
    const b = await search('Observation?subject=Patient/p-eloise&_total=accurate');
    assert.deepEqual(ids(b), ['Observation/o-glu-mmol', 'Observation/o-hba1c']);
    assert.equal(b.total, 2);
    const first = await search('Observation?subject=Patient/p-eloise&_count=1&_sort=date');
    assert.deepEqual(ids(first), ['Observation/o-hba1c']);
    assert.equal((await search('Patient?_summary=count')).total, 5, 'six patients, one hidden');
  });
  test('includes, revincludes, chains, _has and _list skip hidden resources', async () => {
    assert.deepEqual(ids(await search('Observation?_id=o-bp&_include=Observation:subject'), 'include'), []);
    assert.deepEqual(ids(await search('Patient?_id=p-eloise&_revinclude=Observation:subject'), 'include'), ['Observation/o-glu-mmol', 'Observation/o-hba1c']);
    assert.deepEqual(ids(await search('Observation?subject.family=oconnell')), []);
    assert.deepEqual(ids(await search('Patient?_has:Observation:patient:code=2345-7')), []);
    assert.deepEqual(ids(await search('Patient?_has:Observation:patient:code=14749-6')), ['Patient/p-eloise']);
  });
  test('compartments and $everything', async () => {
    assert.deepEqual(ids(await search('Patient/p-eloise/Observation')), ['Observation/o-glu-mmol', 'Observation/o-hba1c']);
    const everything = await search('Patient/p-eloise/$everything');
    assert.ok(!ids(everything).includes('Observation/o-glu-mg'));
    assert.ok(ids(everything).includes('Observation/o-glu-mmol'));
    const hiddenPatient = await handleFhirRequest(
      { method: 'GET', path: 'Patient/p-oconnell/$everything', query: new URLSearchParams(), headers: {}, visibility: hide }, t.carnet.ctx,
    );
    assert.equal(hiddenPatient.status, 404, 'a hidden patient does not exist for this requester');
  });
});
