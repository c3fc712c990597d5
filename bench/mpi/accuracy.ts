import { blockingKeys } from '../../src/mpi/blocking.js';
import type { DecisionGuards } from '../../src/mpi/decision.js';
import { estimateU, expectationMaximisation, seededRandom, withEstimates } from '../../src/mpi/em.js';
import { MemoryLinker } from '../../src/mpi/linker.js';
import { comparisonVector, type MatchModel } from '../../src/mpi/model.js';
import type { MatchRecord } from '../../src/mpi/record.js';
import type { LabelledSet } from './datasets.js';
import { Clusters, pairMetrics, type PairMetrics } from './metrics.js';

export interface AccuracyResult {
  readonly set: string;
  readonly model: string;
  readonly records: number;
  /** Share of true pairs that share at least one blocking key (the recall ceiling). */
  readonly blockingRecall: number;
  readonly automatic: PairMetrics;
  /** Automatic links plus the review queue resolved correctly by a human. */
  readonly withReview: PairMetrics;
  readonly reviewQueue: number;
  readonly reviewTrue: number;
  readonly meanCandidates: number;
  readonly ms: number;
}

export function blockingRecall(set: LabelledSet): number {
  const byKey = new Map<string, string[]>();
  for (const r of set.records) for (const k of blockingKeys(r)) (byKey.get(k) ?? byKey.set(k, []).get(k))!.push(r.id);
  const found = new Set<string>();
  for (const ids of byKey.values()) {
    if (ids.length > 2000) continue;
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const a = ids[i] as string;
        const b = ids[j] as string;
        if (set.entityOf.get(a) === set.entityOf.get(b)) found.add(a < b ? `${a}|${b}` : `${b}|${a}`);
      }
    }
  }
  const sizes = new Map<string, number>();
  for (const e of set.entityOf.values()) sizes.set(e, (sizes.get(e) ?? 0) + 1);
  let truePairs = 0;
  for (const n of sizes.values()) truePairs += (n * (n - 1)) / 2;
  return truePairs === 0 ? 1 : found.size / truePairs;
}

/**
 * Links the set's records in arrival order and measures the result. `inspect` receives the linker once
 * every record is in (per-variant recall, relatives merged, $match ranking).
 */
export function runAccuracy(set: LabelledSet, model: MatchModel, modelName: string, guards: DecisionGuards = {}, inspect?: (linker: MemoryLinker) => void): AccuracyResult {
  const started = performance.now();
  const linker = new MemoryLinker(model, { guards });
  const clusters = new Clusters();
  let reviewQueue = 0;
  let reviewTrue = 0;
  let candidates = 0;
  for (const record of set.records) {
    const outcome = linker.add(record);
    candidates += outcome.candidates;
    const d = outcome.decision;
    if (d.kind === 'link') clusters.union(record.id, d.best.recordId);
    const review = d.kind === 'new' ? [] : d.review;
    reviewQueue += review.length;
    for (const c of review) {
      if (set.entityOf.get(c.recordId) === set.entityOf.get(record.id)) {
        reviewTrue++;
        clusters.union(record.id, c.recordId);
      }
    }
  }
  const ms = performance.now() - started;
  inspect?.(linker);
  return {
    set: set.name,
    model: modelName,
    records: set.records.length,
    blockingRecall: blockingRecall(set),
    automatic: pairMetrics(linker.personOf, set.entityOf),
    withReview: pairMetrics(clusters.assignment(set.records.map((r) => r.id)), set.entityOf),
    reviewQueue,
    reviewTrue,
    meanCandidates: candidates / set.records.length,
    ms,
  };
}

/** Candidate pairs of a set under the blocking rules (for EM), at most `limit`. */
function candidatePairs(records: readonly MatchRecord[], limit: number): [MatchRecord, MatchRecord][] {
  const byKey = new Map<string, MatchRecord[]>();
  for (const r of records) for (const k of blockingKeys(r)) (byKey.get(k) ?? byKey.set(k, []).get(k))!.push(r);
  const seen = new Set<string>();
  const out: [MatchRecord, MatchRecord][] = [];
  for (const group of byKey.values()) {
    if (group.length > 200) continue;
    for (let i = 0; i < group.length && out.length < limit; i++) {
      for (let j = i + 1; j < group.length && out.length < limit; j++) {
        const a = group[i] as MatchRecord;
        const b = group[j] as MatchRecord;
        const key = a.id < b.id ? `${a.id}|${b.id}` : `${b.id}|${a.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push([a, b]);
      }
    }
  }
  return out;
}

/** The configured model with u from random pairs and m from EM on blocked pairs of the set itself. */
export function estimatedModel(set: LabelledSet, base: MatchModel): { model: MatchModel; iterations: number; converged: boolean; lambda: number } {
  const random = seededRandom(42);
  const fields = base.fields.filter((f) => set.records.some((r) => hasField(r, f.field)));
  const scoped = { ...base, fields };
  const u = estimateU(scoped, set.records, 200_000, random);
  const pairs = candidatePairs(set.records, 500_000);
  const vectors = pairs.map(([a, b]) => comparisonVector(scoped, a, b));
  const em = expectationMaximisation(vectors, { m: fields.map((f) => f.m), u, lambda: 0.1 }, { fixU: true });
  return { model: withEstimates(scoped, em), iterations: em.iterations, converged: em.converged, lambda: em.lambda };
}

function hasField(record: MatchRecord, field: string): boolean {
  const value = (record as unknown as Record<string, unknown>)[field];
  return Array.isArray(value) ? value.length > 0 : value !== undefined;
}
