import type { Resource } from '@medplum/fhirtypes';
import type { GroundTruth } from '../../src/generate/ground-truth.js';
import { loadPopulation } from '../../src/generate/load.js';
import { generatePopulation, type PersonBundle, type Population, type PopulationOptions } from '../../src/generate/population.js';
import type { TestCarnet } from './harness.js';

/**
 * The synthetic Québec population for tests (docs/demo-data.md): small, fast, deterministic. Use
 * `loadTestPopulation` to fill a test Carnet and get the ground truth (who is who, notifiable cases, the
 * planted outbreak, sensitive resources) to assert against.
 */

export const TEST_POPULATION: Partial<PopulationOptions> = { persons: 15, seed: 'carnet-tests' };

export interface GeneratedTestPopulation {
  readonly population: Population;
  readonly records: readonly PersonBundle[];
  readonly directory: readonly Resource[];
  readonly groundTruth: GroundTruth;
}

/** Generates a population in memory (no database): every record and the ground truth. */
export function generateTestPopulation(options: Partial<PopulationOptions> = {}): GeneratedTestPopulation {
  const population = generatePopulation({ ...TEST_POPULATION, ...options });
  const records = [...population.records()];
  return { population, records, directory: population.directory.resources, groundTruth: population.groundTruth(records) };
}

/** Generates a population and loads it into a test Carnet through the write engine. */
export async function loadTestPopulation(t: TestCarnet, options: Partial<PopulationOptions> = {}, author?: string): Promise<{ groundTruth: GroundTruth; resources: number }> {
  const { summary, groundTruth } = await loadPopulation(t.carnet.ctx, generatePopulation({ ...TEST_POPULATION, ...options }), undefined, undefined, author);
  return { groundTruth, resources: summary.resources };
}
