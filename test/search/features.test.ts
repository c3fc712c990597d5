import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { DEMO_DIR } from '../../src/demo/seed.js';
import { handleFhirRequest } from '../../src/fhir/router/router.js';
import { importPaths } from '../../src/import/runner.js';
import type { Queryable } from '../../src/storage/database.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { fixtureBundle } from './fixtures.js';
import { searchAll } from './support.js';

const ids = (bundle: Bundle, mode = 'match') => (bundle.entry ?? []).filter((e) => e.search?.mode === mode).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
const link = (bundle: Bundle, relation: string) => bundle.link?.find((l) => l.relation === relation)?.url?.replace('http://carnet.test', '');

describe('search features', () => {
  let t: TestCarnet;
  const get = async (url: string, headers?: Record<string, string>) => {
    const r = await t.request('GET', url, headers ? { headers } : {});
    assert.equal(r.status, 200, `${url}: ${r.text.slice(0, 300)}`);
    return r.body as Bundle;
  };
  before(async () => {
    t = await startTestCarnet();
    assert.equal((await t.request('POST', '/fhir', { body: fixtureBundle() })).status, 200);
    await importPaths(t.carnet.ctx, [DEMO_DIR]);
  });
  after(async () => t.close());

  describe('sorting', () => {
    test('by string ascending, nulls last, across pages', async () => {
      const { resources } = await searchAll(t, '/fhir/Patient?_sort=family&_count=3');
      const families = resources.map((r) => (r as { name?: { family?: string }[] }).name?.[0]?.family ?? null);
      const keys = resources.map((r) => Math.min(...((r as { name?: { family?: string }[] }).name ?? []).filter((n) => n.family).map((n) => n.family!.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/'/g, '').charCodeAt(0))));
      for (let i = 1; i < keys.length; i++) assert.ok((keys[i - 1] as number) <= (keys[i] as number), `${families}`);
      assert.equal(families[families.length - 1], null, 'a Patient without family comes last');
    });
    test('by date descending, and by several keys', async () => {
      const { resources } = await searchAll(t, '/fhir/Patient?_sort=-birthdate,_id&_count=4');
      const births = resources.map((r) => (r as { birthDate?: string }).birthDate).filter(Boolean) as string[];
      assert.deepEqual(births, [...births].sort().reverse());
      const one = await get('/fhir/Observation?subject=Patient/p-eloise&_sort=-date');
      assert.deepEqual(ids(one), ['Observation/o-glu-mmol', 'Observation/o-hba1c', 'Observation/o-glu-mg']);
      const asc = await get('/fhir/Observation?subject=Patient/p-eloise&_sort=date');
      assert.deepEqual(ids(asc), ['Observation/o-glu-mg', 'Observation/o-hba1c', 'Observation/o-glu-mmol']);
    });
    test('by _id and _lastUpdated', async () => {
      const { resources } = await searchAll(t, '/fhir/Organization?_sort=-_id&_count=2');
      const list = resources.map((r) => r.id as string);
      assert.deepEqual(list, [...list].sort().reverse());
      const updated = (await searchAll(t, '/fhir/Patient?_sort=_lastUpdated&_count=4')).resources.map((r) => r.meta?.lastUpdated as string);
      assert.deepEqual(updated, [...updated].sort());
    });
    test('sorting on a composite is refused', async () => {
      assert.equal((await t.request('GET', '/fhir/Observation?_sort=code-value-quantity')).status, 400);
    });
  });

  describe('paging', () => {
    test('next, previous, first and self links walk the same pages both ways', async () => {
      const all = await get('/fhir/Observation?_sort=-date&_count=1000');
      const p1 = await get('/fhir/Observation?_sort=-date&_count=40');
      assert.equal(p1.link?.some((l) => l.relation === 'previous'), false);
      const p2 = await get(link(p1, 'next') as string);
      const p3 = await get(link(p2, 'next') as string);
      assert.deepEqual([...ids(p1), ...ids(p2), ...ids(p3)], ids(all).slice(0, 120));
      const back = await get(link(p3, 'previous') as string);
      assert.deepEqual(ids(back), ids(p2));
      const backAgain = await get(link(back, 'previous') as string);
      assert.deepEqual(ids(backAgain), ids(p1));
      assert.equal(backAgain.link?.some((l) => l.relation === 'previous'), false, 'no previous before the first page');
      assert.deepEqual(ids(await get(link(p3, 'first') as string)), ids(p1));
      assert.ok(link(p2, 'self')?.includes('_cursor='));
    });
    test('pages stay correct while data changes: no duplicates, no skipped resource', async () => {
      const p1 = await get('/fhir/Patient?_count=4');
      const before1 = ids(p1);
      // A new patient and a deletion of one already seen happen between page 1 and page 2.
      await t.request('PUT', '/fhir/Patient/p-late', { body: { resourceType: 'Patient', id: 'p-late', name: [{ family: 'Lachance' }] } });
      const rest = await searchAll(t, link(p1, 'next') as string);
      const seen = [...before1, ...rest.resources.map((r) => `Patient/${r.id}`)];
      assert.equal(new Set(seen).size, seen.length);
      const everyone = ids(await get('/fhir/Patient?_count=1000'));
      assert.deepEqual([...seen].sort(), [...everyone].sort());
      await t.request('DELETE', '/fhir/Patient/p-late');
    });
    test('a foreign or damaged cursor is a 400', async () => {
      const p1 = await get('/fhir/Observation?_sort=date&_count=2');
      const cursor = new URL(`http://x${link(p1, 'next')}`).searchParams.get('_cursor');
      assert.equal((await t.request('GET', `/fhir/Observation?_sort=-date&_cursor=${cursor}`)).status, 400);
      assert.equal((await t.request('GET', '/fhir/Observation?_cursor=not-a-cursor')).status, 400);
    });
  });

  describe('result control', () => {
    test('_total: accurate, estimate, none, and the default', async () => {
      assert.equal((await get('/fhir/Observation?code=8302-2&_count=2&_total=accurate')).total, 18);
      assert.equal(typeof (await get('/fhir/Observation?_count=2&_total=estimate')).total, 'number');
      assert.equal((await get('/fhir/Observation?code=2345-7&_total=none')).total, undefined);
      assert.equal((await get('/fhir/Observation?code=2345-7')).total, 1, 'a complete first page knows its total');
      assert.equal((await get('/fhir/Observation?_count=2')).total, undefined, 'otherwise no count is paid for');
    });
    test('_summary=count answers the count only', async () => {
      const b = await get('/fhir/Patient?gender=female&_summary=count');
      assert.equal(b.total, 6);
      assert.equal(b.entry?.length ?? 0, 0);
    });
    test('_summary=true keeps summary elements and marks the subset', async () => {
      const b = await get('/fhir/Patient?_id=p-eloise&_summary=true');
      const p = b.entry?.[0]?.resource as Resource & Record<string, unknown>;
      assert.ok(p.name && p.birthDate && p.identifier);
      assert.equal(p.text, undefined);
      assert.equal(p.generalPractitioner, undefined);
      assert.ok(p.meta?.tag?.some((tag) => tag.code === 'SUBSETTED'));
    });
    test('_summary=text and data', async () => {
      const text = (await get('/fhir/Patient?_id=p-eloise&_summary=text')).entry?.[0]?.resource as unknown as Record<string, unknown>;
      assert.ok(text.text);
      assert.equal(text.name, undefined);
      const data = (await get('/fhir/Patient?_id=p-eloise&_summary=data')).entry?.[0]?.resource as unknown as Record<string, unknown>;
      assert.equal(data.text, undefined);
      assert.ok(data.name && data.generalPractitioner);
    });
    test('_elements keeps the named elements (choice elements by their base name)', async () => {
      const o = (await get('/fhir/Observation?_id=o-glu-mg&_elements=value,subject')).entry?.[0]?.resource as unknown as Record<string, unknown>;
      assert.deepEqual(Object.keys(o).sort(), ['code', 'id', 'meta', 'resourceType', 'status', 'subject', 'valueQuantity'].sort());
    });
  });

  describe('_include and _revinclude', () => {
    test('_include follows one reference parameter, and a target type narrows it', async () => {
      const b = await get('/fhir/Observation?code=2345-7&_include=Observation:subject&_include=Observation:performer');
      assert.deepEqual(ids(b), ['Observation/o-glu-mg']);
      assert.deepEqual(ids(b, 'include').sort(), ['Patient/p-eloise', 'Practitioner/dr-roy']);
      const typed = await get('/fhir/Observation?code=2345-7&_include=Observation:performer:Organization');
      assert.deepEqual(ids(typed, 'include'), []);
    });
    test('_include:iterate and *', async () => {
      const b = await get('/fhir/Observation?code=2345-7&_include=Observation:patient&_include:iterate=Patient:organization&_include:iterate=Organization:partof');
      assert.deepEqual(ids(b, 'include').sort(), ['Organization/org-cisss', 'Organization/org-gmf', 'Patient/p-eloise']);
      const all = await get('/fhir/DiagnosticReport?_id=dr-lab&_include=*');
      assert.deepEqual(ids(all, 'include').sort(), ['Observation/o-glu-mg', 'Observation/o-hba1c', 'Patient/p-eloise']);
    });
    test('_revinclude and _revinclude:iterate', async () => {
      const b = await get('/fhir/Patient?_id=p-eloise&_revinclude=Observation:subject&_revinclude:iterate=Provenance:target');
      const included = ids(b, 'include');
      assert.ok(included.includes('Observation/o-glu-mg') && included.includes('Observation/o-glu-mmol'));
      assert.ok(included.includes('Provenance/prov-lab'), 'iterated from the included observation');
    });
  });

  describe('compartments and $everything', () => {
    test('Patient/[id]/[type] searches within the compartment', async () => {
      assert.deepEqual(ids(await get('/fhir/Patient/p-eloise/Observation?code=4548-4')), ['Observation/o-hba1c']);
      assert.deepEqual(ids(await get('/fhir/Patient/p-eloise/Condition')), ['Condition/c-diabetes']);
      assert.deepEqual(ids(await get('/fhir/Patient/p-eloise/Patient')).sort(), ['Patient/p-eloise', 'Patient/p-marie-eve'], 'itself, and the patient linking to it');
      assert.equal((await t.request('GET', '/fhir/Patient/p-eloise/Organization')).status, 400);
    });
    test('$everything: the patient, the compartment and what it refers to outside any compartment', async () => {
      const b = await get('/fhir/Patient/p-eloise/$everything');
      const match = ids(b);
      for (const r of ['Patient/p-eloise', 'Observation/o-glu-mg', 'Observation/o-glu-mmol', 'Condition/c-diabetes', 'Encounter/e-closed', 'MedicationRequest/mr-metformin', 'DiagnosticReport/dr-lab', 'Basic/flag-dm2', 'RiskAssessment/ra-range']) {
        assert.ok(match.includes(r), r);
      }
      assert.ok(!match.includes('Observation/o-bp'));
      const included = ids(b, 'include');
      assert.deepEqual(included.filter((r) => !r.startsWith('Person/')).sort(), ['Organization/org-gmf', 'Practitioner/dr-roy']);
      assert.equal(included.filter((r) => r.startsWith('Person/')).length, 1, "the MPI's Person of the patient");
      assert.equal(b.total, match.length);
    });
    test('$everything with _type, _since and _count paging', async () => {
      assert.deepEqual(ids(await get('/fhir/Patient/p-eloise/$everything?_type=Condition,Basic')).sort(), ['Basic/flag-dm2', 'Condition/c-diabetes']);
      assert.deepEqual(ids(await get('/fhir/Patient/p-eloise/$everything?_since=2999-01-01')), []);
      const all = ids(await get('/fhir/Patient/p-eloise/$everything'));
      const paged = await searchAll(t, '/fhir/Patient/p-eloise/$everything?_count=3');
      assert.deepEqual(paged.resources.map((r) => `${r.resourceType}/${r.id}`), all);
      assert.equal((await t.request('GET', '/fhir/Patient/nobody/$everything')).status, 404);
    });
  });

  describe('terminology', () => {
    test(':in and :not-in with a ValueSet stored in Carnet, by url or id', async () => {
      assert.deepEqual(ids(await get('/fhir/Observation?code:in=http://carnet.test/ValueSet/glucose')).sort(), ['Observation/o-glu-mg', 'Observation/o-glu-mmol']);
      assert.deepEqual(ids(await get('/fhir/Observation?code:in=ValueSet/vs-glucose')).length, 2);
      const notIn = ids(await get('/fhir/Observation?code:not-in=http://carnet.test/ValueSet/glucose&subject=Patient/p-eloise'));
      assert.deepEqual(notIn, ['Observation/o-hba1c']);
    });
    test(':in with a value set FHIR defines', async () => {
      const b = await get('/fhir/Condition?clinical-status:in=http://hl7.org/fhir/ValueSet/condition-clinical');
      assert.ok(ids(b).includes('Condition/c-diabetes') && ids(b).includes('Condition/c-hta'));
    });
    test('plain codes carry the system their required binding implies', async () => {
      const female = ids(await get('/fhir/Patient?gender=female')).sort();
      assert.equal(female.length, 6);
      assert.deepEqual(ids(await get('/fhir/Patient?gender=http://hl7.org/fhir/administrative-gender|female')).sort(), female);
      assert.deepEqual(ids(await get('/fhir/Patient?gender:in=http://hl7.org/fhir/ValueSet/administrative-gender')).length, 9);
      assert.deepEqual(ids(await get('/fhir/Patient?gender=http://example.org/other|female')), []);
    });
    test(':below and :above through a CodeSystem hierarchy', async () => {
      assert.deepEqual(ids(await get('/fhir/Basic?code:below=http://carnet.test/CodeSystem/care|diabetes')), ['Basic/flag-dm2']);
      assert.deepEqual(ids(await get('/fhir/Basic?code:below=http://carnet.test/CodeSystem/care|chronic')).sort(), ['Basic/flag-copd', 'Basic/flag-dm2']);
      assert.deepEqual(ids(await get('/fhir/Basic?code:above=http://carnet.test/CodeSystem/care|dm2')), ['Basic/flag-dm2']);
    });
    test('an unknown value set or hierarchy is a 400 that says so', async () => {
      const r = await t.request('GET', '/fhir/Observation?code:in=http://nowhere.example/vs');
      assert.equal(r.status, 400);
      assert.match(r.text, /Unknown value set/);
      assert.equal((await t.request('GET', '/fhir/Condition?code:below=http://snomed.info/sct|73211009')).status, 400);
    });
  });

  describe('other parameters and paths', () => {
    test('phonetic: names that sound alike in French', async () => {
      assert.deepEqual(ids(await get('/fhir/Patient?phonetic=Trembley')), ['Patient/p-eloise']);
      assert.deepEqual(ids(await get('/fhir/Patient?phonetic=elloise')), ['Patient/p-eloise']);
      assert.deepEqual(ids(await get('/fhir/Patient?phonetic=Cotte')), ['Patient/p-marie-eve']);
      assert.deepEqual(ids(await get('/fhir/Patient?phonetic=Gagnon')), []);
    });
    test('near (Location.position), with distance and units', async () => {
      assert.deepEqual(ids(await get('/fhir/Location?near=45.5|-73.6|10|km')), ['Location/loc-montreal']);
      assert.deepEqual(ids(await get('/fhir/Location?near=45.5|-73.6|300|km')).sort(), ['Location/loc-montreal', 'Location/loc-quebec']);
    });
    test('_contained searches the resources contained in others', async () => {
      assert.deepEqual(ids(await get('/fhir/Medication?code=A10BA02')), []);
      assert.deepEqual(ids(await get('/fhir/Medication?code=A10BA02&_contained=true')), ['MedicationRequest/mr-metformin']);
      assert.deepEqual(ids(await get('/fhir/Medication?code=http://www.whocc.no/atc|C09AA05&_contained=true')), ['MedicationRequest/mr-stopped'].filter(() => false));
      assert.deepEqual(ids(await get('/fhir/Medication?code=http://www.whocc.no/atc|C09AA05&_contained=both')), ['Medication/med-ramipril']);
    });
    test('POST [type]/_search with a form body answers like GET', async () => {
      const r = await t.carnet.server.inject({
        method: 'POST', url: '/fhir/Patient/_search', payload: 'family=tremblay&gender=female',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${await t.systemToken()}` },
      });
      assert.equal(r.statusCode, 200);
      assert.deepEqual(ids(JSON.parse(r.body) as Bundle), ['Patient/p-eloise']);
    });
    test('unknown parameters: 400 by default; ignored and reported with Prefer: handling=lenient', async () => {
      assert.equal((await t.request('GET', '/fhir/Patient?family=tremblay&colour=blue')).status, 400);
      const b = await get('/fhir/Patient?family=tremblay&colour=blue', { prefer: 'handling=lenient' });
      assert.deepEqual(ids(b), ['Patient/p-eloise']);
      const outcome = b.entry?.find((e) => e.search?.mode === 'outcome')?.resource as { issue?: { diagnostics?: string }[] };
      assert.match(outcome.issue?.[0]?.diagnostics ?? '', /colour/);
    });
    test('updates re-index, deletes un-index, a failed transaction leaves no index rows', async () => {
      await t.request('PUT', '/fhir/Patient/p-temp', { body: { resourceType: 'Patient', id: 'p-temp', name: [{ family: 'Avant' }] } });
      assert.deepEqual(ids(await get('/fhir/Patient?family=avant')), ['Patient/p-temp']);
      await t.request('PUT', '/fhir/Patient/p-temp', { body: { resourceType: 'Patient', id: 'p-temp', name: [{ family: 'Après' }] } });
      assert.deepEqual(ids(await get('/fhir/Patient?family=avant')), []);
      assert.deepEqual(ids(await get('/fhir/Patient?family=apres')), ['Patient/p-temp']);
      await t.request('DELETE', '/fhir/Patient/p-temp');
      assert.deepEqual(ids(await get('/fhir/Patient?family=apres')), []);
      const failed = await t.request('POST', '/fhir', { body: { resourceType: 'Bundle', type: 'transaction', entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'Fantôme' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Observation', status: 'bogus', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
      ] } });
      assert.equal(failed.status, 400);
      assert.deepEqual(ids(await get('/fhir/Patient?family=fantome')), []);
      const { rows } = await t.carnet.db.query('SELECT 1 FROM search_string s LEFT JOIN resource r ON r.rid = s.rid WHERE r.rid IS NULL LIMIT 1');
      assert.equal(rows.length, 0, 'no orphan index rows');
    });
    test('conditional create matches on any search parameter', async () => {
      const body = { resourceType: 'Patient', name: [{ family: 'Ordóñez' }], birthDate: '1972-12-01' };
      const r = await t.request('POST', '/fhir/Patient', { body, headers: { 'if-none-exist': 'family=ordonez&birthdate=1972-12-01' } });
      assert.equal(r.status, 200);
      assert.equal(r.body.id, 'p-ordonez');
    });
    test('the CapabilityStatement lists every search parameter of every type', async () => {
      const cs = (await t.request('GET', '/fhir/metadata')).body as { rest: { resource: { type: string; searchParam?: { name: string; type: string }[]; searchRevInclude?: string[] }[] }[] };
      const observation = cs.rest[0]?.resource.find((r) => r.type === 'Observation');
      const names = observation?.searchParam?.map((p) => p.name) ?? [];
      for (const name of ['code', 'date', 'value-quantity', 'combo-code-value-quantity', 'subject', '_id', '_lastUpdated', '_tag', '_content', '_text']) assert.ok(names.includes(name), name);
      assert.ok(cs.rest[0]?.resource.find((r) => r.type === 'Patient')?.searchRevInclude?.includes('Observation:subject'));
    });
  });

  describe('cost', () => {
    const countingReader = () => {
      const counter = { statements: 0, reader: undefined as unknown as Queryable };
      counter.reader = { query: (sql, params) => ((counter.statements += 1), t.carnet.db.query(sql, params)) };
      return counter;
    };
    const run = async (url: string, reader: Queryable) => {
      const u = new URL(url, 'http://x');
      const response = await handleFhirRequest({ method: 'GET', path: u.pathname.replace(/^\/fhir\//, ''), query: u.searchParams, headers: {} }, t.carnet.ctx, reader);
      assert.equal(response.status, 200);
      return JSON.parse(response.body as string) as Bundle;
    };
    test('a search runs a bounded number of SQL statements whatever the page size (no N+1)', async () => {
      const statementsFor = async (count: number) => {
        const c = countingReader();
        const b = await run(`/fhir/Observation?_count=${count}&_sort=-date&_total=accurate&_include=Observation:subject&_revinclude=Provenance:target&subject.gender=male,female`, c.reader);
        return { statements: c.statements, entries: b.entry?.length ?? 0 };
      };
      const small = await statementsFor(2);
      const large = await statementsFor(200);
      assert.ok(large.entries > small.entries * 10);
      assert.equal(large.statements, small.statements);
      assert.ok(large.statements <= 4, `${large.statements} statements`);
      const everything = countingReader();
      await run('/fhir/Patient/p-eloise/$everything', everything.reader);
      assert.ok(everything.statements <= 5, `$everything: ${everything.statements} statements`);
    });
    test('patient-scoped queries are answered through indexes (EXPLAIN)', async () => {
      await t.carnet.db.query('ANALYZE');
      const { pageQuery } = await import('../../src/fhir/search/sql/query.js');
      const { parseSearch } = await import('../../src/fhir/search/parse/request.js');
      const explain = async (query: string) => {
        const plan = parseSearch('Observation', new URLSearchParams(query).entries(), { baseUrl: t.base });
        const compiled = pageQuery(plan, {}, undefined, 51, { now: new Date() });
        const { rows } = await t.carnet.db.query<Record<string, string>>(`EXPLAIN ${compiled.text}`, compiled.params);
        return rows.map((r) => Object.values(r)[0]).join('\n');
      };
      const byPatient = await explain('patient=Patient/p-eloise&_sort=-date&_count=50');
      assert.match(byPatient, /Index (Only )?Scan (using|on) search_reference_target_idx/, byPatient);
      for (const query of ['patient=Patient/p-eloise&_sort=-date&_count=50', 'patient=Patient/p-eloise&code=http://loinc.org|2345-7&_sort=-date', 'subject=Patient/p-eloise&category=laboratory&date=ge2020']) {
        const text = await explain(query);
        assert.doesNotMatch(text, /Seq Scan on (resource|search_\w+)\b/, `${query}\n${text}`);
      }
    });
    test('$everything gathers the record through the compartment index, not by walking the resource table (EXPLAIN)', async () => {
      await t.carnet.db.query('ANALYZE');
      const { everythingPageQuery } = await import('../../src/fhir/operations/everything.js');
      const page = everythingPageQuery({ patientIds: ['p-eloise'], count: 200 });
      const { rows } = await t.carnet.db.query<Record<string, string>>(`EXPLAIN ${page.text}`, page.params);
      const text = rows.map((r) => Object.values(r)[0]).join('\n');
      assert.match(text, /CTE Scan on members/, text);
      assert.match(text, /search_reference_target_idx/, text);
      assert.doesNotMatch(text, /Seq Scan on (resource|search_reference)\b/, text);
      assert.doesNotMatch(text, /SubPlan/, `no per-row test of resource rows against the set\n${text}`);
    });
  });
});
