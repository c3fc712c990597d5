import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCarnet, type TestCarnet, type TestResponse } from '../support/harness.js';
import { assertionToken, backendKey, registerClient, seedDirectory } from '../support/auth.js';

/**
 * FHIR Bulk Data export end to end, through the real server and database (PGlite, or PostgreSQL with
 * DATABASE_URL): kick-off at the three levels, polling, the manifest, downloads, cancel, the bad-input
 * answers, scopes, consent and research opt-outs, the snapshot at the transaction time, retention.
 */
const ASYNC = { accept: 'application/fhir+json', prefer: 'respond-async' };

describe('bulk data export', () => {
  let t: TestCarnet;
  let dir: string;
  let now = new Date();
  let emr: string;
  let emrKey: Awaited<ReturnType<typeof backendKey>>;

  const kickOff = async (url: string, options: { headers?: Record<string, string>; token?: string; body?: unknown; method?: string } = {}): Promise<TestResponse> =>
    t.request(options.method ?? (options.body ? 'POST' : 'GET'), url, { headers: { ...ASYNC, ...options.headers }, ...(options.token ? { token: options.token } : {}), ...(options.body ? { body: options.body } : {}) });

  const statusPath = (r: TestResponse) => {
    assert.equal(r.status, 202, r.text);
    const location = String(r.headers['content-location']);
    assert.match(location, /^http:\/\/carnet\.test\/fhir\/\$export-poll-status\/[A-Za-z0-9-]+$/);
    return location.replace('http://carnet.test', '');
  };

  /** Kick-off → run the job → manifest. */
  const exportOf = async (url: string, options: Parameters<typeof kickOff>[1] = {}) => {
    const path = statusPath(await kickOff(url, options));
    const pending = await t.request('GET', path, { ...(options.token ? { token: options.token } : {}) });
    assert.equal(pending.status, 202, pending.text);
    assert.ok(pending.headers['x-progress']);
    assert.ok(Number(pending.headers['retry-after']) > 0);
    await t.carnet.background.runOnce();
    const done = await t.request('GET', path, { ...(options.token ? { token: options.token } : {}) });
    assert.equal(done.status, 200, done.text);
    assert.match(String(done.headers['content-type']), /^application\/json/);
    return { path, manifest: done.body as { transactionTime: string; request: string; requiresAccessToken: boolean; output: { type: string; url: string; count: number }[]; error: { type: string; url: string }[] } };
  };

  const download = async (url: string, token?: string) => {
    const r = await t.request('GET', url.replace('http://carnet.test', ''), token ? { token } : {});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'application/fhir+ndjson');
    return r.text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { resourceType: string; id: string; [k: string]: unknown });
  };

  const everything = async (manifest: Awaited<ReturnType<typeof exportOf>>['manifest'], token?: string) => {
    const all: { resourceType: string; id: string; [k: string]: unknown }[] = [];
    for (const file of manifest.output) {
      const lines = await download(file.url, token);
      assert.equal(lines.length, file.count, `${file.type} count`);
      for (const line of lines) assert.equal(line.resourceType, file.type);
      all.push(...lines);
    }
    return all;
  };

  const put = async (resource: Record<string, unknown>) => {
    const r = await t.request('PUT', `/fhir/${resource.resourceType}/${resource.id}`, { body: resource });
    assert.ok(r.status === 200 || r.status === 201, r.text);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carnet-export-test-'));
    t = await startTestCarnet({ clock: () => now, env: { CARNET_EXPORT_DIR: dir, CARNET_EXPORT_PAGE_SIZE: '3', CARNET_EXPORT_FILE_RESOURCES: '4', CARNET_MPI: 'off' } });
    await seedDirectory(t);
    for (const p of ['p1', 'p2', 'p3', 'p4']) {
      await put({ resourceType: 'Patient', id: p, name: [{ family: `Nom-${p}` }], birthDate: '1970-01-01', gender: 'female' });
      for (const n of [1, 2]) {
        await put({ resourceType: 'Observation', id: `${p}-o${n}`, status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: n === 1 ? 'laboratory' : 'vital-signs' }] }], code: { text: 'x' }, subject: { reference: `Patient/${p}` } });
      }
    }
    await put({ resourceType: 'Group', id: 'cohort', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/p1' } }, { entity: { reference: 'Patient/p2' } }] });
    // p4 opts out of research: in no export.
    await put({
      resourceType: 'Consent', id: 'p4-research', status: 'active', patient: { reference: 'Patient/p4' },
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'research' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], provision: { type: 'deny' },
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTOUT' }] },
    });
    const key = await backendKey('emr-key');
    emrKey = key;
    await registerClient(t, { id: 'emr', name: 'Clinic EMR', kind: 'backend', jwks: { keys: [key.jwk] }, scope: 'system/Patient.read system/Observation.read system/Group.read', organization: 'Organization/org-a' });
    const token = await assertionToken(t, 'emr', key, 'system/Patient.read system/Observation.read');
    assert.equal(token.statusCode, 200, token.body);
    emr = token.json().access_token;
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('system level: every permitted type, files split, counts, opt-out applied, same token downloads', async () => {
    const { manifest } = await exportOf('/fhir/$export');
    assert.equal(manifest.requiresAccessToken, true);
    assert.equal(manifest.request, 'http://carnet.test/fhir/$export');
    assert.ok(Date.parse(manifest.transactionTime) > 0);
    assert.deepEqual(manifest.error, []);
    const all = await everything(manifest);
    const ids = all.map((r) => `${r.resourceType}/${r.id}`);
    assert.equal(new Set(ids).size, ids.length, 'no resource twice');
    assert.ok(ids.includes('Patient/p1') && ids.includes('Observation/p3-o2') && ids.includes('Organization/org-a') && ids.includes('Group/cohort'));
    assert.ok(!ids.some((id) => id.includes('p4')), 'the research opt-out removes the person');
    // 6 observations (p1–p3) in parts of 4: two files.
    assert.deepEqual(manifest.output.filter((o) => o.type === 'Observation').map((o) => o.count), [4, 2]);
    // Only the requesting client downloads.
    const file = manifest.output[0]?.url.replace('http://carnet.test', '') as string;
    assert.equal((await t.request('GET', file, { token: emr })).status, 404);
    assert.equal((await t.request('GET', file, { token: null })).status, 401);
  });

  test('a backend client: its scopes bound the types, its organisation the visibility', async () => {
    const { manifest } = await exportOf('/fhir/$export', { token: emr });
    assert.deepEqual([...new Set(manifest.output.map((o) => o.type))], ['Observation', 'Patient']);
    const all = await everything(manifest, emr);
    assert.equal(all.filter((r) => r.resourceType === 'Patient').length, 3);
    const refused = await kickOff('/fhir/$export?_type=Organization', { token: emr });
    assert.equal(refused.status, 403, refused.text);
    // Re-authorised with narrower scopes, the same client downloads only the types its new token reads.
    const narrow = await assertionToken(t, 'emr', emrKey, 'system/Patient.read');
    assert.equal(narrow.statusCode, 200, narrow.body);
    const patientOnly = narrow.json().access_token as string;
    const fileOf = (type: string) => manifest.output.find((o) => o.type === type)?.url.replace('http://carnet.test', '') as string;
    const denied = await t.request('GET', fileOf('Observation'), { token: patientOnly });
    assert.equal(denied.status, 403, denied.text);
    assert.equal((denied.body as { resourceType: string }).resourceType, 'OperationOutcome');
    assert.equal((await download(fileOf('Patient'), patientOnly)).length, 3);
  });

  test('_type, _since, _typeFilter, _elements and POST Parameters', async () => {
    const typed = await exportOf('/fhir/$export?_type=Patient&_elements=id,gender');
    assert.deepEqual(typed.manifest.output.map((o) => o.type), ['Patient']);
    const patients = await everything(typed.manifest);
    assert.ok(patients.every((p) => p.gender === 'female' && p.name === undefined && (p.meta as { tag: { code: string }[] }).tag.some((c) => c.code === 'SUBSETTED' && !('display' in c))));
    const filtered = await exportOf(`/fhir/$export?_type=Observation&_typeFilter=${encodeURIComponent('Observation?category=laboratory')}`);
    const labs = await everything(filtered.manifest);
    assert.deepEqual(labs.map((o) => o.id).sort(), ['p1-o1', 'p2-o1', 'p3-o1']);
    now = new Date(now.getTime() + 60_000);
    const since = now.toISOString();
    now = new Date(now.getTime() + 60_000);
    await put({ resourceType: 'Observation', id: 'p1-o3', status: 'final', code: { text: 'late' }, subject: { reference: 'Patient/p1' } });
    const posted = await exportOf('/fhir/$export', { body: { resourceType: 'Parameters', parameter: [{ name: '_since', valueInstant: since }, { name: '_type', valueString: 'Observation,Patient' }] } });
    assert.deepEqual((await everything(posted.manifest)).map((r) => r.id), ['p1-o3']);
  });

  test('Patient and Group level: patient data only, a group its members, patient= narrows', async () => {
    const patients = await everything((await exportOf('/fhir/Patient/$export')).manifest);
    assert.ok(patients.length > 0 && !patients.some((r) => r.resourceType === 'Organization' || r.resourceType === 'Practitioner'));
    const group = await everything((await exportOf('/fhir/Group/cohort/$export')).manifest);
    assert.deepEqual([...new Set(group.filter((r) => r.resourceType === 'Patient').map((r) => r.id))].sort(), ['p1', 'p2']);
    assert.ok(group.filter((r) => r.resourceType === 'Observation').every((o) => /^p[12]-/.test(o.id)));
    const one = await everything((await exportOf('/fhir/Group/cohort/$export', { body: { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/p2' } }] } })).manifest);
    assert.deepEqual([...new Set(one.map((r) => (r.resourceType === 'Patient' ? r.id : (r.subject as { reference: string }).reference.slice(8))))], ['p2']);
  });

  test('the export is the record as of its transaction time', async () => {
    const path = statusPath(await kickOff('/fhir/$export?_type=Patient'));
    now = new Date(now.getTime() + 60_000);
    await put({ resourceType: 'Patient', id: 'p2', name: [{ family: 'Changed' }], birthDate: '1970-01-01', gender: 'female' });
    assert.equal((await t.request('DELETE', '/fhir/Patient/p3')).status < 300, true);
    await put({ resourceType: 'Patient', id: 'p9', name: [{ family: 'Later' }] });
    await t.carnet.background.runOnce();
    const manifest = (await t.request('GET', path)).body;
    const rows = await everything(manifest);
    const byId = new Map(rows.map((r) => [r.id, r]));
    assert.equal((byId.get('p2')?.name as { family: string }[])[0]?.family, 'Nom-p2');
    assert.ok(byId.has('p3'), 'deleted after the transaction time: still in');
    assert.ok(!byId.has('p9'), 'created after it: not in');
    await put({ resourceType: 'Patient', id: 'p3', name: [{ family: 'Nom-p3' }], birthDate: '1970-01-01', gender: 'female' });
  });

  test('bad input: the specification\'s answers, and nothing started', async () => {
    const before = (await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM export_request')).rows[0]?.n;
    const expect = async (url: string, status: number, headers: Record<string, string> = {}, method = 'GET') => {
      const r = await t.request(method, url, { headers: { ...ASYNC, ...headers } });
      assert.equal(r.status, status, `${url}: ${r.text}`);
      if (status >= 400) assert.equal(r.body?.resourceType, 'OperationOutcome');
      return r;
    };
    await expect('/fhir/$export', 400, { prefer: '' });
    await expect('/fhir/$export', 406, { accept: 'application/xml' });
    // The kick-off's Accept is required and must name application/fhir+json (Bulk Data 2.0 allows refusing both).
    await expect('/fhir/$export', 400, { accept: '' });
    await expect('/fhir/$export', 406, { accept: 'application/json' });
    await expect(`/fhir/$export?_typeFilter=${encodeURIComponent('Observation?category=laboratory,Patient?nonsense=1')}`, 400);
    await expect('/fhir/$export?_type=Nonsense', 400);
    await expect('/fhir/$export?_outputFormat=text/csv', 400);
    await expect(`/fhir/$export?_since=${new Date(now.getTime() + 86_400_000).toISOString()}`, 400);
    await expect('/fhir/$export?patient=Patient/p1', 400);
    await expect(`/fhir/$export?_typeFilter=${encodeURIComponent('Observation?nonsense=1')}`, 400);
    await expect('/fhir/$export?includeAssociatedData=LatestProvenanceResources', 400);
    await expect('/fhir/$export?_unknown=1', 400);
    await expect('/fhir/Patient/$export?_type=Organization', 400);
    await expect('/fhir/Group/absent/$export', 404);
    const after = (await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM export_request')).rows[0]?.n;
    assert.equal(after, before);
    // handling=lenient: the unsupported parameter is ignored and reported in the error file.
    const lenient = await exportOf('/fhir/$export?_type=Patient&includeAssociatedData=LatestProvenanceResources', { headers: { prefer: 'respond-async, handling=lenient' } });
    assert.equal(lenient.manifest.error.length, 1);
    const [outcome] = await download(lenient.manifest.error[0]?.url as string);
    assert.equal(outcome?.resourceType, 'OperationOutcome');
    // handling=lenient and a _typeFilter Carnet cannot run: that type is exported unfiltered (a superset), and said so.
    const unfiltered = await exportOf(`/fhir/$export?_type=Patient,Observation&_typeFilter=${encodeURIComponent('Patient?status=active')}&_typeFilter=${encodeURIComponent('Observation?category=laboratory')}`,
      { headers: { prefer: 'respond-async, handling=lenient' } });
    const rows = await everything(unfiltered.manifest);
    assert.deepEqual(rows.filter((r) => r.resourceType === 'Patient').map((r) => r.id).sort(), ['p1', 'p2', 'p3', 'p9']);
    assert.deepEqual(rows.filter((r) => r.resourceType === 'Observation').map((r) => r.id).sort(), ['p1-o1', 'p2-o1', 'p3-o1']);
    const [note] = await download(unfiltered.manifest.error[0]?.url as string);
    assert.match(JSON.stringify(note), /_typeFilter Patient\?status=active/);
    // A _type at the Patient level mixing compartment types with others: the others are left out and reported.
    const mixed = await exportOf('/fhir/Patient/$export?_type=Patient,Organization');
    assert.deepEqual([...new Set(mixed.manifest.output.map((o) => o.type))], ['Patient']);
    assert.equal(mixed.manifest.error.length, 1);
  });

  test('patient= names exactly the records exported, not the other records of their person', async () => {
    // p1 and p3 are records of one person (as the MPI would link them).
    await t.carnet.db.query("INSERT INTO mpi_person (person_id, enterprise_id, active, created_at) VALUES ('per-13', 'E-13', true, now())");
    for (const p of ['p1', 'p3']) {
      await t.carnet.db.query("INSERT INTO mpi_record (patient_id, person_id, assurance, matchable, features, updated_at) VALUES ($1, 'per-13', 'manual', true, '{}', now())", [p]);
    }
    try {
      const body = { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/p1' } }] };
      const one = await everything((await exportOf('/fhir/Patient/$export', { body })).manifest);
      assert.deepEqual(one.filter((r) => r.resourceType === 'Patient').map((r) => r.id), ['p1']);
      assert.ok(one.some((r) => r.id === 'p1-o1') && !one.some((r) => JSON.stringify(r).includes('p3')), 'nothing of the other record');
      // A Group's member stands for every record of the person.
      const group = await everything((await exportOf('/fhir/Group/cohort/$export?_type=Patient')).manifest);
      assert.deepEqual(group.map((r) => r.id).sort(), ['p1', 'p2', 'p3']);
    } finally {
      await t.carnet.db.query("DELETE FROM mpi_record WHERE person_id = 'per-13'");
      await t.carnet.db.query("DELETE FROM mpi_person WHERE person_id = 'per-13'");
    }
  });

  test('a user token may not export', async () => {
    const r = await t.request('POST', '/auth/admin/clients', { body: { id: 'confidential-app', name: 'x', kind: 'confidential', secret: 'a-long-enough-client-secret-0123456789', redirectUris: ['https://x.example/cb'], scope: 'user/*.read' }, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 201, r.text);
    const capability = await t.request('GET', '/fhir/metadata', { token: null });
    const ops = capability.body.rest[0].operation as { name: string; definition: string }[];
    assert.ok(ops.some((o) => o.name === 'export' && o.definition === 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export'));
    const patient = (capability.body.rest[0].resource as { type: string; operation: { name: string; definition: string }[] }[]).find((x) => x.type === 'Patient');
    // Named as in the Bulk Data IG's own CapabilityStatement (what bdt and bulk clients look for).
    assert.ok(patient?.operation.some((o) => o.name === 'patient-export' && o.definition === 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export'));
    const group = (capability.body.rest[0].resource as { type: string; operation: { name: string; definition: string }[] }[]).find((x) => x.type === 'Group');
    assert.ok(group?.operation.some((o) => o.name === 'group-export' && o.definition === 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export'));
    const smart = await t.request('GET', '/fhir/.well-known/smart-configuration', { token: null });
    assert.ok(smart.body.operations.some((o: { definition: string }) => o.definition.endsWith('/group-export')));
  });

  test('too many at once: 429 with Retry-After; cancel frees a slot and deletes the files', async () => {
    const first = statusPath(await kickOff('/fhir/$export?_type=Patient'));
    const second = statusPath(await kickOff('/fhir/$export?_type=Patient'));
    const third = await kickOff('/fhir/$export?_type=Patient');
    assert.equal(third.status, 429, third.text);
    assert.ok(Number(third.headers['retry-after']) > 0);
    const id = first.split('/').pop() as string;
    const cancelled = await t.request('DELETE', first);
    assert.equal(cancelled.status, 202, cancelled.text);
    const gone = await t.request('GET', first, { headers: { accept: 'application/json' } });
    assert.equal(gone.status, 404);
    // Polled with Accept: application/json (as the spec tells clients), errors come as that media type.
    assert.match(String(gone.headers['content-type']), /^application\/json/);
    assert.equal(gone.body?.resourceType, 'OperationOutcome');
    assert.equal((await t.request('DELETE', first)).status, 404);
    await t.carnet.background.runOnce();
    assert.ok(!existsSync(join(dir, id)), 'a cancelled export leaves no files');
    assert.equal((await t.request('GET', second)).status, 200);
    // Another client's status is as absent.
    assert.equal((await t.request('GET', second, { token: emr })).status, 404);
  });

  test('retention: finished exports and their files are deleted by the periodic job', async () => {
    const { path } = await exportOf('/fhir/$export?_type=Patient');
    const id = path.split('/').pop() as string;
    assert.ok(existsSync(join(dir, id)));
    now = new Date(now.getTime() + 25 * 3_600_000);
    await t.carnet.background.runOnce();
    // (Tokens expired with the clock: the row itself is checked.)
    assert.equal((await t.carnet.db.query('SELECT 1 FROM export_request WHERE id = $1', [id])).rows.length, 0);
    assert.ok(!existsSync(join(dir, id)));
  });

  test('every kick-off, poll and download is audited', async () => {
    const { rows } = await t.carnet.db.query<{ content: string }>('SELECT content FROM audit_event');
    const text = rows.map((r) => r.content).join('\n');
    assert.match(text, /urn:carnet:export:/);
    assert.match(text, /bulk-files/);
  });
});
