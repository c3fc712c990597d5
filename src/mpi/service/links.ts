import type { FhirContext } from '../../fhir/context.js';
import { errors } from '../../fhir/outcomes.js';
import type { Queryable } from '../../storage/database.js';
import { logDecision } from '../store/decision-log.js';
import { addDistinct, moveRecord, readPerson, readRecord, recordsOfPersons, type IndexedRecord } from '../store/link-store.js';
import { closeCandidate, obsoleteCandidates, readCandidate, type Candidate } from '../store/review-queue.js';
import type { MpiConfig } from './config.js';
import { createPerson, refreshPersons } from './persons.js';

/**
 * Human link decisions: link a record to a Person, unlink it into a Person of its own, and confirm or
 * reject review candidates. Each is audited in the decision log with who and why.
 */
export interface Actor {
  /** Who decided (a user id today; the authenticated principal once SMART on FHIR lands). */
  readonly actor: string;
  readonly reason?: string;
}

async function indexedRecord(tx: Queryable, patientId: string): Promise<IndexedRecord> {
  const record = await readRecord(tx, patientId);
  if (!record) throw errors.notFound(`Patient/${patientId} is not in the master patient index`);
  return record;
}

async function activePerson(tx: Queryable, personId: string): Promise<void> {
  const person = await readPerson(tx, personId);
  if (!person) throw errors.notFound(`Person/${personId} is not managed by the master patient index`);
}

/** Links a source record to a Person (manual assurance). Returns the Person it was linked to before. */
export async function linkPatient(tx: Queryable, ctx: FhirContext, config: MpiConfig, input: Actor & { patientId: string; personId: string }): Promise<{ before: string; after: string }> {
  const record = await indexedRecord(tx, input.patientId);
  await activePerson(tx, input.personId);
  const at = ctx.clock().toISOString();
  await moveRecord(tx, input.patientId, input.personId, 'manual', null, at);
  await obsoleteCandidates(tx, input.patientId, input.actor, at);
  await refreshPersons(tx, ctx, config, [record.personId, input.personId]);
  await logDecision(tx, {
    at, actor: input.actor, action: 'link-manual', ...(input.reason ? { reason: input.reason } : {}), patientId: input.patientId,
    personId: input.personId, detail: { before: record.personId, after: input.personId },
  });
  return { before: record.personId, after: input.personId };
}

/**
 * Unlinks a record from its Person into a new Person, and remembers that it is none of the records it
 * leaves (so that the matcher never links them again on its own).
 */
export async function unlinkPatient(tx: Queryable, ctx: FhirContext, config: MpiConfig, input: Actor & { patientId: string }): Promise<{ before: string; after: string }> {
  const record = await indexedRecord(tx, input.patientId);
  const siblings = (await recordsOfPersons(tx, [record.personId])).filter((r) => r.patientId !== input.patientId);
  if (siblings.length === 0) throw errors.conflict(`Patient/${input.patientId} is the only record of Person/${record.personId}: nothing to unlink`);
  const at = ctx.clock().toISOString();
  const personId = await createPerson(tx, ctx);
  await moveRecord(tx, input.patientId, personId, 'manual', null, at);
  await addDistinct(tx, input.patientId, siblings.map((s) => s.patientId));
  await obsoleteCandidates(tx, input.patientId, input.actor, at);
  await refreshPersons(tx, ctx, config, [record.personId, personId]);
  await logDecision(tx, {
    at, actor: input.actor, action: 'unlink', ...(input.reason ? { reason: input.reason } : {}), patientId: input.patientId,
    personId, detail: { before: record.personId, after: personId, distinctFrom: siblings.map((s) => s.patientId) },
  });
  return { before: record.personId, after: personId };
}

async function openCandidate(tx: Queryable, id: number): Promise<Candidate> {
  const candidate = await readCandidate(tx, id, true);
  if (!candidate) throw errors.notFound(`No review candidate ${id}`);
  if (candidate.status !== 'open') throw errors.conflict(`Review candidate ${id} is already ${candidate.status}`);
  return candidate;
}

/** Confirms a candidate: the record joins the candidate's Person (where that record is now). */
export async function confirmCandidate(tx: Queryable, ctx: FhirContext, config: MpiConfig, input: Actor & { id: number }): Promise<{ before: string; after: string }> {
  const candidate = await openCandidate(tx, input.id);
  const target = await indexedRecord(tx, candidate.candidatePatientId);
  const at = ctx.clock().toISOString();
  await closeCandidate(tx, candidate.id, 'confirmed', input.actor, input.reason, at);
  const result = await linkPatient(tx, ctx, config, { ...input, patientId: candidate.patientId, personId: target.personId });
  await logDecision(tx, {
    at, actor: input.actor, action: 'review-confirm', ...(input.reason ? { reason: input.reason } : {}), patientId: candidate.patientId,
    personId: target.personId, detail: { candidate: candidate.id, weight: candidate.weight, ...result },
  });
  return result;
}

/** Rejects a candidate: the record is declared distinct from every record of that Person. */
export async function rejectCandidate(tx: Queryable, ctx: FhirContext, config: MpiConfig, input: Actor & { id: number }): Promise<void> {
  const candidate = await openCandidate(tx, input.id);
  const target = await indexedRecord(tx, candidate.candidatePatientId);
  const others = (await recordsOfPersons(tx, [target.personId])).map((r) => r.patientId);
  const at = ctx.clock().toISOString();
  await closeCandidate(tx, candidate.id, 'rejected', input.actor, input.reason, at);
  await addDistinct(tx, candidate.patientId, others);
  await logDecision(tx, {
    at, actor: input.actor, action: 'review-reject', ...(input.reason ? { reason: input.reason } : {}), patientId: candidate.patientId,
    personId: target.personId, detail: { candidate: candidate.id, weight: candidate.weight, distinctFrom: others },
  });
}
