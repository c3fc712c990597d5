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
  for (const record of population.records()) {
    await loadBundle(ctx, personBundle(record.resources, conditional), summary);
    done.push({ ...record, resources: [] });
    summary.filesDone++;
    progress.progress(done.length, summary.resources, now() - started);
  }
  summary.elapsedMs = now() - started;
  progress.finish(summary);
  return { summary, groundTruth: population.groundTruth(done) };
}
