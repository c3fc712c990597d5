import type { Patient } from '@medplum/fhirtypes';
import type { FhirContext } from '../../fhir/context.js';
import type { AfterWriteHook, WrittenVersion } from '../../fhir/write/hooks.js';
import type { Queryable } from '../../storage/database.js';
import { blockingKeys } from '../blocking.js';
import { decide, type MatchDecision, type PersonCandidate, type ScoredCandidate } from '../decision.js';
import { scorePair } from '../model.js';
import { matchRecordOf, type MatchRecord } from '../record.js';
import { logDecision } from '../store/decision-log.js';
import {
  candidatesByKeys, deleteRecord, distinctPartners, lockBlockingKeys, moveRecord, readRecord, recordsOfPersons, writeRecord,
  type IndexedRecord,
} from '../store/link-store.js';
import { obsoleteCandidates, queueCandidates } from '../store/review-queue.js';
import { compiledModel, type MpiConfig } from './config.js';
import { createPerson, refreshPersons } from './persons.js';

/**
 * The matcher: every source Patient written through the engine is matched inside the write's
 * transaction (an after-write hook), so a committed Patient is always linked to exactly one Person.
 * Two transactions registering the same person at once serialise on the advisory locks of their
 * shared blocking keys: the second sees the first's record and links to its Person.
 */

/** Whether the Patient has been merged into another (HL7 A40: it stays readable but is never matched). */
export function isReplaced(patient: Patient): boolean {
  return Boolean(patient.link?.some((l) => l.type === 'replaced-by'));
}

export function featuresOf(config: MpiConfig, patient: Patient): MatchRecord {
  return matchRecordOf(patient, config.identifierRules);
}

/** Scores a record against the candidates its blocking keys bring (reads only; no locks). */
export async function scoreCandidates(tx: Queryable, config: MpiConfig, record: MatchRecord, excludeId: string | null, siblings = false): Promise<{ scored: ScoredCandidate[]; candidates: IndexedRecord[] }> {
  const candidates = await candidatesByKeys(tx, blockingKeys(record), config.blockCap, excludeId, config.maxCandidates);
  const compiled = compiledModel(config);
  const scored = candidates.map((c) => ({ record: c.features, personId: c.personId, score: scorePair(compiled, record, c.features) }));
  return { scored: siblings ? await withSiblings(tx, config, record, scored) : scored, candidates };
}

/** Adds the records of persons that could be linked automatically but were not retrieved by blocking. */
async function withSiblings(tx: Queryable, config: MpiConfig, record: MatchRecord, scored: ScoredCandidate[]): Promise<ScoredCandidate[]> {
  const persons = [...new Set(scored.filter((s) => s.score.weight >= config.model.upper).map((s) => s.personId))];
  if (persons.length === 0) return scored;
  const known = new Set(scored.map((s) => s.record.id));
  const compiled = compiledModel(config);
  const siblings = (await recordsOfPersons(tx, persons))
    .filter((r) => !known.has(r.patientId) && r.patientId !== record.id)
    .map((r) => ({ record: r.features, personId: r.personId, score: scorePair(compiled, record, r.features) }));
  return siblings.length > 0 ? [...scored, ...siblings] : scored;
}

/** The decision the current model makes for an indexed record (reads only). */
export async function decideFor(tx: Queryable, config: MpiConfig, record: MatchRecord): Promise<MatchDecision> {
  const scored = await withSiblings(tx, config, record, (await scoreCandidates(tx, config, record, record.id)).scored);
  const distinct = await distinctPartners(tx, record.id);
  const rejectedPersons = new Set(scored.filter((s) => distinct.has(s.record.id)).map((s) => s.personId));
  return decide(record, scored, config.model, { rejectedPersons, sameSourceGuard: config.sameSourceGuard, keyFieldGuard: config.keyFieldGuard, maxReview: config.maxReview });
}

export function reviewRows(record: MatchRecord, decision: MatchDecision) {
  return decision.kind === 'new' ? [] : reviewRowsOf(record, decision.review);
}

/** Review-queue rows for a record and the persons it may belong to. */
export function reviewRowsOf(record: MatchRecord, candidates: readonly PersonCandidate[]) {
  return candidates.map((c) => ({
    patientId: record.id, personId: c.personId, candidatePatientId: c.recordId, weight: c.weight,
    ...(c.guard ? { guard: c.guard } : {}),
    comparison: { levels: c.score.levels, transposed: c.score.transposed },
  }));
}

