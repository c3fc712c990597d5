import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Person } from '@medplum/fhirtypes';
import { relink } from '../../src/mpi/service/relink.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';
import { patient } from './support.js';

/**
 * `carnet mpi relink` on an index written by an older model: the older model's links are simulated by
 * editing the match index directly (as the previous release would have left it).
 */
const HOME = { address: [{ line: ['4520 rue Fabre'], city: 'Montréal', postalCode: 'H2J 3V3' }], telecom: [{ system: 'phone' as const, value: '514-555-0142' }] };

async function personIdOf(t: TestCarnet, patientId: string): Promise<string> {
  const { rows } = await t.carnet.db.query<{ person_id: string }>('SELECT person_id FROM mpi_record WHERE patient_id = $1', [patientId]);
  assert.ok(rows[0], `Patient/${patientId} is in the index`);
  return rows[0].person_id;
}

async function create(t: TestCarnet, body: unknown): Promise<string> {
  const r = await t.request('POST', '/fhir/Patient', { body });
  assert.equal(r.status, 201, r.text);
  return (r.body as { id: string }).id;
}

/** What the older model left: `patientId` linked automatically into `personId`'s Person, its own Person emptied. */
async function linkAsOldModelDid(t: TestCarnet, patientId: string, personId: string): Promise<void> {
  await t.carnet.db.query(`UPDATE mpi_record SET person_id = $2, assurance = 'auto' WHERE patient_id = $1`, [patientId, personId]);
  await t.carnet.db.query(`UPDATE mpi_candidate SET status = 'obsolete' WHERE patient_id = $1 OR candidate_patient_id = $1`, [patientId]);
}

async function openCandidates(t: TestCarnet): Promise<number> {
  const { rows } = await t.carnet.db.query<{ n: number | string }>(`SELECT count(*) AS n FROM mpi_candidate WHERE status = 'open'`);
  return Number(rows[0]?.n);
}

