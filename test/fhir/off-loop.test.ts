import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { ensureSearchIndex } from '../../src/fhir/search/reindex.js';

/**
 * Issue #13: a large body no longer stalls the other requests. Before, a 3.4 MB Patient stalled every other
 * request for seconds while it was validated on the event loop; now its validation runs in a worker thread
 * and small requests keep being answered meanwhile.
 */
const extensions = (n: number) => Array.from({ length: n }, (_, i) => ({ url: `http://example.org/fhir/x${i}`, valueString: `valeur ${i}` }));

describe('large bodies off the event loop', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_VALIDATION_OFFLOOP_BYTES: String(64 * 1024) } });
  });
  after(async () => t.close());

  test('small requests are answered while a large Patient is being validated, and it is stored', async () => {
    const small = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', active: true } })).body.id as string;
    const token = await t.systemToken();
    await t.request('GET', `/fhir/Patient/${small}`, { token });
    const body = { resourceType: 'Patient', active: true, extension: extensions(20_000) };
    let done = false;
    const started = performance.now();
    const big = t.request('POST', '/fhir/Patient', { body, token }).then((r) => {
      done = true;
      return { ...r, ms: performance.now() - started };
    });
    // Another client reads every 20 ms (a closed loop of reads would starve the embedded database's one
    // connection instead of measuring the event loop).
    const latencies: number[] = [];
    while (!done) {
      const at = performance.now();
      const r = await t.request('GET', `/fhir/Patient/${small}`, { token });
      assert.equal(r.status, 200);
      if (!done) latencies.push(performance.now() - at);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const created = await big;
    assert.equal(created.status, 201, created.text.slice(0, 300));
    assert.equal((await t.request('GET', `/fhir/Patient/${created.body.id}`, { token })).body.extension.length, 20_000);
    latencies.sort((a, b) => a - b);
    const worst = latencies[latencies.length - 1] ?? Infinity;
    // The read is a few milliseconds; the large create takes seconds. Inline validation answered no read
    // until it ended.
    assert.ok(latencies.length >= 5, `${latencies.length} reads answered during the ${Math.round(created.ms)} ms create`);
    assert.ok(worst < created.ms / 2, `the slowest read took ${Math.round(worst)} ms of the create's ${Math.round(created.ms)} ms`);
  });

  test('a large body is indexed off the loop with exactly the rows a rebuild of the index writes', async () => {
    const token = await t.systemToken();
    const marker = `idx-${Date.now()}`;
    const names = Array.from({ length: 3_000 }, (_, i) => ({ family: `Béland${i}`, given: [`Zoé${i}`, 'Marie'] }));
    const big = {
      resourceType: 'Patient', identifier: [{ system: 'http://example.org/mrn', value: marker }], active: true, birthDate: '1970-01-01',
      name: names, extension: extensions(200), meta: { tag: [{ system: 'http://example.org/tags', code: 'big' }] },
      generalPractitioner: [{ reference: 'Practitioner/p1' }],
    };
    const created = await t.request('POST', '/fhir/Patient', { body: big, token });
    assert.equal(created.status, 201, created.text.slice(0, 300));
    // A large transaction whose references between entries are rewritten (urn:uuid → Type/id).
    const entry = (i: number) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      request: { method: 'POST', url: i === 0 ? 'Patient' : 'Observation' },
      resource: i === 0
        ? { resourceType: 'Patient', identifier: [{ system: 'http://example.org/mrn', value: `${marker}-tx` }], extension: extensions(50) }
        : { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' },
          valueQuantity: { value: 70 + i, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' }, note: [{ text: `note ${'x'.repeat(400)} ${i}` }] },
    });
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: Array.from({ length: 150 }, (_, i) => entry(i)) };
    assert.ok(JSON.stringify(bundle).length > 64 * 1024);
    const tx = await t.request('POST', '/fhir', { body: bundle, token });
    assert.equal(tx.status, 200, tx.text.slice(0, 300));

    const found = await t.request('GET', `/fhir/Patient?given=zoe2999&family=beland2999&_tag=big&general-practitioner=Practitioner/p1&_id=${created.body.id}`, { token });
    assert.equal(found.body.entry?.length, 1, found.text.slice(0, 300));
    const patientId = /Patient\/([^/]+)/.exec(tx.body.entry[0].response.location as string)?.[1];
    const observations = await t.request('GET', `/fhir/Observation?subject=Patient/${patientId}&_summary=count`, { token });
    assert.equal(observations.body.total, 149, observations.text);
    const valued = await t.request('GET', '/fhir/Observation?value-quantity=lt100&code=8867-4&_summary=count', { token });
    assert.equal(valued.body.total, 29, valued.text); // 71 … 99

    const dump = async () => {
      const out: Record<string, string[]> = {};
      for (const table of ['search_token', 'search_string', 'search_date', 'search_number', 'search_quantity', 'search_reference', 'search_uri', 'search_text']) {
        out[table] = (await t.carnet.db.query<{ r: string }>(`SELECT t::text AS r FROM ${table} t ORDER BY 1`)).rows.map((row) => row.r);
      }
      return out;
    };
    const written = await dump();
    assert.ok((written.search_string?.length ?? 0) > 3_000 * 4);
    await ensureSearchIndex(t.carnet.db, t.base, t.carnet.log, true);
    assert.deepEqual(written, await dump());
  });

  test('a large invalid transaction is refused at its entry, with nothing written; $validate of a large body reports its issues', async () => {
    const marker = `off-loop-${Date.now()}`;
    const entry = (i: number) => ({
      request: { method: 'POST', url: 'Patient' },
      resource: { resourceType: 'Patient', identifier: [{ system: 'http://example.org/mrn', value: `${marker}-${i}` }], extension: extensions(20), ...(i === 150 ? { birthDate: '2023-02-29' } : {}) },
    });
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: Array.from({ length: 200 }, (_, i) => entry(i)) };
    assert.ok(JSON.stringify(bundle).length > 64 * 1024, 'large enough to go off the loop');
    const refused = await t.request('POST', '/fhir', { body: bundle });
    assert.equal(refused.status, 400, refused.text.slice(0, 300));
    assert.ok(refused.body.issue.some((i: { expression?: string[] }) => i.expression?.includes('Bundle.entry[150].resource.birthDate')), refused.text.slice(0, 500));
    const found = await t.request('GET', `/fhir/Patient?identifier=http://example.org/mrn|${marker}-0`);
    assert.equal(found.body.entry?.length ?? 0, 0, 'nothing written');

    const validated = await t.request('POST', '/fhir/Patient/$validate', { body: { ...bundle.entry[150]?.resource, extension: extensions(2_000) } });
    assert.equal(validated.status, 200);
    assert.ok(validated.body.issue.some((i: { severity: string; expression?: string[] }) => i.severity === 'error' && i.expression?.includes('Patient.birthDate')), validated.text.slice(0, 300));
  });
});
