import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

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
