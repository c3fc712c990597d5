import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ChangeEvent } from '../../src/events/event.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/** With the background running (CARNET_BACKGROUND=on), a commit wakes consumers and workers at once: no runOnce, no poll. */
describe('the running background', () => {
  let t: TestCarnet;
  before(async () => {
    // A poll too slow to matter: what arrives in time came from the commit's wake-up.
    t = await startTestCarnet({ env: { CARNET_BACKGROUND: 'on', CARNET_BACKGROUND_POLL_MS: '60000' } });
  });
  after(() => t.close());

  const within = <T>(ms: number, what: string, promise: Promise<T>): Promise<T> =>
    Promise.race([promise, new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`${what} took over ${ms} ms`)), ms).unref())]);

  test('a committed write reaches a consumer, which enqueues a job, which runs', async () => {
    let delivered = (_: unknown) => undefined as void;
    const ran = new Promise((resolve) => { delivered = resolve; });
    t.carnet.background.jobs.define('test.notify', async ({ job }) => { delivered(job.payload); });
    await t.carnet.background.events.register({
      name: 'test.live', types: ['Observation'],
      async handle(events: readonly ChangeEvent[], tx) {
        await t.carnet.background.jobs.enqueueMany(tx, events.map((e) => ({ kind: 'test.notify', key: `${e.id}/${e.versionId}`, payload: { id: e.id, patient: e.patientId } })));
      },
    });
    await t.request('PUT', '/fhir/Patient/live', { body: { resourceType: 'Patient', id: 'live' } });
    const created = await t.request('POST', '/fhir/Observation', { body: { resourceType: 'Observation', status: 'final', code: { text: 'glycémie' }, subject: { reference: 'Patient/live' } } });
    assert.equal(created.status, 201);
    assert.deepEqual(await within(10_000, 'commit → consumer → job', ran), { id: created.body.id, patient: 'live' });
  });
});
