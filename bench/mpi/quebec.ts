import type { Patient } from '@medplum/fhirtypes';
import type { Perturbation } from '../../src/generate/perturb.js';
import { generatePopulation, type PersonBundle } from '../../src/generate/population.js';
import { matchRecordOf, type MatchRecord } from '../../src/mpi/record.js';
import type { LabelledSet } from './datasets.js';

/** What the generator says of each record and person: the variants a record carries, who must never be merged. */
export interface QuebecTruth {
  readonly perturbations: Map<string, readonly Perturbation[]>;
  /** Person key → the person it must never be merged with, and why. */
  readonly relatives: Map<string, { of: string; kind: 'twin' | 'junior' }>;
  /** Person key → whether the person's first given name is a compound (Marie-Ève) rather than two names. */
  readonly compoundGiven: Map<string, boolean>;
}

/**
 * The demo population's multi-source records (issue #4's generator) as a labelled set: every source Patient
 * — GMF, pharmacy, hospital, lab, imaging, each with its own perturbed copy of the demographics (typos,
 * dropped accents, married names, swapped day and month, missing NAM…) — labelled with the person it truly
 * belongs to, from the generator's ground truth. The records are built exactly as the MPI builds them
 * from stored Patients (matchRecordOf). With `hardCases` the population also has twins, fathers and sons
 * of the same name, and the hard variants (issue #15).
 */
export function quebecSet(persons: number, seed = 'carnet', hardCases = false): LabelledSet & { truth: QuebecTruth } {
  const population = generatePopulation({ persons, seed, hardCases });
  const records: MatchRecord[] = [];
  const entityOf = new Map<string, string>();
  const truth: QuebecTruth = { perturbations: new Map(), relatives: new Map(), compoundGiven: new Map() };
  const done: PersonBundle[] = [];
  for (const bundle of population.records()) {
    done.push(bundle);
    if (bundle.truth.relative) truth.relatives.set(bundle.truth.key, bundle.truth.relative);
    truth.compoundGiven.set(bundle.truth.key, (bundle.truth.name.given[0] ?? '').includes('-'));
    for (const record of bundle.truth.records) {
      const id = record.patient.replace(/^Patient\//, '');
      const patient = bundle.resources.find((r) => r.resourceType === 'Patient' && r.id === id) as Patient | undefined;
      if (!patient) continue;
      records.push({ ...matchRecordOf(patient), id });
      entityOf.set(id, bundle.truth.key);
      truth.perturbations.set(id, record.perturbations);
    }
  }
  const name = hardCases ? `quebec-hard-${persons}-${seed}` : `quebec-${persons}`;
  return { name, records, entityOf, truth };
}
