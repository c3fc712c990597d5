import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * The privacy officer's search of the whole trail (GET /auth/admin/audit): by who, action, outcome and
 * break-the-glass, with the reason of each decision; bad filters are 400s; a patient's access log does
 * not take these filters.
 */
describe('searching the audit trail', () => {
  let t: TestCarnet;
  let patient: string;
  before(async () => {
    t = await startTestCarnet();
    patient = (await t.request('POST', '/fhir/Patient', { body: { resourceType: 'Patient', name: [{ family: 'Audit' }] } })).body.id;
    await t.request('GET', `/fhir/Patient/${patient}`);
    await t.request('GET', '/fhir/Patient/absent-one');
  });
  after(async () => {
    await t?.close();
  });
  const search = async (query: string) => {
    const r = await t.request('GET', `/auth/admin/audit?${query}`);
    return { status: r.status, events: ((r.body as Bundle<AuditEvent>)?.entry ?? []).map((e) => e.resource as AuditEvent) };
  };

  test('by action, outcome, who; each record with its decision’s reason', async () => {
    const reads = await search(`patient=${patient}&action=R`);
    assert.equal(reads.status, 200);
    assert.ok(reads.events.length >= 1 && reads.events.every((e) => e.action === 'R'));
    const failed = await search('outcome=4');
    assert.ok(failed.events.length >= 1 && failed.events.every((e) => e.outcome === '4'), 'the read of an absent Patient');
    const mine = await search('agent=test-bootstrap&_count=5');
    assert.ok(mine.events.length >= 1);
    assert.equal((await search('agent=%25_nobody%25')).events.length, 0, 'LIKE wildcards are taken literally');
    assert.ok(reads.events.some((e) => e.entity?.some((x) => x.detail?.some((d) => d.type === 'decision'))), 'the policy reason is there');
    assert.equal((await search('break-glass=true')).events.length, 0, 'no break-the-glass access yet');
  });

  test('bad filters are refused; the access log keeps its own parameters', async () => {
    assert.equal((await search('outcome=2')).status, 400);
    assert.equal((await search('break-glass=maybe')).status, 400);
    assert.equal((await t.request('GET', `/fhir/Patient/${patient}/$access-log?agent=x`)).status, 400);
  });
});
