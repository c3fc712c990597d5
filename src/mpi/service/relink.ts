import type { Patient } from '@medplum/fhirtypes';
import type { FhirContext } from '../../fhir/context.js';
import type { Queryable } from '../../storage/database.js';
import { blockingKeys } from '../blocking.js';
import type { PersonCandidate } from '../decision.js';
import { scorePair } from '../model.js';
import type { MatchRecord } from '../record.js';
import { relinkAction, type RelinkAction } from '../relink-plan.js';
import { logDecision } from '../store/decision-log.js';
import { countRecords, keysOf, lockBlockingKeys, moveRecord, readRecord, recordIdsAfter, recordsOfPersons, writeRecord, type IndexedRecord } from '../store/link-store.js';
import { readCurrent } from '../../storage/resource-store.js';
import { obsoleteCandidates, openPairs, queueCandidates } from '../store/review-queue.js';
import { compiledModel, type MpiConfig } from './config.js';
import { decideFor, featuresOf, isReplaced, reviewRowsOf } from './matcher.js';
import { createPerson, refreshPersons } from './persons.js';

/**
 * `carnet mpi relink`: brings the match index in line with the model and normalisation in force, for
 * records indexed before they changed. Two passes over the index, in patient-id order and in batches of
 * short transactions (so the API keeps serving):
 *
 * 1. features — each record's normalised demographics and blocking keys are computed again from its
 *    stored Patient (a suffix taken out of a name, a new NAM reading…);
 * 2. links — each automatic link is judged again by the current model (relink-plan.ts): links it would
 *    no longer make are undone into review items, records alone in their Person join the Person they now
 *    match. Links a human made or confirmed, the Persons a human linked a record into, and pairs a human
 *    declared distinct are kept.
 *
 * A dry run does all of it in one transaction that is rolled back, and reports what would change.
 */
export interface RelinkOptions {
  readonly apply: boolean;
  readonly batchSize?: number;
  readonly onProgress?: (pass: 'features' | 'links', done: number, total: number) => void;
}

export interface RelinkReport {
  readonly applied: boolean;
  readonly records: number;
  /** Records whose normalised demographics or blocking keys changed. */
  readonly featuresChanged: number;
  readonly kept: { readonly reviewed: number; readonly merged: number; readonly stillLinked: number; readonly stillAlone: number };
  readonly joined: number;
  readonly split: number;
  /** Review items queued (or refreshed). */
  readonly queued: number;
}

class DryRun extends Error {
  constructor(readonly report: RelinkReport) {
    super('dry run: rolled back');
  }
}

interface Counts {
  records: number; featuresChanged: number; reviewed: number; merged: number; stillLinked: number; stillAlone: number;
  joined: number; split: number; queued: number;
}

export async function relink(ctx: FhirContext, config: MpiConfig, options: RelinkOptions): Promise<RelinkReport> {
  const counts: Counts = { records: 0, featuresChanged: 0, reviewed: 0, merged: 0, stillLinked: 0, stillAlone: 0, joined: 0, split: 0, queued: 0 };
  const batchSize = options.batchSize ?? 200;
  const report = (): RelinkReport => ({
    applied: options.apply, records: counts.records, featuresChanged: counts.featuresChanged,
    kept: { reviewed: counts.reviewed, merged: counts.merged, stillLinked: counts.stillLinked, stillAlone: counts.stillAlone },
    joined: counts.joined, split: counts.split, queued: counts.queued,
  });
  const passes = async (inBatch: (work: (tx: Queryable) => Promise<void>) => Promise<void>, db: Queryable) => {
    const total = await countRecords(db);
    counts.records = total;
    await eachBatch(db, batchSize, async (ids, done) => {
      await inBatch(async (tx) => {
        for (const id of ids) if (await refreshFeatures(tx, ctx, config, id)) counts.featuresChanged++;
      });
      options.onProgress?.('features', done, total);
    });
    await eachBatch(db, batchSize, async (ids, done) => {
      await inBatch(async (tx) => {
        for (const id of ids) await relinkRecord(tx, ctx, config, id, counts);
      });
      options.onProgress?.('links', done, total);
    });
  };
  if (options.apply) {
    await passes((work) => ctx.db.transaction(work), ctx.db);
    return report();
  }
  try {
    await ctx.db.transaction(async (tx) => {
      await passes((work) => work(tx), tx);
      throw new DryRun(report());
    });
  } catch (error) {
    if (error instanceof DryRun) return error.report;
    throw error;
  }
  throw new Error('unreachable: a dry run always rolls back');
}

/** Walks the index in patient-id order (keyset), one batch of ids at a time. */
async function eachBatch(db: Queryable, size: number, work: (ids: string[], done: number) => Promise<void>): Promise<void> {
  let after = '';
  let done = 0;
  for (;;) {
    const ids = await recordIdsAfter(db, after, size);
    if (ids.length === 0) return;
    done += ids.length;
    await work(ids, done);
    after = ids[ids.length - 1]!;
  }
}

async function storedPatient(tx: Queryable, id: string): Promise<Patient | undefined> {
  const current = await readCurrent(tx, 'Patient', id);
  return current && !current.deleted && current.content !== null ? (JSON.parse(current.content) as Patient) : undefined;
}

