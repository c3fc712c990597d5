import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NAM_SYSTEM } from '../../src/mpi/record.js';
import { listenOnSocket, startTestCarnet, usingPostgres, type TestCarnet } from '../support/harness.js';
import { patient } from './support.js';

/**
 * Two source systems registering the same new person at the same moment must produce one Person. On
 * PostgreSQL the writes really run in parallel (a pool of connections); the matcher's advisory locks on
 * shared blocking keys make the second one see the first.
 */
describe(`MPI concurrency over a real socket (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  let t: TestCarnet;
  let origin: string;
  before(async () => {
    t = await startTestCarnet();
    origin = await listenOnSocket(t);
  });
  after(() => t.close());

  test('simultaneous registrations of the same new people by two sources form one Person each', async () => {
    const people = [
      ['Amélie', 'Bouchard', '1984-02-11'], ['Olivier', 'Gauthier', '1979-07-30'], ['Chloé', 'Morin', '2003-12-01'],
      ['Félix', 'Lavoie', '1995-05-19'], ['Léa', 'Fortin', '1969-09-09'], ['Samuel', 'Gagné', '1958-03-14'],
      ['Rosalie', 'Ouellet', '2011-06-27'], ['Thomas', 'Pelletier', '1990-10-02'],
    ] as const;
    const authorization = `Bearer ${await t.systemToken()}`;
    const post = (body: unknown) =>
      fetch(`${origin}/fhir/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', authorization }, body: JSON.stringify(body) })
        .then(async (r) => ({ status: r.status, id: ((await r.json()) as { id: string }).id }));
    const requests = people.flatMap(([given, family, birthDate], i) => {
      const nam = `${family.slice(0, 3).toUpperCase()}X${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}${birthDate.slice(8, 10)}1${i}`;
      return ['urn:oid:1.2.3.hospital', 'urn:oid:1.2.3.pharmacy'].map((system, s) =>
        patient(system, `${s}-${i}`, given, family, birthDate, { identifier: [{ system, value: `${s}-${i}` }, { system: NAM_SYSTEM, value: nam }] }));
    });
    const results = await Promise.all(requests.map(post));
    assert.ok(results.every((r) => r.status === 201), JSON.stringify(results));
    const { rows } = await t.carnet.db.query<{ patient_id: string; person_id: string }>('SELECT patient_id, person_id FROM mpi_record');
    const personOf = new Map(rows.map((r) => [r.patient_id, r.person_id]));
    for (let i = 0; i < people.length; i++) {
      const a = personOf.get((results[2 * i] as { id: string }).id);
      const b = personOf.get((results[2 * i + 1] as { id: string }).id);
      assert.ok(a && b, 'both records are linked');
      assert.equal(a, b, `${people[i]?.[0]} has one Person`);
    }
    assert.equal(new Set(personOf.values()).size, people.length);
    // Each Person resource lists exactly its two source records.
    for (const personId of new Set(personOf.values())) {
      const person = await (await fetch(`${origin}/fhir/Person/${personId}`, { headers: { authorization } })).json() as { link?: unknown[] };
      assert.equal(person.link?.length, 2);
    }
  });
});
