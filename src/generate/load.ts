import type { Bundle } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir/context.js';
import { executeWrites } from '../fhir/write/engine.js';
import { planBundle } from '../import/plan.js';
import { countResults, emptySummary, type ImportSummary } from '../import/summary.js';
import { withRetries } from '../storage/database.js';
import { conditionalReferences, directoryBundle, personBundle } from './bundle.js';
import type { GroundTruth } from './ground-truth.js';
import type { PersonBundle, Population } from './population.js';

/**
 * Loads a generated population into Carnet through the write engine, exactly as `carnet import` would load
 * the Bundles `carnet generate` writes: the directory Bundle first, then one transaction per person.
 */

/**
 * Persons written per database transaction: several records share one commit and one resolution of the
 * directory's conditional references, which is what makes a first start fast; each person's resources stay
 * a consistent unit either way (a failing record fails its whole batch, nothing is partly written).
 */
export const PERSONS_PER_TRANSACTION = 10;

export interface LoadProgress {
  start(persons: number): void;
  progress(done: number, resources: number, elapsedMs: number): void;
  finish(summary: ImportSummary): void;
}

export const silentProgress: LoadProgress = { start() {}, progress() {}, finish() {} };

export interface LoadedPopulation {
  readonly summary: ImportSummary;
  readonly groundTruth: GroundTruth;
}

async function loadBundle(ctx: FhirContext, bundle: Bundle, summary: ImportSummary): Promise<void> {
  const plan = planBundle(bundle);
  const results = await withRetries(ctx.db, (tx) => executeWrites(tx, ctx, plan.ops, { transaction: true, entryIndexes: plan.entryIndexes }));
  countResults(summary, results);
}

export async function loadPopulation(ctx: FhirContext, population: Population, progress: LoadProgress = silentProgress, now: () => number = Date.now): Promise<LoadedPopulation> {
  const started = now();
  const summary = emptySummary();
  progress.start(population.people.length);
  await loadBundle(ctx, directoryBundle(population.directory.resources), summary);
  summary.filesDone++;
  const conditional = conditionalReferences(population.directory.resources);
  const done: PersonBundle[] = [];
  let batch: PersonBundle[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const entry = batch.flatMap((record) => personBundle(record.resources, conditional).entry ?? []);
    await loadBundle(ctx, { resourceType: 'Bundle', type: 'transaction', entry }, summary);
    for (const record of batch) done.push({ ...record, resources: [] });
    summary.filesDone += batch.length;
    batch = [];
    progress.progress(done.length, summary.resources, now() - started);
  };
  for (const record of population.records()) {
    batch.push(record);
    if (batch.length >= PERSONS_PER_TRANSACTION) await flush();
  }
  await flush();
  summary.elapsedMs = now() - started;
  progress.finish(summary);
  return { summary, groundTruth: population.groundTruth(done) };
}