/** Pass 1: recomputes one record's features and keys; whether they changed. */
async function refreshFeatures(tx: Queryable, ctx: FhirContext, config: MpiConfig, id: string): Promise<boolean> {
  const patient = await storedPatient(tx, id);
  const existing = await readRecord(tx, id);
  if (!patient || !existing) return false;
  const features = featuresOf(config, patient);
  const matchable = !isReplaced(patient);
  const keys = matchable ? [...new Set(blockingKeys(features))].sort() : [];
  const sameFeatures = JSON.stringify(features) === JSON.stringify(existing.features);
  const sameKeys = JSON.stringify(keys) === JSON.stringify(await keysOf(tx, id));
  if (sameFeatures && sameKeys && matchable === existing.matchable) return false;
  await lockBlockingKeys(tx, keys);
  await writeRecord(tx, { ...existing, features, matchable, keys }, ctx.clock().toISOString());
  await logDecision(tx, {
    at: ctx.clock().toISOString(), actor: config.systemActor, action: 'relink-features', patientId: id, personId: existing.personId,
    detail: { featuresChanged: !sameFeatures, keysChanged: !sameKeys },
  });
  return true;
}

/** Pass 2: judges one record's link again and applies the plan. */
async function relinkRecord(tx: Queryable, ctx: FhirContext, config: MpiConfig, id: string, counts: Counts): Promise<void> {
  const record = await readRecord(tx, id);
  if (!record) return;
  await lockBlockingKeys(tx, record.matchable ? blockingKeys(record.features) : []);
  const siblings = (await recordsOfPersons(tx, [record.personId])).filter((r) => r.patientId !== id);
  const decision = record.matchable && record.assurance === 'auto' ? await decideFor(tx, config, record.features) : { kind: 'new' as const };
  const action = relinkAction({ personId: record.personId, assurance: record.assurance, matchable: record.matchable, siblings: siblings.length, personReviewed: siblings.some((s) => s.assurance === 'manual') }, decision);
  const at = ctx.clock().toISOString();
  switch (action.kind) {
    case 'keep':
      counts[({ reviewed: 'reviewed', merged: 'merged', 'still-linked': 'stillLinked', 'still-alone': 'stillAlone' } as const)[action.reason]]++;
      counts.queued += await queueOnce(tx, record, action.review, at);
      return;
    case 'join':
      await moveRecord(tx, id, action.personId, 'auto', action.best.weight, at);
      await obsoleteCandidates(tx, id, config.systemActor, at);
      counts.queued += await queueOnce(tx, record, action.review, at);
      await refreshPersons(tx, ctx, config, [record.personId, action.personId]);
      await logDecision(tx, {
        at, actor: config.systemActor, action: 'relink-join', patientId: id, personId: action.personId,
        detail: { before: record.personId, after: action.personId, weight: action.best.weight, levels: action.best.score.levels, matchedRecord: action.best.recordId },
      });
      counts.joined++;
      return;
    case 'split': {
      const personId = await createPerson(tx, ctx);
      await moveRecord(tx, id, personId, 'auto', null, at);
      const review = withFormerPerson(config, record, siblings, action);
      counts.queued += await queueOnce(tx, { ...record, personId }, review, at);
      await refreshPersons(tx, ctx, config, [record.personId, personId]);
      await logDecision(tx, {
        at, actor: config.systemActor, action: 'relink-split', patientId: id, personId,
        detail: { before: record.personId, after: personId, candidates: review.map((c) => ({ personId: c.personId, weight: c.weight, guard: c.guard ?? null })) },
      });
      counts.split++;
    }
  }
}

/** The review items of a split always include the Person the record leaves, whatever it now scores. */
function withFormerPerson(config: MpiConfig, record: IndexedRecord, siblings: readonly IndexedRecord[], action: Extract<RelinkAction, { kind: 'split' }>): PersonCandidate[] {
  if (action.review.some((c) => c.personId === record.personId) || siblings.length === 0) return [...action.review];
  const compiled = compiledModel(config);
  const best = siblings
    .map((s) => ({ s, score: scorePair(compiled, record.features, s.features) }))
    .sort((a, b) => b.score.weight - a.score.weight)[0]!;
  return [{ personId: record.personId, weight: best.score.weight, recordId: best.s.patientId, score: best.score }, ...action.review];
}

/**
 * Queues the review items not already waiting, in either direction (this record asked about that
 * Person, or that record asked about this record's Person): one question per pair of people.
 */
async function queueOnce(tx: Queryable, record: Pick<IndexedRecord, 'personId'> & { features: MatchRecord }, review: readonly PersonCandidate[], at: string): Promise<number> {
  if (review.length === 0) return 0;
  const rows = await openPairs(tx, { personId: record.personId, recordIds: review.map((c) => c.recordId) }, { recordId: record.features.id, personIds: review.map((c) => c.personId) });
  const waiting = (c: PersonCandidate) => rows.some((r) => (r.patientId === c.recordId && r.personId === record.personId) || (r.patientId === record.features.id && r.personId === c.personId));
  const fresh = review.filter((c) => !waiting(c));
  await queueCandidates(tx, reviewRowsOf(record.features, fresh), at);
  return fresh.length;
}
