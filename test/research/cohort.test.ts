import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listedMembers, MEMBER_FILTER, memberFilters } from '../../src/research/export/cohort.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { assertionToken, backendKey, registerClient, seedDirectory } from '../support/auth.js';

/**
 * Cohorts defined by characteristics: a Group's member filters (Bulk Cohort `member-filter`) are searches
 * evaluated by the export job, ANDed, under the exporter's visibility and the research opt-outs.
 */
const ASYNC = { accept: 'application/fhir+json', prefer: 'respond-async' };
const SNOMED = 'http://snomed.info/sct';
const filter = (expression: string) => ({ url: MEMBER_FILTER, valueExpression: { language: 'application/x-fhir-query', expression } });

describe('Group cohorts by member filters', () => {
  test('listed members and filters, pure', () => {
    assert.deepEqual(listedMembers({ member: [{ entity: { reference: 'Patient/a' } }, { entity: { reference: 'Patient/b' }, inactive: true }] }), ['a']);
    assert.deepEqual(memberFilters({ extension: [filter('Condition?code=x'), { url: 'other' }] }), [{ type: 'Condition', query: 'code=x' }]);
    assert.throws(() => memberFilters({ extension: [filter('code=x')] }), /Type\?search/);
    assert.throws(() => memberFilters({ extension: [filter('Organization?name=x')] }), /not patient data/);
  });

  let t: TestCarnet;
  let dir: string;
  const put = async (resource: Record<string, unknown>) => {
    const r = await t.request('PUT', `/fhir/${resource.resourceType}/${resource.id}`, { body: resource });
    assert.ok(r.status < 300, r.text);
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carnet-cohort-'));
    t = await startTestCarnet({ env: { CARNET_EXPORT_DIR: dir, CARNET_MPI: 'off' } });
    await seedDirectory(t);
    const people: [string, string, boolean][] = [['f1', 'female', true], ['m1', 'male', true], ['f2', 'female', false], ['f3', 'female', true]];
    for (const [id, gender, diabetic] of people) {
      await put({ resourceType: 'Patient', id, gender });
      await put({ resourceType: 'Condition', id: `${id}-c`, subject: { reference: `Patient/${id}` }, code: { coding: [{ system: SNOMED, code: diabetic ? '44054006' : '38341003' }] } });
    }
    // f3 opts out of research: in no cohort.
    await put({
      resourceType: 'Consent', id: 'f3-research', status: 'active', patient: { reference: 'Patient/f3' },
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'research' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], provision: { type: 'deny' },
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTOUT' }] },
    });
    await put({ resourceType: 'Group', id: 'diabetic-women', type: 'person', actual: false, extension: [filter(`Condition?code=${SNOMED}|44054006`), filter('Patient?gender=female')] });
    await put({ resourceType: 'Group', id: 'broken', type: 'person', actual: false, extension: [filter('Condition?nonsense=1')] });
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Group/$export of a cohort by characteristics: the patients every filter matches, opt-outs out', async () => {
    const kick = await t.request('GET', '/fhir/Group/diabetic-women/$export?_type=Patient,Condition', { headers: ASYNC });
    assert.equal(kick.status, 202, kick.text);
    await t.carnet.background.runOnce();
    const done = await t.request('GET', String(kick.headers['content-location']).replace('http://carnet.test', ''));
    assert.equal(done.status, 200, done.text);
    const ids: string[] = [];
    for (const file of done.body.output as { url: string }[]) {
      const r = await t.request('GET', file.url.replace('http://carnet.test', ''));
      ids.push(...r.text.split('\n').filter(Boolean).map((l) => `${JSON.parse(l).resourceType}/${JSON.parse(l).id}`));
    }
    assert.deepEqual(ids.sort(), ['Condition/f1-c', 'Patient/f1']);
  });

  test('membership is decided under the exporter\'s visibility: a resource it may not see makes nobody a member', async () => {
    // f4's HIV diagnosis is labelled sensitive: the clinic's system does not see it (its Patient, it does).
    await put({ resourceType: 'Patient', id: 'f4', gender: 'female' });
    await put({ resourceType: 'Condition', id: 'f4-c', subject: { reference: 'Patient/f4' }, meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }] }, code: { coding: [{ system: SNOMED, code: '86406008' }] } });
    const key = await backendKey('clinic-key');
    const scope = 'system/Patient.rs system/Condition.rs system/Group.cruds';
    await registerClient(t, { id: 'clinic', name: 'Clinic', kind: 'backend', jwks: { keys: [key.jwk] }, scope, organization: 'Organization/org-a' });
    const token = (await assertionToken(t, 'clinic', key, scope)).json().access_token as string;
    const created = await t.request('POST', '/fhir/Group', { token, body: { resourceType: 'Group', type: 'person', actual: false, extension: [filter(`Condition?code=${SNOMED}|86406008`)] } });
    assert.equal(created.status, 201, created.text);
    const groupId = String(created.headers.location).match(/Group\/([^/]+)/)?.[1] as string;
    const patientsOf = async (bearer: string | undefined) => {
      const kick = await t.request('GET', `/fhir/Group/${groupId}/$export?_type=Patient`, { headers: ASYNC, ...(bearer ? { token: bearer } : {}) });
      assert.equal(kick.status, 202, kick.text);
      await t.carnet.background.runOnce();
      const done = await t.request('GET', String(kick.headers['content-location']).replace('http://carnet.test', ''), bearer ? { token: bearer } : {});
      assert.equal(done.status, 200, done.text);
      const ids: string[] = [];
      for (const file of done.body.output as { url: string }[]) {
        ids.push(...(await t.request('GET', file.url.replace('http://carnet.test', ''), bearer ? { token: bearer } : {})).text.split('\n').filter(Boolean).map((l) => JSON.parse(l).id as string));
      }
      return ids;
    };
    assert.equal((await t.request('GET', '/fhir/Patient/f4', { token })).status, 200, 'the clinic sees f4 herself');
    assert.equal((await t.request('GET', '/fhir/Condition/f4-c', { token })).status, 404, 'not her diagnosis');
    assert.deepEqual(await patientsOf(token), [], 'the clinic learns nothing of who has the hidden diagnosis');
    assert.deepEqual(await patientsOf(undefined), ['f4'], 'the platform client sees it');
  });

  test('a filter that is not a supported search is refused at kick-off', async () => {
    const r = await t.request('GET', '/fhir/Group/broken/$export', { headers: ASYNC });
    assert.equal(r.status, 400, r.text);
  });
});