function decisionDetail(decision: MatchDecision): Record<string, unknown> {
  if (decision.kind === 'link') {
    return { weight: decision.best.weight, levels: decision.best.score.levels, transposed: decision.best.score.transposed, matchedRecord: decision.best.recordId };
  }
  if (decision.kind === 'review') return { candidates: decision.review.map((c) => ({ personId: c.personId, weight: c.weight, guard: c.guard ?? null })) };
  return {};
}

/** Links a new record: to the person it matches, or to a new person (with review candidates). */
async function linkNewRecord(tx: Queryable, ctx: FhirContext, config: MpiConfig, record: MatchRecord, keys: string[], matchable: boolean): Promise<void> {
  const at = ctx.clock().toISOString();
  const decision: MatchDecision = matchable ? await decideFor(tx, config, record) : { kind: 'new' };
  const personId = decision.kind === 'link' ? decision.personId : await createPerson(tx, ctx);
  const weight = decision.kind === 'link' ? decision.best.weight : null;
  await writeRecord(tx, { patientId: record.id, personId, assurance: 'auto', matchable, features: record, weight, keys }, at);
  await queueCandidates(tx, reviewRows(record, decision), at);
  await refreshPersons(tx, ctx, config, [personId]);
  await logDecision(tx, {
    at, actor: config.systemActor, action: decision.kind === 'link' ? 'link-auto' : 'new-person',
    patientId: record.id, personId, detail: decisionDetail(decision),
  });
  if (decision.kind === 'review') {
    await logDecision(tx, { at, actor: config.systemActor, action: 'queued-for-review', patientId: record.id, personId, detail: decisionDetail(decision) });
  }
}

/**
 * An updated record keeps its Person (links are not moved on a guess), except a record that is alone in
 * a Person it was given automatically: it is matched again, since its new demographics may now show who
 * it is.
 */
async function updateRecord(tx: Queryable, ctx: FhirContext, config: MpiConfig, existing: IndexedRecord, record: MatchRecord, keys: string[], matchable: boolean): Promise<void> {
  const at = ctx.clock().toISOString();
  await writeRecord(tx, { ...existing, features: record, matchable, keys }, at);
  const alone = (await recordsOfPersons(tx, [existing.personId])).length === 1;
  if (matchable && alone && existing.assurance === 'auto') {
    const decision = await decideFor(tx, config, record);
    if (decision.kind === 'link') {
      await moveRecord(tx, record.id, decision.personId, 'auto', decision.best.weight, at);
      await obsoleteCandidates(tx, record.id, config.systemActor, at);
      await refreshPersons(tx, ctx, config, [existing.personId, decision.personId]);
      await logDecision(tx, {
        at, actor: config.systemActor, action: 'rematch', patientId: record.id, personId: decision.personId,
        detail: { before: existing.personId, after: decision.personId, ...decisionDetail(decision) },
      });
      return;
    }
    await queueCandidates(tx, reviewRows(record, decision), at);
  }
  await refreshPersons(tx, ctx, config, [existing.personId]);
}

async function removeRecord(tx: Queryable, ctx: FhirContext, config: MpiConfig, patientId: string): Promise<void> {
  const existing = await readRecord(tx, patientId);
  if (!existing) return;
  const at = ctx.clock().toISOString();
  await deleteRecord(tx, patientId);
  await obsoleteCandidates(tx, patientId, config.systemActor, at);
  await refreshPersons(tx, ctx, config, [existing.personId]);
  await logDecision(tx, { at, actor: config.systemActor, action: 'record-removed', patientId, personId: existing.personId, detail: { reason: 'Patient deleted' } });
}

async function onPatientWritten(tx: Queryable, ctx: FhirContext, config: MpiConfig, version: WrittenVersion): Promise<void> {
  if (version.deleted || !version.content) {
    await removeRecord(tx, ctx, config, version.id);
    return;
  }
  const patient = JSON.parse(version.content) as Patient;
  const record = featuresOf(config, patient);
  const keys = blockingKeys(record);
  const matchable = !isReplaced(patient);
  await lockBlockingKeys(tx, keys);
  const existing = await readRecord(tx, version.id);
  if (existing) await updateRecord(tx, ctx, config, existing, record, keys, matchable);
  else await linkNewRecord(tx, ctx, config, record, keys, matchable);
}

/** The after-write hook that keeps the MPI in step with every Patient write. */
export function mpiAfterWrite(config: MpiConfig): AfterWriteHook {
  return async (tx, ctx, written) => {
    for (const version of written) {
      if (version.resourceType === 'Patient') await onPatientWritten(tx, ctx, config, version);
    }
  };
}
