import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Consent, Observation, Patient } from '@medplum/fhirtypes';
import { DEMO_DIR } from '../../src/demo/seed.js';
import { eventFromRow, EVENT_COLUMNS, type ChangeEvent } from '../../src/events/event.js';
import { executeWrites } from '../../src/fhir/write/engine.js';
import { importPaths } from '../../src/import/runner.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { loadTestPopulation } from '../support/population.js';
import { oru } from '../hl7v2/messages.js';
import { patient } from '../mpi/support.js';

/**
 * The transactional outbox: every committed change appends its event in the same transaction, on every
 * write path; a rolled-back one appends nothing.
 */
describe('change events (the outbox)', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_BACKGROUND: 'off', CARNET_HL7_TIMEZONE: 'America/Toronto' } });
  });
  after(() => t.close());

  const events = async (where = 'true', params: unknown[] = []): Promise<ChangeEvent[]> =>
    (await t.carnet.db.query(`SELECT ${EVENT_COLUMNS} FROM change_event WHERE ${where} ORDER BY xid, seq`, params)).rows.map(eventFromRow);
  const count = async () => Number((await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM change_event')).rows[0]?.n);
  const create = async (body: object): Promise<string> => {
    const response = await t.request('POST', `/fhir/${(body as { resourceType: string }).resourceType}`, { body });
    assert.equal(response.status, 201, response.text);
    return response.body.id as string;
  };

  test('a rolled-back write leaves no event; a committed one has exactly its events', async () => {
    const before = await count();
    const failing = await t.request('POST', '/fhir', {
      body: {
        resourceType: 'Bundle', type: 'transaction', entry: [
          { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Patient', name: [{ family: 'Annulé' }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/nowhere' } }, request: { method: 'POST', url: 'Observation' } },
        ],
      },
    });
    assert.equal(failing.status, 400, failing.text);
    assert.equal(await count(), before, 'the failed transaction appended nothing');
    await assert.rejects(t.carnet.db.transaction(async (tx) => {
      await executeWrites(tx, t.carnet.ctx, [{ kind: 'create', resource: { resourceType: 'Patient', name: [{ family: 'Rollback' }] } }], { transaction: true });
      assert.equal(Number((await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM change_event')).rows[0]?.n), before + 2, 'inside: the Patient and its MPI link');
      throw new Error('changed my mind');
    }));
    assert.equal(await count(), before, 'rolled back with the write');
  });

  test('events carry kind, version, compartment before and after, labels and author', async () => {
    const a = await create({ resourceType: 'Patient', name: [{ family: 'Avant' }] } satisfies Patient);
    const b = await create({ resourceType: 'Patient', name: [{ family: 'Après' }] } satisfies Patient);
    const obs: Observation = {
      resourceType: 'Observation', status: 'final', code: { text: 'humeur' }, subject: { reference: `Patient/${a}` },
      meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'MH' }] },
    };
    const id = await create(obs);
    assert.equal((await t.request('PUT', `/fhir/Observation/${id}`, { body: { ...obs, id, subject: { reference: `Patient/${b}` } } })).status, 200);
    assert.equal((await t.request('DELETE', `/fhir/Observation/${id}`)).status, 204);
    const [created, moved, deleted] = await events(`resource_type = 'Observation' AND resource_id = $1`, [id]);
    assert.deepEqual(
      [created, moved, deleted].map((e) => [e?.kind, e?.versionId, e?.patientId, e?.previousPatientId]),
      [['create', 1, a, null], ['update', 2, b, a], ['delete', 3, b, b]],
    );
    assert.deepEqual(created?.sensitivity, ['MH']);
    assert.deepEqual(deleted?.sensitivity, ['MH'], 'a delete carries the labels of what it deleted');
    assert.ok(created && created.at === (await t.request('GET', `/fhir/Observation/${id}/_history/1`)).body.meta.lastUpdated);
    assert.ok(BigInt(created.xid) < BigInt(moved?.xid ?? '0'), 'each write is its own transaction');
  });

  test('every write path appends one event per version written, and the MPI its own', async () => {
    // FHIR: create, update, patch, delete, batch, transaction, a Consent
    const p = await create(patient('urn:hosp', 'EV-1', 'Émile', 'Nelligan', '1979-12-24'));
    await t.request('PATCH', `/fhir/Patient/${p}`, { body: [{ op: 'add', path: '/gender', value: 'male' }], headers: { 'content-type': 'application/json-patch+json' } });
    const batch = await t.request('POST', '/fhir', {
      body: {
        resourceType: 'Bundle', type: 'batch', entry: [
          { resource: { resourceType: 'Organization', name: 'Clinique A' }, request: { method: 'POST', url: 'Organization' } },
          { resource: { resourceType: 'Organization', name: 'Clinique B' }, request: { method: 'POST', url: 'Organization' } },
        ],
      },
    });
    assert.equal(batch.status, 200);
    const transaction = await t.request('POST', '/fhir', {
      body: {
        resourceType: 'Bundle', type: 'transaction', entry: [
          { fullUrl: 'urn:uuid:e1', resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${p}` } }, request: { method: 'POST', url: 'Encounter' } },
          { resource: { resourceType: 'Observation', status: 'final', code: { text: 'poids' }, subject: { reference: `Patient/${p}` }, encounter: { reference: 'urn:uuid:e1' } }, request: { method: 'POST', url: 'Observation' } },
        ],
      },
    });
    assert.equal(transaction.status, 200, transaction.text);
    const consent: Consent = {
      resourceType: 'Consent', status: 'active', scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], patient: { reference: `Patient/${p}` },
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTOUT' }] }, provision: { type: 'deny' },
    };
    const consentId = await create(consent);
    // HL7 v2, an import, the generated population, an MPI merge and unmerge
    const delivery = await t.carnet.hl7.receive(Buffer.from(oru({ controlId: 'EV-1', mrn: 'EV1', order: 'EVO-1', results: 2 })));
    assert.equal(delivery.ack.toString().includes('MSA|AA'), true);
    const imported = await importPaths(t.carnet.ctx, [DEMO_DIR]);
    assert.equal(imported.failedFiles, 0);
    await loadTestPopulation(t, { persons: 3 });
    const source = await create(patient('urn:hosp', 'EV-2', 'Louis', 'Fréchette', '1939-11-16'));
    const target = await create(patient('urn:hosp', 'EV-3', 'Louis', 'Fréchette', '1939-11-16'));
    const merge = (op: string, extra: object[]) => t.request('POST', `/fhir/Patient/$${op}`, { body: { resourceType: 'Parameters', parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${source}` } }, { name: 'actor', valueString: 'admin:test' }, ...extra] } });
    assert.equal((await merge('merge', [{ name: 'target-patient', valueReference: { reference: `Patient/${target}` } }])).status, 200);
    assert.equal((await merge('unmerge', [])).status, 200);

    // One event per version, matching it.
    const { rows: missing } = await t.carnet.db.query(`
      SELECT v.resource_type, v.id, v.version_id FROM resource_version v
       WHERE NOT EXISTS (SELECT 1 FROM change_event e WHERE e.resource_type = v.resource_type AND e.resource_id = v.id AND e.version_id = v.version_id
                           AND e.kind = CASE WHEN v.deleted THEN 'delete' WHEN v.version_id = 1 THEN 'create' ELSE e.kind END
                           AND e.at = v.last_updated AND (v.deleted OR e.patient_id IS NOT DISTINCT FROM v.patient_id))`);
    assert.deepEqual(missing, [], 'every version has its event');
    const { rows: [totals] } = await t.carnet.db.query<{ versions: number; events: number }>(`
      SELECT (SELECT count(*)::int FROM resource_version) AS versions,
             (SELECT count(*)::int FROM change_event WHERE kind IN ('create', 'update', 'delete')) AS events`);
    assert.equal(totals?.events, totals?.versions, 'and no version has two');
    const types = new Set((await events(`kind IN ('create', 'update')`)).map((e) => e.resourceType));
    for (const type of ['Patient', 'Person', 'Organization', 'Encounter', 'Observation', 'Consent', 'Binary', 'Provenance', 'DiagnosticReport', 'Condition']) {
      assert.ok(types.has(type), `${type} writes emitted events`);
    }
    assert.equal((await events(`resource_type = 'Consent' AND resource_id = $1`, [consentId]))[0]?.patientId, p);

    // The MPI's link rows: every source Patient got linked (an mpi-link event), the merge and unmerge have theirs.
    const { rows: unlinked } = await t.carnet.db.query(`SELECT patient_id FROM mpi_record r WHERE NOT EXISTS (
      SELECT 1 FROM change_event e WHERE e.kind = 'mpi-link' AND e.resource_id = r.patient_id AND e.detail::json->>'person' = r.person_id)`);
    assert.deepEqual(unlinked, []);
    const merges = await events(`kind IN ('mpi-merge', 'mpi-unmerge')`);
    assert.deepEqual(merges.map((e) => [e.kind, e.id, e.detail?.target]), [['mpi-merge', source, target], ['mpi-unmerge', source, target]]);
    const relinked = await events(`kind = 'mpi-link' AND resource_id = $1`, [source]);
    assert.ok(relinked.some((e) => e.detail?.matchable === false), 'the merged record stops being matchable');
  });

  test('a Bundle is one transaction: its events share the transaction id, in entry order', async () => {
    const response = await t.request('POST', '/fhir', {
      body: {
        resourceType: 'Bundle', type: 'transaction', entry: ['Un', 'Deux', 'Trois'].map((name) => (
          { resource: { resourceType: 'Organization', name }, request: { method: 'POST', url: 'Organization' } })),
      } satisfies Bundle,
    });
    assert.equal(response.status, 200);
    const ids = (response.body as Bundle).entry?.map((e) => /Organization\/([^/]+)/.exec(e.response?.location ?? '')?.[1]) ?? [];
    const written = await events(`resource_type = 'Organization' AND resource_id = ANY($1::text[])`, [ids]);
    assert.equal(new Set(written.map((e) => e.xid)).size, 1);
    assert.deepEqual(written.map((e) => e.id), ids);
  });
});
