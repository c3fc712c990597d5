import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { codeFlow, createUser, PASSWORD, professionalToken, seedDirectory } from '../support/auth.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { ids, LOINC, NAM, observation, personOf as personOfIn, put as putIn, sourcePatient as source, steward as stewardIn } from '../support/persons.js';

/**
 * One person, one record (issue #14, slice 1): a patient's or proxy's token covers every source record
 * the MPI links to their Person — on read, search (includes, chains, _has, compartments), history,
 * $everything, $summary and the access log — and a link or an unlink changes that at the next request,
 * without a new login. The person-scope cache is set to ten minutes here, so these tests prove that the
 * commit of a link change empties it (the TTL alone would keep the old answer).
 */
describe('person-wide identity: a token covers every linked source record', () => {
  let t: TestCarnet;
  let patient: string;
  let proxy: string;
  let app: string;
  let physician: string;
  const put = (resource: Resource) => putIn(t, resource);
  const personOf = (id: string) => personOfIn(t, id);
  const steward = (id: string, op: '$mpi-link' | '$mpi-unlink', person?: string) => stewardIn(t, id, op, person);
  const get = (url: string, token: string) => t.request('GET', url, { token });

  before(async () => {
    t = await startTestCarnet({ env: { CARNET_PERSON_SCOPE_TTL_MS: '600000' } });
    await seedDirectory(t);
    // The clinic and the pharmacy know her NAM (the MPI links them at once); the lab's record does not.
    await put(source('clinic', 'Tremblay', 'urn:clinic', { identifier: [{ system: 'urn:clinic', value: 'C-1' }, { system: NAM, value: 'TREL83541214' }] }));
    await put(source('pharmacy', 'Tremblay', 'urn:pharmacy', { identifier: [{ system: 'urn:pharmacy', value: 'P-1' }, { system: NAM, value: 'TREL83541214' }] }));
    await put(source('lab', 'Trembley-Nadeau', 'urn:lab', { gender: 'unknown', birthDate: '1983-12-04', name: [{ family: 'Nadeau', given: ['L.'] }] }));
    await put(source('other', 'Zed', 'urn:clinic', { name: [{ family: 'Zed', given: ['Zoé'] }], birthDate: '1950-01-01' }));
    await put(observation('o-clinic', 'clinic', '2345-7'));
    await put(observation('o-pharmacy', 'pharmacy', '718-7'));
    await put(observation('o-lab', 'lab', '2093-3'));
    await put(observation('o-other', 'other', '2345-7'));
    await put({ resourceType: 'Condition', id: 'c-lab', clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }], text: 'Diabète de type 2' }, subject: { reference: 'Patient/lab' } } as Resource);
    assert.equal(await personOf('clinic'), await personOf('pharmacy'), 'the NAM links clinic and pharmacy');
    assert.notEqual(await personOf('clinic'), await personOf('lab'), 'the lab record starts as a person of its own');

    const rp = (await t.request('POST', '/fhir/RelatedPerson', { body: { resourceType: 'RelatedPerson', patient: { reference: 'Patient/clinic' }, active: true } })).body.id;
    await createUser(t, { username: 'lea', password: PASSWORD, displayName: 'Léa', role: 'patient', fhirUser: 'Patient/clinic' });
    await createUser(t, { username: 'mom', password: PASSWORD, displayName: 'Mom', role: 'proxy', fhirUser: `RelatedPerson/${rp}` });
    patient = (await codeFlow(t, { username: 'lea', password: PASSWORD, scope: 'user/*.cruds' })).token?.access_token as string;
    proxy = (await codeFlow(t, { username: 'mom', password: PASSWORD, scope: 'user/*.cruds' })).token?.access_token as string;
    app = (await codeFlow(t, { username: 'lea', password: PASSWORD, scope: 'launch/patient patient/*.rs' })).token?.access_token as string;
    physician = await professionalToken(t, 'dra', 'physician', 'dr-a');
  });
  after(() => t.close());

  test('before the lab record is linked, the token holds the clinic and pharmacy records only', async () => {
    for (const token of [patient, proxy, app]) {
      assert.equal((await get('/fhir/Observation/o-pharmacy', token)).status, 200);
      assert.equal((await get('/fhir/Observation/o-lab', token)).status, 404);
      assert.deepEqual(ids((await get('/fhir/Observation?patient=clinic', token)).body), ['Observation/o-clinic', 'Observation/o-pharmacy']);
    }
  });

  test('after a link, every path reaches the lab record, whichever source record the request names', async () => {
    await steward('lab', '$mpi-link', await personOf('clinic'));
    const mine = ['Observation/o-clinic', 'Observation/o-lab', 'Observation/o-pharmacy'];
    for (const [who, token] of [['patient', patient], ['proxy', proxy], ['patient app', app]] as const) {
      const label = (what: string) => `${who}: ${what}`;
      assert.equal((await get('/fhir/Observation/o-lab', token)).status, 200, label('read'));
      assert.equal((await get('/fhir/Observation/o-lab/_history/1', token)).status, 200, label('vread'));
      assert.equal((await get('/fhir/Observation/o-lab/_history', token)).status, 200, label('instance history'));
      assert.equal((await get('/fhir/Observation/o-other', token)).status, 404, label('another person stays hidden'));
      for (const named of ['clinic', 'pharmacy', 'lab']) {
        assert.deepEqual(ids((await get(`/fhir/Observation?patient=${named}`, token)).body), mine, label(`Observation?patient=${named}`));
        assert.deepEqual(ids((await get(`/fhir/Observation?subject=Patient/${named}`, token)).body), mine, label(`subject=Patient/${named}`));
        assert.deepEqual(ids((await get(`/fhir/Patient/${named}/Observation`, token)).body), mine, label(`compartment of ${named}`));
        assert.equal((await get(`/fhir/Observation?patient=${named}&_summary=count`, token)).body.total, 3, label('count'));
      }
      assert.deepEqual(ids((await get('/fhir/Observation?_count=100', token)).body), mine, label('unfiltered search'));
      const included = (await get('/fhir/Observation?patient=clinic&_include=Observation:subject', token)).body;
      assert.deepEqual(ids(included, 'include'), ['Patient/clinic', 'Patient/lab', 'Patient/pharmacy'], label('_include'));
      const revincluded = (await get('/fhir/Patient?_revinclude=Observation:subject', token)).body;
      assert.deepEqual(ids(revincluded, 'match'), ['Patient/clinic', 'Patient/lab', 'Patient/pharmacy'], label('own Patients'));
      assert.deepEqual(ids(revincluded, 'include'), mine, label('_revinclude'));
      assert.deepEqual(ids((await get('/fhir/Observation?subject:Patient.family=Nadeau', token)).body), ['Observation/o-lab'], label('chain'));
      assert.deepEqual(ids((await get(`/fhir/Patient?_has:Observation:subject:code=${LOINC}|2093-3`, token)).body), ['Patient/lab'], label('_has'));
      assert.deepEqual(ids((await get(`/fhir/Patient?_has:Observation:subject:code=${LOINC}|2345-7`, token)).body), ['Patient/clinic'], label('_has never reaches another person'));
      const history = ids((await get('/fhir/Observation/_history', token)).body);
      assert.deepEqual([...new Set(history)].sort(), mine, label('type history'));
      for (const named of ['clinic', 'lab']) {
        const everything = ids((await get(`/fhir/Patient/${named}/$everything`, token)).body);
        assert.ok(mine.every((ref) => everything.includes(ref)) && !everything.includes('Observation/o-other'), label(`$everything of ${named}`));
      }
      if (who !== 'patient app') {
        const summary = await get('/fhir/Patient/clinic/$summary', token);
        assert.equal(summary.status, 200, label('$summary'));
        assert.ok(JSON.stringify(summary.body).includes('Diabète de type 2'), label('$summary carries the lab record\'s condition'));
      }
    }
  });

  test('the access log of one source record is the log of the whole person', async () => {
    assert.equal((await get('/fhir/Observation/o-lab', physician)).status, 200);
    for (const token of [patient, proxy]) {
      for (const named of ['clinic', 'lab']) {
        const log = await get(`/fhir/Patient/${named}/$access-log?_count=500`, token);
        assert.equal(log.status, 200, log.text);
        const reads = (log.body as Bundle).entry?.filter((e) => JSON.stringify(e.resource).includes('Observation/o-lab') && JSON.stringify(e.resource).includes('dra')) ?? [];
        assert.ok(reads.length > 0, `the physician's read of the lab record is in the log of ${named}`);
      }
    }
    assert.equal((await get('/fhir/Patient/other/$access-log', patient)).status, 403, 'never another person\'s log');
  });

  test('writes: the patient may write into any of their records, never another person\'s', async () => {
    const mine = await t.request('POST', '/fhir/Observation', { token: patient, body: observation('x', 'lab', '8867-4') });
    assert.equal(mine.status, 201, mine.text);
    const theirs = await t.request('POST', '/fhir/Observation', { token: patient, body: observation('x', 'other', '8867-4') });
    assert.equal(theirs.status, 403);
    assert.equal((await t.request('DELETE', `/fhir/Observation/${mine.body.id}`, { token: patient })).status, 204);
  });

  test('after an unlink the lab record is out of reach at the next request', async () => {
    await steward('lab', '$mpi-unlink');
    for (const token of [patient, proxy, app]) {
      assert.equal((await get('/fhir/Observation/o-lab', token)).status, 404);
      assert.deepEqual(ids((await get('/fhir/Observation?patient=clinic', token)).body), ['Observation/o-clinic', 'Observation/o-pharmacy']);
      assert.equal((await get('/fhir/Observation?patient=lab', token)).body.total ?? (await get('/fhir/Observation?patient=lab', token)).body.entry?.length ?? 0, 0);
      const everything = ids((await get('/fhir/Patient/clinic/$everything', token)).body);
      assert.ok(!everything.includes('Observation/o-lab'));
    }
  });
});
