import { comparisonVector, type FieldModel, type MatchModel } from './model.js';
import type { MatchRecord } from './record.js';

/**
 * Estimating m and u from unlabelled data (pure).
 *
 * - u (level frequencies among non-matches) from random record pairs: almost every random pair is a
 *   non-match, so plain counting is accurate (as splink does).
 * - m (level frequencies among matches) and the match proportion λ by expectation–maximisation over the
 *   comparison vectors of blocked candidate pairs, the classic Fellegi–Sunter mixture with conditional
 *   independence (Winkler 1988). u can be held fixed at the random-pair estimate, which keeps EM from
 *   drifting towards a "same household" or "same date" cluster.
 */
export type Vector = readonly (number | null)[];

export interface MixtureParameters {
  readonly m: readonly (readonly number[])[];
  readonly u: readonly (readonly number[])[];
  readonly lambda: number;
}

export interface EmResult extends MixtureParameters {
  readonly iterations: number;
  readonly converged: boolean;
}

export interface EmOptions {
  readonly maxIterations?: number;
  /** Stop when no parameter moves more than this between iterations. */
  readonly tolerance?: number;
  /** Keep u as given (estimated from random pairs). */
  readonly fixU?: boolean;
}

/** Smallest probability a level may take, so that one unseen level never yields an infinite weight. */
const EPSILON = 1e-6;

function normalised(counts: number[]): number[] {
  const total = counts.reduce((s, c) => s + c, 0);
  if (total <= 0) return counts.map(() => 1 / counts.length);
  const p = counts.map((c) => Math.max(c / total, EPSILON));
  const sum = p.reduce((s, x) => s + x, 0);
  return p.map((x) => x / sum);
}

/** Identical vectors collapse to one entry with a count: EM then costs per distinct pattern, not per pair. */
function patterns(vectors: readonly Vector[]): { vector: Vector; count: number }[] {
  const map = new Map<string, { vector: Vector; count: number }>();
  for (const v of vectors) {
    const key = v.map((x) => (x === null ? '-' : x)).join(',');
    const entry = map.get(key);
    if (entry) entry.count++;
    else map.set(key, { vector: v, count: 1 });
  }
  return [...map.values()];
}

export function expectationMaximisation(vectors: readonly Vector[], initial: MixtureParameters, options: EmOptions = {}): EmResult {
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-6;
  const groups = patterns(vectors);
  let m = initial.m.map((levels) => [...levels]);
  let u = initial.u.map((levels) => [...levels]);
  let lambda = initial.lambda;
  const fields = m.length;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const mCounts = m.map((levels) => levels.map(() => 0));
    const uCounts = u.map((levels) => levels.map(() => 0));
    let matchMass = 0;
    let total = 0;
    for (const { vector, count } of groups) {
      let pm = lambda;
      let pu = 1 - lambda;
      for (let f = 0; f < fields; f++) {
        const level = vector[f];
        if (level === null || level === undefined) continue;
        pm *= (m[f] as number[])[level] as number;
        pu *= (u[f] as number[])[level] as number;
      }
      const g = pm + pu > 0 ? pm / (pm + pu) : 0;
      matchMass += g * count;
      total += count;
      for (let f = 0; f < fields; f++) {
        const level = vector[f];
        if (level === null || level === undefined) continue;
        (mCounts[f] as number[])[level] += g * count;
        (uCounts[f] as number[])[level] += (1 - g) * count;
      }
    }
    const nextM = mCounts.map(normalised);
    const nextU = options.fixU ? u : uCounts.map(normalised);
    const nextLambda = Math.min(Math.max(matchMass / Math.max(total, 1), EPSILON), 1 - EPSILON);
    let delta = Math.abs(nextLambda - lambda);
    for (let f = 0; f < fields; f++) {
      (nextM[f] as number[]).forEach((x, l) => (delta = Math.max(delta, Math.abs(x - ((m[f] as number[])[l] as number)))));
      (nextU[f] as number[]).forEach((x, l) => (delta = Math.max(delta, Math.abs(x - ((u[f] as number[])[l] as number)))));
    }
    m = nextM;
    u = nextU.map((levels) => [...levels]);
    lambda = nextLambda;
    if (delta < tolerance) return { m, u, lambda, iterations: iteration, converged: true };
  }
  return { m, u, lambda, iterations: maxIterations, converged: false };
}

/** u per field from `samples` random pairs of distinct records (the random source is injected). */
export function estimateU(model: MatchModel, records: readonly MatchRecord[], samples: number, random: () => number): number[][] {
  const counts = model.fields.map((f) => new Array<number>(f.u.length).fill(0));
  if (records.length < 2) return model.fields.map((f) => [...f.u]);
  for (let s = 0; s < samples; s++) {
    const i = Math.floor(random() * records.length);
    let j = Math.floor(random() * (records.length - 1));
    if (j >= i) j++;
    const vector = comparisonVector(model, records[i] as MatchRecord, records[j] as MatchRecord);
    vector.forEach((level, f) => {
      if (level !== null) (counts[f] as number[])[level]++;
    });
  }
  return counts.map(normalised);
}

/** The model with m and u replaced by estimates (thresholds and other settings kept). */
export function withEstimates(model: MatchModel, estimates: { m: readonly (readonly number[])[]; u: readonly (readonly number[])[] }): MatchModel {
  const fields: FieldModel[] = model.fields.map((f, i) => ({ field: f.field, m: [...(estimates.m[i] ?? f.m)], u: [...(estimates.u[i] ?? f.u)] }));
  return { ...model, fields };
}

/** A deterministic pseudo-random generator (mulberry32) for reproducible sampling in tests and benchmarks. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
