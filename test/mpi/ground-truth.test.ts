import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Bundle, HumanName, Patient } from '@medplum/fhirtypes';
import { after, before, describe, test } from 'node:test';
import { NAM_SYSTEM } from '../../src/mpi/record.js';
import { startTestCarnet, type TestCarnet } from '../support/harness.js';

/**
 * End to end: multi-source registrations are posted as FHIR transactions, the MPI links them as they
 * are written, and the Persons it formed are compared pair by pair with the ground truth. A wrong
 * automatic link (two people in one Person) fails the test outright.
 */
const fixture = (name: string) => new URL(`../../../test/fixtures/mpi/${name}`, import.meta.url);

interface Labelled {
  readonly truth: string;
  readonly patient: Patient;
}

function quebecRecords(): Labelled[] {
  const data = JSON.parse(readFileSync(fixture('quebec-multisource.json'), 'utf8')) as { records: Record<string, string>[] };
  return data.records.map((r) => {
    const names: HumanName[] = [{ use: 'official', family: r.family as string, given: [r.given as string] }];
    if (r.maiden) names.push({ use: 'maiden', family: r.maiden, given: [r.given as string] });
    if (r.married) names.push({ use: 'usual', family: r.married, given: [r.given as string] });
    return {
      truth: r.person as string,
      patient: {
        resourceType: 'Patient',
        identifier: [{ system: r.source as string, value: r.mrn as string }, ...(r.nam ? [{ system: NAM_SYSTEM, value: r.nam }] : [])],
        name: names,
        gender: r.gender as Patient['gender'],
        birthDate: r.birthDate as string,
        ...(r.postalCode ? { address: [{ postalCode: r.postalCode }] } : {}),
        ...(r.phone ? { telecom: [{ system: 'phone' as const, value: r.phone }] } : {}),
      },
    };
  });
}

function febrlRecords(): Labelled[] {
  const [header, ...rows] = readFileSync(fixture('febrl4-sample.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const col = (name: string) => (header as string[]).indexOf(name);
  return rows.map((row) => {
    const v = (name: string) => row[col(name)]?.trim() || undefined;
    const dob = v('date_of_birth');
    const birthDate = dob && /^\d{8}$/.test(dob) ? `${dob.slice(0, 4)}-${dob.slice(4, 6)}-${dob.slice(6, 8)}` : undefined;
    const validDate = birthDate && !Number.isNaN(Date.parse(birthDate)) && Number(birthDate.slice(5, 7)) <= 12 ? birthDate : undefined;
    const system = `urn:febrl:${v('file')}`;
    return {
      truth: (/^rec-(\d+)-/.exec(v('rec_id') ?? '') as RegExpExecArray)[1] as string,
      patient: {
        resourceType: 'Patient',
        identifier: [{ system, value: v('rec_id') as string }, ...(v('soc_sec_id') ? [{ system: NAM_SYSTEM, value: v('soc_sec_id') as string }] : [])],
        name: [{ family: v('surname'), ...(v('given_name') ? { given: [v('given_name') as string] } : {}) }],
        ...(validDate ? { birthDate: validDate } : {}),
        address: [{ line: [[v('street_number'), v('address_1')].filter(Boolean).join(' ')], city: v('suburb'), postalCode: v('postcode') }],
      },
    };
  });
}

async function load(t: TestCarnet, records: Labelled[]): Promise<Map<string, string>> {
  const truthOf = new Map<string, string>();
  for (let i = 0; i < records.length; i += 25) {
    const batch = records.slice(i, i + 25);
    const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: batch.map((r) => ({ resource: r.patient, request: { method: 'POST', url: 'Patient' } })) };
    const response = await t.request('POST', '/fhir', { body: bundle });
    assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 500));
    (response.body as Bundle).entry?.forEach((e, j) => truthOf.set((/Patient\/([^/]+)/.exec(e.response?.location ?? '') as RegExpExecArray)[1] as string, (batch[j] as Labelled).truth));
  }
  return truthOf;
}

async function pairCounts(t: TestCarnet, truthOf: Map<string, string>): Promise<{ truePairs: number; linkedPairs: number; correct: number }> {
  const { rows } = await t.carnet.db.query<{ patient_id: string; person_id: string }>('SELECT patient_id, person_id FROM mpi_record');
  const personOf = new Map(rows.map((r) => [r.patient_id, r.person_id]));
  const ids = [...truthOf.keys()];
  let truePairs = 0;
  let linkedPairs = 0;
  let correct = 0;
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const same = truthOf.get(ids[i] as string) === truthOf.get(ids[j] as string);
      const linked = personOf.get(ids[i] as string) === personOf.get(ids[j] as string);
      if (same) truePairs++;
      if (linked) linkedPairs++;
      if (same && linked) correct++;
    }
  }
  return { truePairs, linkedPairs, correct };
}

describe('MPI against ground truth (end to end)', () => {
  let t: TestCarnet;
  before(async () => {
    t = await startTestCarnet();
  });
  after(() => t.close());

  test('Québec multi-source registrations: every automatic link is right, the French-name variants are found', async () => {
    const truthOf = await load(t, quebecRecords());
    const { truePairs, linkedPairs, correct } = await pairCounts(t, truthOf);
    if (process.env.MPI_DEBUG) console.log({ truePairs, linkedPairs, correct });
    assert.equal(linkedPairs, correct, 'no two different people share a Person');
    assert.ok(correct / truePairs >= 0.9, `recall ${correct}/${truePairs}`);
    // What was not linked automatically is waiting in the review queue.
    const { rows } = await t.carnet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mpi_candidate WHERE status = 'open'`);
    assert.ok(Number(rows[0]?.n) >= truePairs - correct);
  });

  test('FEBRL 4 sample across two sources: precision 1, recall ≥ 0.95', async () => {
    const truthOf = await load(t, febrlRecords());
    const { truePairs, linkedPairs, correct } = await pairCounts(t, truthOf);
    assert.equal(truePairs, 150);
    assert.equal(linkedPairs, correct, 'no wrong automatic link');
    assert.ok(correct >= 0.95 * truePairs, `recall ${correct}/${truePairs}`);
  });
});
