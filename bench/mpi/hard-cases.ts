import { MemoryLinker } from '../../src/mpi/linker.js';
import { scorePair, compileModel, type MatchModel } from '../../src/mpi/model.js';
import type { MatchRecord } from '../../src/mpi/record.js';
import { estimatedModel, runAccuracy, type AccuracyResult } from './accuracy.js';
import { quebecSet, type QuebecTruth } from './quebec.js';

/**
 * The hard cases of issue #15 on generated populations the model was not fitted on: EM is fitted on one
 * population (the training seed) and the default and fitted models are judged on others (held-out
 * seeds). Besides pairwise precision/recall it reports recall per variant (the share of true pairs
 * carrying a difference that were linked automatically), the record pairs of twins and of fathers and
 * sons merged, $match top-1 and the precision/recall of automatic links as the upper threshold moves.
 */
export interface HardCaseResult extends AccuracyResult {
  /** Variant → [pairs linked automatically, pairs carrying it]. */
  readonly variants: Record<string, [number, number]>;
  /** Record pairs of two relatives (twins, father/son) in one Person: must be 0. */
  readonly twinPairsMerged: number;
  readonly juniorPairsMerged: number;
  readonly relatives: { twins: number; juniors: number };
  /** Queries (records with a true partner) whose best-scoring candidate is the same person. */
  readonly matchTop1: [number, number];
}

/** The variant names reported: the generator's perturbations, "first given only" split as the issue counts it. */
function variantsOf(id: string, entity: string, truth: QuebecTruth): Set<string> {
  const out = new Set<string>();
  for (const p of truth.perturbations.get(id) ?? []) {
    if (p === 'first-given-only') out.add(truth.compoundGiven.get(entity) ? 'compound-given-reduced' : 'given-subset');
    else out.add(p);
  }
  return out;
}

function variantRecall(records: readonly MatchRecord[], entityOf: Map<string, string>, truth: QuebecTruth, personOf: ReadonlyMap<string, string>): Record<string, [number, number]> {
  const byEntity = new Map<string, string[]>();
  for (const r of records) (byEntity.get(entityOf.get(r.id) as string) ?? byEntity.set(entityOf.get(r.id) as string, []).get(entityOf.get(r.id) as string))!.push(r.id);
  const tally: Record<string, [number, number]> = {};
  const count = (v: string, linked: boolean) => {
    const t = (tally[v] ??= [0, 0]);
    t[1]++;
    if (linked) t[0]++;
  };
  for (const [entity, ids] of byEntity) {
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const a = variantsOf(ids[i] as string, entity, truth);
        const b = variantsOf(ids[j] as string, entity, truth);
        const linked = personOf.get(ids[i] as string) === personOf.get(ids[j] as string);
        const carried = [...a].filter((v) => !b.has(v)).concat([...b].filter((v) => !a.has(v)));
        if (a.size === 0 && b.size === 0) count('no difference', linked);
        for (const v of new Set(carried)) count(v, linked);
      }
    }
  }
  return tally;
}

function relativeMerges(records: readonly MatchRecord[], entityOf: Map<string, string>, truth: QuebecTruth, personOf: ReadonlyMap<string, string>) {
  const recordsOf = new Map<string, string[]>();
  for (const r of records) (recordsOf.get(entityOf.get(r.id) as string) ?? recordsOf.set(entityOf.get(r.id) as string, []).get(entityOf.get(r.id) as string))!.push(r.id);
  let twin = 0;
  let junior = 0;
  let twins = 0;
  let juniors = 0;
  for (const [key, relative] of truth.relatives) {
    if (relative.kind === 'twin') twins++;
    else juniors++;
    for (const a of recordsOf.get(key) ?? []) {
      for (const b of recordsOf.get(relative.of) ?? []) {
        if (personOf.get(a) !== personOf.get(b)) continue;
        if (relative.kind === 'twin') twin++;
        else junior++;
      }
    }
  }
  return { twin, junior, twins, juniors };
}

/** $match as the service answers it: the candidates blocking retrieves, ranked by weight. */
function matchTop1(linker: MemoryLinker, model: MatchModel, records: readonly MatchRecord[], entityOf: Map<string, string>, sample: number): [number, number] {
  const compiled = compileModel(model);
  const sizes = new Map<string, number>();
  for (const r of records) sizes.set(entityOf.get(r.id) as string, (sizes.get(entityOf.get(r.id) as string) ?? 0) + 1);
  let asked = 0;
  let right = 0;
  const step = Math.max(1, Math.floor(records.length / sample));
  for (let i = 0; i < records.length && asked < sample; i += step) {
    const r = records[i] as MatchRecord;
    if ((sizes.get(entityOf.get(r.id) as string) ?? 0) < 2) continue;
    let best: { id: string; w: number } | undefined;
    for (const c of linker.candidatesOf(r)) {
      const w = scorePair(compiled, r, c).weight;
      if (!best || w > best.w) best = { id: c.id, w };
    }
    asked++;
    if (best && entityOf.get(best.id) === entityOf.get(r.id)) right++;
  }
  return [right, asked];
}

export function hardCaseRun(persons: number, seed: string, model: MatchModel, modelName: string, hardCases = true): HardCaseResult {
  const set = quebecSet(persons, seed, hardCases);
  let extra: Omit<HardCaseResult, keyof AccuracyResult> | undefined;
  const result = runAccuracy(set, model, modelName, {}, (linker) => {
    const merges = relativeMerges(set.records, set.entityOf, set.truth, linker.personOf);
    extra = {
      variants: variantRecall(set.records, set.entityOf, set.truth, linker.personOf),
      twinPairsMerged: merges.twin,
      juniorPairsMerged: merges.junior,
      relatives: { twins: merges.twins, juniors: merges.juniors },
      matchTop1: matchTop1(linker, model, set.records, set.entityOf, 500),
    };
  });
  return { ...result, ...(extra as Omit<HardCaseResult, keyof AccuracyResult>) };
}

/** EM fitted on the training population (hard cases), for judging on held-out ones. */
export function fittedOn(persons: number, seed: string, base: MatchModel): { model: MatchModel; iterations: number; lambda: number } {
  return estimatedModel(quebecSet(persons, seed, true), base);
}

/** Automatic-link precision and recall as the upper threshold moves (the lower one kept), on one population. */
export function thresholdCurve(persons: number, seed: string, model: MatchModel, uppers: readonly number[]): { upper: number; precision: number; recall: number; review: number }[] {
  const set = quebecSet(persons, seed, true);
  return uppers.map((upper) => {
    const r = runAccuracy(set, { ...model, upper, lower: Math.min(model.lower, upper) }, `upper ${upper}`);
    return { upper, precision: r.automatic.precision, recall: r.automatic.recall, review: r.reviewQueue };
  });
}
