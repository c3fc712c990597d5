import type { Bundle } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir/context.js';
import { executeWrites } from '../fhir/write/engine.js';
import { planBundle } from '../import/plan.js';
import { countResults, emptySummary, type ImportSummary } from '../import/summary.js';
import { withRetries, type Queryable } from '../storage/database.js';
import { conditionalReferences, directoryBundle, personBundle } from './bundle.js';
import type { GroundTruth } from './ground-truth.js';
import type { PersonBundle, Population } from './population.js';

/**
 * Loads a generated population into Carnet through the write engine, as `carnet import` would load the
 * Bundles `carnet generate` writes: the directory Bundle first, then the persons' Bundles.
 */

/** Persons whose writes are planned and checked together (one resolution of the directory's references). */
export const PERSONS_PER_BATCH = 10;

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

async function writeBundle(tx: Queryable, ctx: FhirContext, bundle: Bundle, summary: ImportSummary, author: string | undefined): Promise<void> {
  const plan = planBundle(bundle);
  countResults(summary, await executeWrites(tx, ctx, plan.ops, { transaction: true, entryIndexes: plan.entryIndexes, ...(author ? { author } : {}) }));
}

/**
 * Loads the whole population in one database transaction — all or nothing, so a first start interrupted
 * half-way leaves an empty database that the next start fills again — writing the directory, then ten
 * persons per batch of writes.
 */
export async function loadPopulation(
  ctx: FhirContext, population: Population, progress: LoadProgress = silentProgress, now: () => number = Date.now,
  /** The organisation recorded as the writer (consent rules on sensitive categories depend on it). */
  author?: string,
): Promise<LoadedPopulation> {
  const started = now();
  const conditional = conditionalReferences(population.directory.resources);
  progress.start(population.people.length);
  const { summary, done } = await withRetries(ctx.db, async (tx) => {
    const summary = emptySummary();
    const done: PersonBundle[] = [];
    await writeBundle(tx, ctx, directoryBundle(population.directory.resources), summary, author);
    summary.filesDone++;
    let batch: PersonBundle[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const entry = batch.flatMap((record) => personBundle(record.resources, conditional).entry ?? []);
      await writeBundle(tx, ctx, { resourceType: 'Bundle', type: 'transaction', entry }, summary, author);
      for (const record of batch) done.push({ ...record, resources: [] });
      summary.filesDone += batch.length;
      batch = [];
      progress.progress(done.length, summary.resources, now() - started);
    };
    for (const record of population.records()) {
      batch.push(record);
      if (batch.length >= PERSONS_PER_BATCH) await flush();
    }
    await flush();
    return { summary, done };
  });
  summary.elapsedMs = now() - started;
  progress.finish(summary);
  return { summary, groundTruth: population.groundTruth(done) };
}