describe('carnet mpi relink', () => {
  let t: TestCarnet;
  let twinA: string;
  let twinB: string;
  let sylvie: string;
  let sylvieClinic: string;
  let manualA: string;
  let manualB: string;
  before(async () => {
    t = await startTestCarnet();
    // Twins: surname, birth date, address and phone agree, given names differ, no NAM. Today's model keeps them apart.
    twinA = await create(t, patient('urn:sys:hopital', 'H-1', 'Léa', 'Tremblay', '2001-06-14', HOME));
    twinB = await create(t, patient('urn:sys:clinique', 'C-1', 'Emma', 'Tremblay', '2001-06-14', HOME));
    assert.notEqual(await personIdOf(t, twinA), await personIdOf(t, twinB));
    await linkAsOldModelDid(t, twinB, await personIdOf(t, twinA));
    // One person in two sources, left in two Persons by an older normalisation (stale features, no keys).
    sylvie = await create(t, patient('urn:sys:hopital', 'H-2', 'Sylvie', 'Gagnon', '1971-05-02', HOME));
    sylvieClinic = await create(t, patient('urn:sys:clinique', 'C-2', 'Sylvie', 'Gagnon', '1971-05-02', HOME));
    await t.carnet.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ e: string }>(`SELECT nextval('mpi_enterprise_seq')::text AS e`);
      await tx.query(`INSERT INTO mpi_person (person_id, enterprise_id, active, created_at) VALUES ('old-person', $1, true, now())`, [`9${rows[0]!.e.padStart(9, '0')}`]);
      await tx.query(`UPDATE mpi_record SET person_id = 'old-person', features = $2 WHERE patient_id = $1`, [sylvieClinic, JSON.stringify({ id: sylvieClinic, family: 'GAGNONX' })]);
      await tx.query('DELETE FROM mpi_block WHERE patient_id = $1', [sylvieClinic]);
    });
    // A link a person made between two records the model would never link: kept.
    manualA = await create(t, patient('urn:sys:hopital', 'H-3', 'Paul', 'Roy', '1950-01-01'));
    manualB = await create(t, patient('urn:sys:clinique', 'C-3', 'Jacques', 'Lavoie', '1962-09-30'));
    await t.carnet.db.query(`UPDATE mpi_record SET person_id = $2, assurance = 'manual' WHERE patient_id = $1`, [manualB, await personIdOf(t, manualA)]);
  });
  after(() => t.close());

  test('a dry run says what would change and changes nothing', async () => {
    const before = await t.carnet.db.query('SELECT patient_id, person_id, features FROM mpi_record ORDER BY patient_id');
    const queued = await openCandidates(t);
    const report = await relink(t.carnet.ctx, t.carnet.ctx.mpi!, { apply: false, batchSize: 2 });
    assert.equal(report.applied, false);
    assert.equal(report.records, 6);
    assert.equal(report.split, 1, 'the twins would be separated');
    assert.equal(report.joined, 1, 'the stale record would join its person');
    assert.ok(report.featuresChanged >= 1);
    assert.equal(report.kept.reviewed, 2);
    const after = await t.carnet.db.query('SELECT patient_id, person_id, features FROM mpi_record ORDER BY patient_id');
    assert.deepEqual(after.rows, before.rows);
    assert.equal(await openCandidates(t), queued);
  });

  test('applied: twins separated into review, the stale record re-linked, the human link kept, Persons rewritten', async () => {
    const sylviePersons = [await personIdOf(t, sylvie), 'old-person'];
    const progress: string[] = [];
    const report = await relink(t.carnet.ctx, t.carnet.ctx.mpi!, { apply: true, batchSize: 2, onProgress: (pass, done, total) => progress.push(`${pass} ${done}/${total}`) });
    assert.equal(report.split, 1);
    assert.equal(report.joined, 1);
    assert.deepEqual(progress.slice(-1), ['links 6/6']);
    assert.notEqual(await personIdOf(t, twinA), await personIdOf(t, twinB), 'twins are two people');
    const { rows: review } = await t.carnet.db.query<{ patient_id: string; candidate_patient_id: string }>(
      `SELECT patient_id, candidate_patient_id FROM mpi_candidate WHERE status = 'open' AND $1 IN (patient_id, candidate_patient_id) AND $2 IN (patient_id, candidate_patient_id)`,
      [twinA, twinB],
    );
    assert.equal(review.length, 1, 'one review item asks whether the twins are one person');
    assert.equal(await personIdOf(t, sylvieClinic), await personIdOf(t, sylvie));
    assert.equal(await personIdOf(t, manualB), await personIdOf(t, manualA), 'a link a person made stays');
    const person = (await t.request('GET', `/fhir/Person/${await personIdOf(t, sylvie)}`)).body as Person;
    assert.deepEqual(person.link?.map((l) => l.target.reference).sort(), [`Patient/${sylvie}`, `Patient/${sylvieClinic}`].sort());
    // Whichever of the two records came first joined the other's Person; the Person left empty is inactive.
    const emptied = sylviePersons.find((p) => p !== person.id)!;
    const old = (await t.request('GET', `/fhir/Person/${emptied}`)).body as Person;
    assert.equal(old.active, false, 'the emptied Person is inactive');
    assert.equal(old.link, undefined);
    const { rows: log } = await t.carnet.db.query<{ action: string }>(`SELECT action FROM mpi_decision WHERE action LIKE 'relink-%' AND action <> 'relink-features' ORDER BY seq`);
    assert.deepEqual(log.map((r) => r.action).sort(), ['relink-join', 'relink-split']);
  });

  test('running it again finds nothing to do and queues nothing twice', async () => {
    const queued = await openCandidates(t);
    const report = await relink(t.carnet.ctx, t.carnet.ctx.mpi!, { apply: true });
    assert.equal(report.featuresChanged, 0);
    assert.equal(report.split + report.joined, 0);
    assert.equal(await openCandidates(t), queued);
  });
});

describe('carnet mpi relink (the command line)', () => {
  test('a dry run on the configured database prints its report; a wrong command prints usage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-mpi-cli-'));
    try {
      const env = { ...process.env, CARNET_DATA_DIR: dir, DATABASE_URL: '' };
      const out = execFileSync(process.execPath, ['dist/src/cli/carnet.js', 'mpi', 'relink'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.match(out, /^0 records judged in [\d.]+ s — dry run, rolled back/);
      assert.match(out, /links undone into review \(would be\): 0/);
      assert.throws(() => execFileSync(process.execPath, ['dist/src/cli/carnet.js', 'mpi', 'relinq'], { env, stdio: 'pipe' }), /Usage: carnet mpi relink/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
