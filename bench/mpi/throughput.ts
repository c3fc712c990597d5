import { blockingKeys } from '../../src/mpi/blocking.js';
import { decide } from '../../src/mpi/decision.js';
import { formatEnterpriseId } from '../../src/mpi/enterprise-id.js';
import { MemoryLinker } from '../../src/mpi/linker.js';
import type { MpiConfig } from '../../src/mpi/service/config.js';
import { scoreCandidates } from '../../src/mpi/service/matcher.js';
import type { MatchRecord } from '../../src/mpi/record.js';
import type { Database } from '../../src/storage/database.js';
import { summarize, type LatencySummary } from '../stats.js';
import { Clusters, pairMetrics, type PairMetrics } from './metrics.js';
import { perturb, population, syntheticPerson, type NamRegistry, type SyntheticRecord } from './synthetic.js';

/**
 * Throughput of the database-backed matcher: an index of N synthetic persons is bulk-loaded (unnest
 * batches straight into the MPI tables, no HTTP), then single records are matched one at a time exactly
 * as the write hook and $match do (blocking-key lookup in SQL, scoring and decision in memory).
 */
const BATCH = 5_000;

export async function loadIndex(db: Database, records: readonly SyntheticRecord[], progress: (done: number) => void): Promise<void> {
  const personOf = (r: SyntheticRecord) => `bp${r.entity}`;
  for (let start = 0; start < records.length; start += BATCH) {
    const batch = records.slice(start, start + BATCH);
    const persons = batch.filter((r) => !r.id.endsWith('d'));
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO mpi_person (person_id, enterprise_id, active, created_at) SELECT p, e, true, now() FROM unnest($1::text[], $2::text[]) AS t(p, e)`,
        [persons.map(personOf), persons.map((r) => formatEnterpriseId(r.entity + 1))],
      );
      await tx.query(
        `INSERT INTO mpi_record (patient_id, person_id, assurance, matchable, source, features, weight, updated_at)
         SELECT p, pe, 'auto', true, s, f, NULL, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(p, pe, s, f)`,
        [batch.map((r) => r.id), batch.map(personOf), batch.map((r) => r.source ?? null), batch.map((r) => JSON.stringify({ ...r, entity: undefined }))],
      );
      const keys: string[] = [];
      const ids: string[] = [];
      for (const r of batch) {
        for (const k of blockingKeys(r)) {
          keys.push(k);
          ids.push(r.id);
        }
      }
      await tx.query('INSERT INTO mpi_block (key, patient_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING', [keys, ids]);
    });
    progress(Math.min(records.length, start + BATCH));
  }
  // As autovacuum would in production: statistics, and a visibility map so that blocking-key lookups are
  // index-only scans.
  await db.query('VACUUM ANALYZE mpi_block');
  await db.query('VACUUM ANALYZE mpi_record');
}

export interface MatchLatency {
  readonly persons: number;
  readonly records: number;
  readonly latency: LatencySummary;
  readonly meanCandidates: number;
  /** Share of duplicate queries linked to their true person automatically. */
  readonly duplicateRecall: number;
  /** Automatic links to a wrong person (should be 0). */
  readonly wrongLinks: number;
  readonly newPersonsLinked: number;
}

export function makeQueries(random: () => number, indexed: readonly SyntheticRecord[], persons: number, count: number, registry: NamRegistry): SyntheticRecord[] {
  const originals = indexed.filter((r) => !r.id.endsWith('d'));
  const queries: SyntheticRecord[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      const person = originals[Math.floor(random() * originals.length)] as SyntheticRecord;
      queries.push(perturb(random, person, `q${i}`, 'urn:bench:pharmacy'));
    } else {
      queries.push({ ...syntheticPerson(random, persons + i, registry), id: `q${i}`, source: 'urn:bench:pharmacy' });
    }
  }
  return queries;
}

export async function measureMatches(db: Database, config: MpiConfig, queries: readonly SyntheticRecord[], persons: number, records: number, warmup: number): Promise<MatchLatency> {
  const samples: number[] = [];
  let candidates = 0;
  let duplicates = 0;
  let found = 0;
  let wrong = 0;
  let newLinked = 0;
  for (const [i, q] of queries.entries()) {
    const started = performance.now();
    const { scored } = await scoreCandidates(db, config, q, q.id, true);
    const decision = decide(q, scored, config.model, { sameSourceGuard: config.sameSourceGuard, keyFieldGuard: config.keyFieldGuard, maxReview: config.maxReview });
    const ms = performance.now() - started;
    if (i < warmup) continue;
    samples.push(ms);
    candidates += scored.length;
    const truePerson = `bp${q.entity}`;
    const isDuplicate = q.entity < persons;
    if (isDuplicate) duplicates++;
    if (decision.kind === 'link') {
      if (decision.personId === truePerson) found++;
      else if (isDuplicate) wrong++;
      else newLinked++;
    }
  }
  return {
    persons, records, latency: summarize(samples), meanCandidates: candidates / Math.max(1, samples.length),
    duplicateRecall: found / Math.max(1, duplicates), wrongLinks: wrong, newPersonsLinked: newLinked,
  };
}

export interface DedupeResult {
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly automatic: PairMetrics;
  readonly withReview: PairMetrics;
  readonly reviewQueue: number;
}

/** A full deduplication of a synthetic file: every record matched against those before it, in memory. */
export function dedupeRun(config: MpiConfig, random: () => number, records: number): DedupeResult {
  const data = population(random, Math.round(records / 1.3), 0.3).slice(0, records);
  const truth = new Map(data.map((r) => [r.id, String(r.entity)]));
  const linker = new MemoryLinker(config.model, { blockCap: config.blockCap, maxCandidates: config.maxCandidates, guards: { sameSourceGuard: config.sameSourceGuard, keyFieldGuard: config.keyFieldGuard } });
  const clusters = new Clusters();
  let reviewQueue = 0;
  const started = performance.now();
  for (const r of data) {
    const outcome = linker.add(r as MatchRecord);
    if (outcome.decision.kind === 'link') clusters.union(r.id, outcome.decision.best.recordId);
    const review = outcome.decision.kind === 'new' ? [] : outcome.decision.review;
    reviewQueue += review.length;
    for (const c of review) if (truth.get(c.recordId) === truth.get(r.id)) clusters.union(r.id, c.recordId);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    records: data.length, seconds, recordsPerSecond: data.length / seconds,
    automatic: pairMetrics(linker.personOf, truth), withReview: pairMetrics(clusters.assignment(data.map((r) => r.id)), truth), reviewQueue,
  };
}
