import { blockingKeys } from './blocking.js';
import { decide, type DecisionGuards, type MatchDecision, type ScoredCandidate } from './decision.js';
import { DEFAULT_BLOCK_CAP, DEFAULT_MAX_CANDIDATES } from './defaults.js';
import { compileModel, scorePair, type CompiledModel, type MatchModel } from './model.js';
import type { MatchRecord } from './record.js';

/**
 * Incremental linkage in memory: the same blocking, scoring and decision rules as the database-backed
 * matcher, for batch deduplication of a file and for measuring accuracy on labelled data sets.
 * Records are linked in arrival order, each against the persons formed so far.
 */
export interface LinkOutcome {
  readonly recordId: string;
  readonly personId: string;
  readonly decision: MatchDecision;
  readonly candidates: number;
}

export class MemoryLinker {
  private readonly compiled: CompiledModel;
  private readonly blocks = new Map<string, string[]>();
  private readonly records = new Map<string, MatchRecord>();
  readonly personOf = new Map<string, string>();
  private readonly members = new Map<string, string[]>();
  private nextPerson = 1;

  constructor(readonly model: MatchModel, private readonly options: { blockCap?: number; maxCandidates?: number; guards?: DecisionGuards } = {}) {
    this.compiled = compileModel(model);
  }

  /** Records sharing a blocking key with `record`, ranked as the database-backed matcher ranks them. */
  candidatesOf(record: MatchRecord): MatchRecord[] {
    const cap = this.options.blockCap ?? DEFAULT_BLOCK_CAP;
    const shared = new Map<string, number>();
    for (const key of blockingKeys(record)) {
      const ids = this.blocks.get(key);
      if (!ids) continue;
      for (const id of ids.length > cap ? ids.slice(0, cap) : ids) {
        if (id !== record.id) shared.set(id, (shared.get(id) ?? 0) + 1);
      }
    }
    const limit = this.options.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
    const ranked = [...shared].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return ranked.slice(0, limit).map(([id]) => this.records.get(id) as MatchRecord);
  }

  score(record: MatchRecord): ScoredCandidate[] {
    const scored = this.candidatesOf(record).map((candidate) => this.scored(record, candidate));
    // As the database-backed matcher does: every record of a person that could be linked automatically.
    const known = new Set(scored.map((s) => s.record.id));
    for (const personId of new Set(scored.filter((s) => s.score.weight >= this.model.upper).map((s) => s.personId))) {
      for (const id of this.members.get(personId) ?? []) {
        if (!known.has(id) && id !== record.id) scored.push(this.scored(record, this.records.get(id) as MatchRecord));
      }
    }
    return scored;
  }

  private scored(record: MatchRecord, candidate: MatchRecord): ScoredCandidate {
    return { record: candidate, personId: this.personOf.get(candidate.id) as string, score: scorePair(this.compiled, record, candidate) };
  }

  /** Matches and indexes one record; returns the person it now belongs to. */
  add(record: MatchRecord): LinkOutcome {
    const scored = this.score(record);
    const decision = decide(record, scored, this.model, this.options.guards);
    const personId = decision.kind === 'link' ? decision.personId : `P${this.nextPerson++}`;
    this.records.set(record.id, record);
    this.personOf.set(record.id, personId);
    const members = this.members.get(personId);
    if (members) members.push(record.id);
    else this.members.set(personId, [record.id]);
    for (const key of blockingKeys(record)) {
      const ids = this.blocks.get(key);
      if (ids) ids.push(record.id);
      else this.blocks.set(key, [record.id]);
    }
    return { recordId: record.id, personId, decision, candidates: scored.length };
  }

  get size(): number {
    return this.records.size;
  }
}
