import type { Patient } from '@medplum/fhirtypes';
import { generatePopulation, type PersonBundle } from '../../src/generate/population.js';
import { matchRecordOf, type MatchRecord } from '../../src/mpi/record.js';
import type { LabelledSet } from './datasets.js';

/**
 * The demo population's multi-source records (issue #4's generator) as a labelled set: every source Patient
 * — GMF, pharmacy, hospital, lab, imaging, each with its own perturbed copy of the demographics (typos,
 * dropped accents, married names, swapped day and month, missing NAM…) — labelled with the person it truly
 * belongs to, from the generator's ground truth. The records are built exactly as the MPI builds them
 * from stored Patients (matchRecordOf).
 */
export function quebecSet(persons: number, seed = 'carnet'): LabelledSet {
  const population = generatePopulation({ persons, seed });
  const records: MatchRecord[] = [];
  const entityOf = new Map<string, string>();
  const done: PersonBundle[] = [];
  for (const bundle of population.records()) {
    done.push(bundle);
    for (const record of bundle.truth.records) {
      const id = record.patient.replace(/^Patient\//, '');
      const patient = bundle.resources.find((r) => r.resourceType === 'Patient' && r.id === id) as Patient | undefined;
      if (!patient) continue;
      records.push({ ...matchRecordOf(patient), id });
      entityOf.set(id, bundle.truth.key);
    }
  }
  return { name: `quebec-${persons}`, records, entityOf };
}
