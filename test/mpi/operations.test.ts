import assert from 'node:assert/strict';
import type { Bundle, Observation, Parameters, Patient, Person } from '@medplum/fhirtypes';
import { after, before, describe, test } from 'node:test';
import { linkedPatientIds } from '../../src/mpi/store/link-store.js';
import { NAM_SYSTEM } from '../../src/mpi/record.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { patient } from './support.js';

const param = (p: Parameters, name: string) => p.parameter?.find((x) => x.name === name);

describe('MPI operations through the server', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(() => t.close());

  const create = async (body: Patient): Promise<string> => {
    const response = await t.request('POST', '/fhir/Patient', { body });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id as string;
  };
  const personIdOf = async (patientId: string): Promise<string> => {
    const links = await t.request('GET', `/fhir/Patient/${patientId}/$mpi-links`);
    assert.equal(links.status, 200);
    return (param(links.body, 'person')?.valueReference?.reference ?? '').replace('Person/', '');
  };

  test('Patient/$match grades candidates, best first, with search.score and match-grade', async () => {
    const id = await create(patient('urn:sys:a', 'M-1', 'Gabrielle', 'Bouchard', '1965-12-24', {
      identifier: [{ system: 'urn:sys:a', value: 'M-1' }, { system: NAM_SYSTEM, value: 'BOUG65622412' }],
    }));
    await create(patient('urn:sys:a', 'M-2', 'Gabrielle', 'Bouchard', '1965-12-03'));
    const probe = patient('urn:sys:z', 'Z-1', 'Gabriele', 'Bouchard', '1965-12-24', { identifier: [{ system: NAM_SYSTEM, value: 'BOUG 6562 2412' }] });
    const response = await t.request('POST', '/fhir/Patient/$match', {
      body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: probe }, { name: 'count', valueInteger: 5 }] },
    });
    assert.equal(response.status, 200);
    const bundle = response.body as Bundle;
    assert.equal(bundle.type, 'searchset');
    assert.equal(bundle.entry?.[0]?.resource?.id, id);
    assert.equal(bundle.entry?.[0]?.search?.extension?.[0]?.valueCode, 'certain');
    assert.ok((bundle.entry?.[0]?.search?.score ?? 0) > 0.99);
    const scores = bundle.entry?.map((e) => e.search?.score ?? 0) ?? [];
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    const certain = await t.request('POST', '/fhir/Patient/$match', {
      body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: probe }, { name: 'onlyCertainMatches', valueBoolean: true }] },
    });
    assert.ok((certain.body as Bundle).entry?.every((e) => e.search?.extension?.[0]?.valueCode === 'certain'));
    const bad = await t.request('POST', '/fhir/Patient/$match', { body: { resourceType: 'Parameters', parameter: [] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.resourceType, 'OperationOutcome');
  });

  test('merge keeps references resolving and moves data; unmerge restores both', async () => {
    const source = await create(patient('urn:hosp', 'MRN-1', 'Louis', 'Cyr', '1963-10-10'));
    const target = await create(patient('urn:hosp', 'MRN-2', 'Louis', 'Cyr', '1963-10-10'));
    const obs: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'weight' }, subject: { reference: `Patient/${source}` }, valueQuantity: { value: 140, unit: 'kg' } };
    const observation = (await t.request('POST', '/fhir/Observation', { body: obs })).body.id as string;

    const anonymous = await t.request('POST', '/fhir/Patient/$merge', { token: null, body: { resourceType: 'Parameters', parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${source}` } }, { name: 'target-patient', valueReference: { reference: `Patient/${target}` } }] } });
    assert.equal(anonymous.status, 401, 'who decides is the authenticated requester');

    const merged = await t.request('POST', '/fhir/Patient/$merge', { body: { resourceType: 'Parameters', parameter: [
      { name: 'source-patient-identifier', valueIdentifier: { system: 'urn:hosp', value: 'MRN-1' } },
      { name: 'target-patient', valueReference: { reference: `Patient/${target}` } },
      { name: 'actor', valueString: 'admin:jroy' }, { name: 'reason', valueString: 'A40 from ADT' }] } });
    assert.equal(merged.status, 200, JSON.stringify(merged.body));
    const oldRecord = (await t.request('GET', `/fhir/Patient/${source}`)).body as Patient;
    assert.equal(oldRecord.active, false);
    assert.deepEqual(oldRecord.link, [{ other: { reference: `Patient/${target}` }, type: 'replaced-by' }]);
    const survivor = (await t.request('GET', `/fhir/Patient/${target}`)).body as Patient;
    assert.ok(survivor.link?.some((l) => l.type === 'replaces' && l.other.reference === `Patient/${source}`));
    assert.ok(survivor.identifier?.some((i) => i.value === 'MRN-1' && i.use === 'old'));
    const movedObs = (await t.request('GET', `/fhir/Observation/${observation}`)).body as Observation;
    assert.equal(movedObs.subject?.reference, `Patient/${target}`);
    assert.equal(await personIdOf(source), await personIdOf(target));
    assert.deepEqual(await linkedPatientIds(t.carnet.db, target), [source, target].sort());

    const again = await t.request('POST', '/fhir/Patient/$merge', { body: { resourceType: 'Parameters', parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${source}` } }, { name: 'target-patient', valueReference: { reference: `Patient/${target}` } },
      { name: 'actor', valueString: 'admin:jroy' }] } });
    assert.equal(again.status, 409);

    const unmerged = await t.request('POST', '/fhir/Patient/$unmerge', { body: { resourceType: 'Parameters', parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${source}` } }, { name: 'actor', valueString: 'admin:jroy' },
      { name: 'reason', valueString: 'merged in error' }] } });
    assert.equal(unmerged.status, 200, JSON.stringify(unmerged.body));
    const restored = (await t.request('GET', `/fhir/Patient/${source}`)).body as Patient;
    assert.equal(restored.active, undefined);
    assert.equal(restored.link, undefined);
    const restoredTarget = (await t.request('GET', `/fhir/Patient/${target}`)).body as Patient;
    assert.equal(restoredTarget.link, undefined);
    assert.deepEqual(restoredTarget.identifier, [{ system: 'urn:hosp', value: 'MRN-2' }]);
    assert.equal(((await t.request('GET', `/fhir/Observation/${observation}`)).body as Observation).subject?.reference, `Patient/${source}`);
    const history = (await t.request('GET', `/fhir/Observation/${observation}/_history`)).body as Bundle;
    assert.equal(history.entry?.length, 3, 'the move and the move back are versions: nothing is lost');

    const log = await t.request('GET', `/fhir/$mpi-decisions?patient=${source}`);
    const actions = (log.body as Parameters).parameter?.map((p) => p.part?.find((x) => x.name === 'action')?.valueCode);
    assert.deepEqual(actions?.slice(0, 2), ['unmerge', 'merge']);
    const actors = (log.body as Parameters).parameter?.slice(0, 2).map((p) => p.part?.find((x) => x.name === 'actor')?.valueString);
    // The decider is the token's subject, whatever `actor` the request claims.
    assert.ok(actors?.length === 2 && actors.every((a) => a?.startsWith('client:test-bootstrap')), JSON.stringify(actors));
  });

  test('review queue: list with field-by-field comparison, confirm, reject', async () => {
    const a = await create(patient('urn:sys:r1', 'R-1', 'Sophie', 'Lapointe', '1990-04-12'));
    const b = await create(patient('urn:sys:r2', 'R-2', 'Sophie', 'Lapointe', '1990-04-30'));
    const c = await create(patient('urn:sys:r3', 'R-3', 'Sophie', 'Lapointe', '1990-04-25'));
    const list = await t.request('GET', `/fhir/$mpi-review?patient=${b}`);
    assert.equal(list.status, 200);
    const candidate = (list.body as Parameters).parameter?.find((p) => p.name === 'candidate');
    assert.ok(candidate, 'b is queued against a');
    const part = (name: string) => candidate.part?.find((x) => x.name === name);
    const fields = candidate.part?.filter((x) => x.name === 'field') ?? [];
    const birth = fields.find((f) => f.part?.find((x) => x.name === 'name')?.valueCode === 'birthDate');
    assert.equal(birth?.part?.find((x) => x.name === 'incoming')?.valueString, '1990-04-30');
    assert.equal(birth?.part?.find((x) => x.name === 'candidate')?.valueString, '1990-04-12');
    assert.equal(birth?.part?.find((x) => x.name === 'level')?.valueString, 'two of year, month, day');

    const decide = (id: string, decision: string) => t.request('POST', '/fhir/$mpi-review', { body: { resourceType: 'Parameters', parameter: [
      { name: 'candidate', valueString: id }, { name: 'decision', valueCode: decision }, { name: 'actor', valueString: 'admin:lg' }, { name: 'reason', valueString: 'checked the card' }] } });
    const confirmed = await decide(part('id')?.valueString as string, 'confirm');
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    assert.equal(await personIdOf(b), await personIdOf(a));
    const person = (await t.request('GET', `/fhir/Person/${await personIdOf(a)}`)).body as Person;
    assert.ok(person.link?.some((l) => l.target.reference === `Patient/${b}` && l.assurance === 'level4'));
    assert.equal((await decide(part('id')?.valueString as string, 'confirm')).status, 409, 'a decided candidate cannot be decided again');

    const forC = (await t.request('GET', `/fhir/$mpi-review?patient=${c}`)).body as Parameters;
    const cCandidate = forC.parameter?.find((p) => p.name === 'candidate' && p.part?.some((x) => x.name === 'patient' && x.valueReference?.reference === `Patient/${c}`));
    assert.ok(cCandidate);
    const rejected = await decide(cCandidate.part?.find((x) => x.name === 'id')?.valueString as string, 'reject');
    assert.equal(rejected.status, 200);
    assert.notEqual(await personIdOf(c), await personIdOf(a));
  });

  test('manual link and unlink, audited; an unlinked record is not relinked automatically', async () => {
    const a = await create(patient('urn:sys:u1', 'U-1', 'Nathalie', 'Bergeron', '1977-08-08', { identifier: [{ system: 'urn:sys:u1', value: 'U-1' }, { system: NAM_SYSTEM, value: 'BERN77580812' }] }));
    const b = await create(patient('urn:sys:u2', 'U-2', 'Nathalie', 'Bergeron', '1977-08-08', { identifier: [{ system: 'urn:sys:u2', value: 'U-2' }, { system: NAM_SYSTEM, value: 'BERN77580812' }] }));
    assert.equal(await personIdOf(a), await personIdOf(b));
    const unlinked = await t.request('POST', `/fhir/Patient/${b}/$mpi-unlink`, { body: { resourceType: 'Parameters', parameter: [{ name: 'actor', valueString: 'admin:lg' }, { name: 'reason', valueString: 'twins' }] } });
    assert.equal(unlinked.status, 200, JSON.stringify(unlinked.body));
    assert.notEqual(await personIdOf(a), await personIdOf(b));
    // An update of b is matched again but the human decision stands.
    const current = (await t.request('GET', `/fhir/Patient/${b}`)).body as Patient;
    assert.equal((await t.request('PUT', `/fhir/Patient/${b}`, { body: { ...current, gender: 'female', telecom: [{ system: 'phone', value: '514-555-0101' }] } })).status, 200);
    assert.notEqual(await personIdOf(a), await personIdOf(b));
    const alone = await t.request('POST', `/fhir/Patient/${b}/$mpi-unlink`, { body: { resourceType: 'Parameters', parameter: [{ name: 'actor', valueString: 'admin:lg' }] } });
    assert.equal(alone.status, 409);
    const relinked = await t.request('POST', `/fhir/Patient/${b}/$mpi-link`, { body: { resourceType: 'Parameters', parameter: [
      { name: 'person', valueReference: { reference: `Person/${await personIdOf(a)}` } }, { name: 'actor', valueString: 'admin:lg' }] } });
    assert.equal(relinked.status, 200);
    assert.equal(await personIdOf(a), await personIdOf(b));
    const decisions = (await t.request('GET', `/fhir/$mpi-decisions?patient=${b}`)).body as Parameters;
    const actions = decisions.parameter?.map((p) => p.part?.find((x) => x.name === 'action')?.valueCode);
    assert.deepEqual(actions, ['link-manual', 'unlink', 'link-auto']);
  });

  test('the CapabilityStatement lists the MPI operations', async () => {
    const cs = (await t.request('GET', '/fhir/metadata')).body;
    const patientOps = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient').operation.map((o: { name: string }) => o.name);
    assert.ok(['match', 'merge', 'unmerge', 'mpi-link'].every((n) => patientOps.includes(n)));
  });
});

describe('with the MPI turned off (CARNET_MPI=off)', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet({ env: { CARNET_MPI: 'off' } });
  });
  after(() => t.close());

  test('Patients get no Person, $match answers 501, $merge still works', async () => {
    const a = (await t.request('POST', '/fhir/Patient', { body: patient('urn:x', '1', 'Ann', 'Roy', '1970-01-01') })).body.id as string;
    const b = (await t.request('POST', '/fhir/Patient', { body: patient('urn:x', '2', 'Ann', 'Roy', '1970-01-01') })).body.id as string;
    const { rows } = await t.carnet.db.query(`SELECT 1 FROM resource WHERE resource_type = 'Person'`);
    assert.equal(rows.length, 0);
    const match = await t.request('POST', '/fhir/Patient/$match', { body: patient('urn:x', '3', 'Ann', 'Roy', '1970-01-01') });
    assert.equal(match.status, 501);
    const merged = await t.request('POST', '/fhir/Patient/$merge', { body: { resourceType: 'Parameters', parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${a}` } }, { name: 'target-patient', valueReference: { reference: `Patient/${b}` } },
      { name: 'actor', valueString: 'hl7-gateway' }] } });
    assert.equal(merged.status, 200, JSON.stringify(merged.body));
    assert.equal(((await t.request('GET', `/fhir/Patient/${a}`)).body as Patient).active, false);
  });
});
