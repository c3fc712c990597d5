import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateCommand } from '../../src/cli/generate.js';
import { GROUND_TRUTH_FILE, seedDemoIfEmpty } from '../../src/demo/seed.js';
import { collectReferences, parseLocalReference } from '../../src/fhir/references.js';
import type { GroundTruth } from '../../src/generate/ground-truth.js';
import type { Resource } from '@medplum/fhirtypes';
import { loadPopulation, silentProgress } from '../../src/generate/load.js';
import { generatePopulation, type Population } from '../../src/generate/population.js';
import { importPaths } from '../../src/import/runner.js';
import { startTestCarnet, usingPostgres, type TestCarnet } from '../support/harness.js';
import { generateTestPopulation, loadTestPopulation } from '../support/population.js';


async function counts(t: TestCarnet): Promise<Map<string, number>> {
  const { rows } = await t.carnet.db.query<{ resource_type: string; n: number }>('SELECT resource_type, count(*)::int AS n FROM resource WHERE NOT deleted GROUP BY resource_type');
  return new Map(rows.map((r) => [r.resource_type, Number(r.n)]));
}

async function versions(t: TestCarnet): Promise<number> {
  return Number((await t.carnet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource_version')).rows[0]?.n);
}

describe('loading the generated population', () => {
  let t: TestCarnet;
  let truth: GroundTruth;
  let loaded: number;
  before(async () => {
    t = await startTestCarnet();
    ({ groundTruth: truth, resources: loaded } = await loadTestPopulation(t));
  });
  after(() => t.close());

  test('every generated resource is stored, in its patient compartment, with every reference resolving', async () => {
    const generated = generateTestPopulation();
    const expected = new Map<string, number>();
    for (const r of [...generated.directory, ...generated.records.flatMap((b) => b.resources)]) expected.set(r.resourceType, (expected.get(r.resourceType) ?? 0) + 1);
    const stored = await counts(t);
    stored.delete('Person'); // made by the master patient index, not by the generator
    assert.deepEqual(stored, expected);
    assert.equal(loaded, [...expected.values()].reduce((a, b) => a + b, 0));
    const { rows } = await t.carnet.db.query<{ resource_type: string; id: string; content: string; patient_id: string | null }>('SELECT resource_type, id, content, patient_id FROM resource');
    const keys = new Set(rows.map((r) => `${r.resource_type}/${r.id}`));
    for (const row of rows) {
      for (const reference of collectReferences(JSON.parse(row.content))) {
        const local = parseLocalReference(reference, t.base);
        assert.ok(local && keys.has(`${local.resourceType}/${local.id}`), `${row.resource_type}/${row.id} → ${reference}`);
      }
      if (['Observation', 'Condition', 'MedicationDispense', 'Immunization', 'Encounter'].includes(row.resource_type)) assert.ok(row.patient_id, `${row.resource_type}/${row.id} has a compartment`);
    }
  });

  test('the master patient index links the sources of each person, and never two persons together', async () => {
    const { rows } = await t.carnet.db.query<{ patient_id: string; person_id: string }>('SELECT patient_id, person_id FROM mpi_record');
    const personOf = new Map(rows.map((r) => [r.patient_id, r.person_id]));
    const truthOf = new Map<string, string>();
    for (const person of truth.persons) for (const record of person.records) truthOf.set(record.patient.replace(/^Patient\//, ''), person.key);
    const membersOf = new Map<string, Set<string>>();
    for (const [patient, person] of personOf) membersOf.set(person, (membersOf.get(person) ?? new Set()).add(truthOf.get(patient) ?? `?${patient}`));
    const falseMerges = [...membersOf.values()].filter((people) => people.size > 1);
    assert.deepEqual(falseMerges, [], 'no Person holds records of two people');
    const whole = truth.persons.filter((p) => new Set(p.records.map((r) => personOf.get(r.patient.replace(/^Patient\//, '')))).size === 1);
    assert.ok(whole.length >= truth.persons.length * 0.8, `${whole.length} of ${truth.persons.length} persons have all their sources under one Person`);
  });

  test('the ground truth names Patients that the API serves, findable by their source identifier', async () => {
    const record = truth.persons[0]?.records[0];
    assert.ok(record);
    const read = await t.request('GET', `/fhir/${record.patient}`);
    assert.equal(read.status, 200);
    const search = await t.request('GET', `/fhir/Patient?identifier=${encodeURIComponent(`${record.identifier.system}|${record.identifier.value}`)}`);
    assert.equal(search.status, 200);
    assert.equal(search.body.entry?.[0]?.resource?.id, record.patient.split('/')[1]);
    const nam = truth.persons[0]?.nam as string;
    const byNam = await t.request('GET', `/fhir/Patient?identifier=${encodeURIComponent(`https://fhir.infoway-inforoute.ca/NamingSystem/ca-qc-patient-healthcare-id|${nam}`)}`);
    const expected = truth.persons[0]?.records.filter((s) => s.nam === nam).length;
    assert.equal(byNam.body.entry?.length ?? 0, expected, 'every source holding the right NAM is found by it');
  });

  test('the clinical content is searchable by its codes', async () => {
    for (const query of [
      'Observation?code=http://loinc.org|85354-9',
      'Immunization?vaccine-code=http://hl7.org/fhir/sid/cvx|150,http://hl7.org/fhir/sid/cvx|197,http://hl7.org/fhir/sid/cvx|213',
      'MedicationDispense?status=completed',
      'Encounter?class=http://terminology.hl7.org/CodeSystem/v3-ActCode|AMB',
      'Slot?status=free',
    ]) {
      const response = await t.request('GET', `/fhir/${query}`);
      assert.equal(response.status, 200, query);
      assert.ok((response.body.entry?.length ?? 0) > 0, `${query} finds something`);
    }
  });

  test('the full search engine finds a person’s source records and results', async () => {
    const person = truth.persons.find((p) => p.records.some((r) => r.source === 'lab')) ?? truth.persons[0];
    assert.ok(person);
    const clean = person.records.filter((r) => r.perturbations.length === 0 && !r.duplicate).map((r) => r.patient.split('/')[1]);
    const byBirth = await t.request('GET', `/fhir/Patient?birthdate=${person.birthDate}&_count=100`);
    assert.equal(byBirth.status, 200);
    const found = new Set((byBirth.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id));
    for (const id of clean) assert.ok(found.has(id), `Patient/${id} born ${person.birthDate}`);
    const lab = person.records.find((r) => r.source === 'lab');
    if (lab) {
      const results = await t.request('GET', `/fhir/Observation?subject=${lab.patient}&category=laboratory&_sort=-date`);
      assert.equal(results.status, 200);
      const dates = (results.body.entry ?? []).map((e: { resource: { effectiveDateTime: string } }) => e.resource.effectiveDateTime);
      assert.deepEqual([...dates].sort().reverse(), dates, 'newest first');
    }
  });

  test('loading the same population again creates nothing and makes no new version', async () => {
    const before = await versions(t);
    const again = await loadTestPopulation(t);
    assert.equal(again.resources, loaded);
    assert.equal(await versions(t), before);
  });

  test('carnet generate writes Bundles that carnet import loads (the directory is shared, not duplicated)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-generate-'));
    assert.equal(await generateCommand(['--persons', '15', '--seed', 'carnet-tests', '--out', dir]), 0);
    const files = readdirSync(dir);
    assert.ok(files.includes('000-directory.json') && files.includes('ground-truth.json') && files.includes('P0015.json'));
    const written = JSON.parse(readFileSync(join(dir, 'ground-truth.json'), 'utf8')) as GroundTruth;
    assert.deepEqual(written.persons, JSON.parse(JSON.stringify(truth.persons)));
    const before = await versions(t);
    const summary = await importPaths(t.carnet.ctx, [dir]);
    assert.equal(summary.failedFiles, 0);
    assert.equal(summary.created + summary.updated, 0, 'same seed, same resources: nothing new');
    assert.ok(summary.matchedExisting > 0);
    assert.equal(await versions(t), before);
  });

  test('NDJSON output loads too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-generate-'));
    assert.equal(await generateCommand(['--persons', '3', '--seed', 'ndjson', '--format', 'ndjson', '--out', dir]), 0);
    assert.ok(readdirSync(dir).includes('Patient.ndjson'));
    const other = await startTestCarnet();
    try {
      const summary = await importPaths(other.carnet.ctx, [dir]);
      assert.equal(summary.failedFiles, 0);
      assert.ok(summary.created > 100);
    } finally {
      await other.close();
    }
  });

  test('the same options write the same bytes', async () => {
    const [a, b] = [mkdtempSync(join(tmpdir(), 'carnet-generate-')), mkdtempSync(join(tmpdir(), 'carnet-generate-'))];
    for (const dir of [a, b]) assert.equal(await generateCommand(['--persons', '4', '--seed', 'bytes', '--out', dir]), 0);
    const files = readdirSync(a).sort();
    assert.deepEqual(readdirSync(b).sort(), files);
    for (const file of files) assert.ok(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), file);
  });

  test('bad options are refused with a usage message', async () => {
    assert.equal(await generateCommand(['--format', 'xml']), 2);
    assert.equal(await generateCommand(['--persons', '0']), 2);
    assert.equal(await generateCommand(['--reference-date', 'tomorrow']), 2);
  });
});

describe('first start', () => {
  test('the load is all or nothing: a record that fails leaves the database empty', async () => {
    const t = await startTestCarnet();
    try {
      const population = generatePopulation({ persons: 12, seed: 'atomic' });
      const broken: Population = {
        ...population,
        *records() {
          let i = 0;
          for (const record of population.records()) {
            // The eleventh person (second batch) carries an invalid resource.
            yield ++i === 11 ? { ...record, resources: [...record.resources, { resourceType: 'Observation', id: 'broken', status: 'bogus' } as unknown as Resource] } : record;
          }
        },
      };
      await assert.rejects(loadPopulation(t.carnet.ctx, broken), /Observation/);
      assert.equal((await counts(t)).size, 0);
      assert.equal(await versions(t), 0);
    } finally {
      await t.close();
    }
  });

  test('an empty embedded database gets the demo population; CARNET_DEMO=off and a second start leave it alone', async () => {
    const off = await startTestCarnet({ env: { CARNET_DEMO: 'off', CARNET_SECRET: 'a-production-secret-of-at-least-32-characters', CARNET_DEMO_PERSONS: '3', CARNET_DATA_DIR: 'memory://' } });
    try {
      assert.equal(await seedDemoIfEmpty(off.carnet, silentProgress), false);
      assert.equal((await counts(off)).size, 0);
    } finally {
      await off.close();
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'carnet-demo-'));
    const on = await startTestCarnet({ env: { CARNET_DEMO_PERSONS: '4', CARNET_DEMO_SEED: 'first-start', CARNET_DATA_DIR: dataDir } });
    try {
      const seeded = await seedDemoIfEmpty(on.carnet, silentProgress);
      // Demo data is only ever loaded into embedded PGlite, never into a PostgreSQL server.
      assert.equal(seeded, !usingPostgres);
      if (seeded) {
        assert.ok(((await counts(on)).get('Patient') ?? 0) >= 8, 'every person is in several sources');
        const truth = JSON.parse(readFileSync(join(dataDir, GROUND_TRUTH_FILE), 'utf8')) as GroundTruth;
        assert.equal(truth.persons.length, 4);
        assert.equal(truth.options.seed, 'first-start');
        const again = await versions(on);
        assert.equal(await seedDemoIfEmpty(on.carnet, silentProgress), false);
        assert.equal(await versions(on), again);
      }
    } finally {
      await on.close();
    }
  });
});
