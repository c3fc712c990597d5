import type { Identifier, Patient, PatientLink, Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../../fhir/context.js';
import { errors } from '../../fhir/outcomes.js';
import { rewriteReferences } from '../../fhir/references.js';
import { executeWrites } from '../../fhir/write/engine.js';
import type { WriteOp } from '../../fhir/write/operations.js';
import type { Queryable } from '../../storage/database.js';
import { compartmentContents, readCurrent } from '../../storage/resource-store.js';
import { logDecision } from '../store/decision-log.js';
import { moveRecord, readPerson, readRecord } from '../store/link-store.js';
import { activeMergeOf, insertMerge, markUnmerged, type MergeDetail } from '../store/merges.js';
import { obsoleteCandidates } from '../store/review-queue.js';
import type { Actor } from './links.js';
import { refreshPersons } from './persons.js';

/**
 * Merge and unmerge of two Patient records (HL7 v2 A40 "merge patient", FHIR R5 Patient/$merge):
 *
 * - the source becomes inactive with `link` replaced-by the target, and stays readable, so every old
 *   reference still resolves to a resource that says where the person went;
 * - the target gains `link` replaces the source and the source's identifiers (as `use: old`);
 * - the clinical resources of the source's compartment are moved to the target (their references are
 *   rewritten, each a new version: history keeps the old one);
 * - in the MPI the source joins the target's Person and is never matched again.
 *
 * Everything is recorded (`mpi_merge`) so that `unmergePatients` restores both records, moves back the
 * resources it moved, and returns the source to its former Person.
 */
export interface MergeInput extends Actor {
  readonly sourceId: string;
  readonly targetId: string;
  /** Only report what would happen. */
  readonly preview?: boolean;
}

export interface MergeResult {
  readonly mergeId?: number;
  readonly source: Patient;
  readonly target: Patient;
  readonly moved: number;
}

async function currentPatient(tx: Queryable, id: string, role: string): Promise<Patient> {
  const row = await readCurrent(tx, 'Patient', id);
  if (!row) throw errors.notFound(`The ${role} Patient/${id} does not exist`);
  if (row.deleted || !row.content) throw errors.gone(`The ${role} Patient/${id} was deleted`);
  return JSON.parse(row.content) as Patient;
}

const sameIdentifier = (a: Identifier, b: Identifier) => a.system === b.system && a.value === b.value;

function referenceMap(ctx: FhirContext, from: string, to: string): Map<string, string> {
  return new Map([
    [`Patient/${from}`, `Patient/${to}`],
    [`${ctx.fhirBaseUrl}/Patient/${from}`, `${ctx.fhirBaseUrl}/Patient/${to}`],
  ]);
}

/** Current resources of a compartment other than Patients and the MPI's Persons. */
async function compartmentResources(tx: Queryable, patientId: string, only?: readonly { resourceType: string; id: string }[]): Promise<Resource[]> {
  return (await compartmentContents(tx, patientId, ['Patient', 'Person'], only)).map((c) => JSON.parse(c) as Resource);
}

function updateOp(resource: Resource): WriteOp {
  return { kind: 'update', resourceType: resource.resourceType, id: resource.id as string, resource };
}

/**
 * Merges `sourceId` into `targetId` inside the caller's transaction (the HL7 v2 gateway calls this for
 * A40). Works with the MPI off too: only the Person bookkeeping is then skipped.
 */
export async function mergePatients(tx: Queryable, ctx: FhirContext, input: MergeInput): Promise<MergeResult> {
  const config = ctx.mpi;
  if (input.sourceId === input.targetId) throw errors.invalid('The source and target of a merge must be different Patients');
  const source = await currentPatient(tx, input.sourceId, 'source');
  const target = await currentPatient(tx, input.targetId, 'target');
  if (source.link?.some((l) => l.type === 'replaced-by')) throw errors.conflict(`Patient/${input.sourceId} is already merged into another Patient`);
  if (target.link?.some((l) => l.type === 'replaced-by')) throw errors.conflict(`The target Patient/${input.targetId} was itself merged away; merge into its survivor`);

  const copiedIdentifiers = (source.identifier ?? [])
    .filter((i) => !(target.identifier ?? []).some((t) => sameIdentifier(t, i)))
    .map((i) => ({ ...i, use: 'old' as const }));
  const sourceLinks = source.link ?? [];
  const mergedSource: Patient = {
    ...source, active: false,
    link: [...sourceLinks, { other: { reference: `Patient/${input.targetId}` }, type: 'replaced-by' }],
  };
  const mergedTarget: Patient = {
    ...target,
    identifier: [...(target.identifier ?? []), ...copiedIdentifiers],
    link: [...(target.link ?? []), { other: { reference: `Patient/${input.sourceId}` }, type: 'replaces' }],
  };
  const mapping = referenceMap(ctx, input.sourceId, input.targetId);
  const toMove = (await compartmentResources(tx, input.sourceId)).map((r) => rewriteReferences(r, mapping));
  if (input.preview) return { source: mergedSource, target: mergedTarget, moved: toMove.length };

  const sourceRecord = await readRecord(tx, input.sourceId);
  await executeWrites(tx, ctx, [updateOp(mergedSource), updateOp(mergedTarget), ...toMove.map(updateOp)], { transaction: false });
  // Read after the writes: the target's own update may have re-matched it.
  const targetRecord = await readRecord(tx, input.targetId);

  const at = ctx.clock().toISOString();
  if (config && sourceRecord && targetRecord && sourceRecord.personId !== targetRecord.personId) {
    await moveRecord(tx, input.sourceId, targetRecord.personId, 'manual', null, at);
    await refreshPersons(tx, ctx, config, [sourceRecord.personId, targetRecord.personId]);
  }
  await obsoleteCandidates(tx, input.sourceId, input.actor, at);
  const detail: MergeDetail = {
    sourcePerson: sourceRecord?.personId ?? '', sourceActive: source.active ?? null, sourceLinks, copiedIdentifiers,
    moved: toMove.map((r) => ({ resourceType: r.resourceType, id: r.id as string })),
  };
  const mergeId = await insertMerge(tx, { sourceId: input.sourceId, targetId: input.targetId, at, actor: input.actor, ...(input.reason ? { reason: input.reason } : {}), detail });
  await logDecision(tx, {
    at, actor: input.actor, action: 'merge', ...(input.reason ? { reason: input.reason } : {}), patientId: input.sourceId,
    personId: targetRecord?.personId ?? '', detail: { mergeId, target: input.targetId, before: sourceRecord?.personId, moved: detail.moved.length },
  });
  return { mergeId, source: mergedSource, target: mergedTarget, moved: toMove.length };
}

export interface UnmergeInput extends Actor {
  readonly sourceId: string;
  /** When given, must be the target of the merge in force. */
  readonly targetId?: string;
}

export async function unmergePatients(tx: Queryable, ctx: FhirContext, input: UnmergeInput): Promise<MergeResult> {
  const config = ctx.mpi;
  const merge = await activeMergeOf(tx, input.sourceId);
  if (!merge) throw errors.notFound(`Patient/${input.sourceId} has no merge to undo`);
  if (input.targetId && input.targetId !== merge.targetId) {
    throw errors.invalid(`Patient/${input.sourceId} was merged into Patient/${merge.targetId}, not Patient/${input.targetId}`);
  }
  const source = await currentPatient(tx, merge.sourceId, 'source');
  const target = await currentPatient(tx, merge.targetId, 'target');
  const { detail } = merge;
  const restoredSource: Patient = { ...source, link: detail.sourceLinks.length > 0 ? [...detail.sourceLinks] : undefined };
  if (detail.sourceActive === null) delete restoredSource.active;
  else restoredSource.active = detail.sourceActive;
  if (!restoredSource.link) delete restoredSource.link;
  const isMergeLink = (l: PatientLink) => l.type === 'replaces' && l.other.reference === `Patient/${merge.sourceId}`;
  const targetLinks = (target.link ?? []).filter((l) => !isMergeLink(l));
  const targetIdentifiers = (target.identifier ?? []).filter((i) => !detail.copiedIdentifiers.some((c) => sameIdentifier(c, i) && i.use === 'old'));
  const restoredTarget: Patient = { ...target, link: targetLinks, identifier: targetIdentifiers };
  if (targetLinks.length === 0) delete restoredTarget.link;
  if (targetIdentifiers.length === 0) delete restoredTarget.identifier;
  const back = referenceMap(ctx, merge.targetId, merge.sourceId);
  const moved = (await compartmentResources(tx, merge.targetId, detail.moved)).map((r) => rewriteReferences(r, back));
  await executeWrites(tx, ctx, [updateOp(restoredSource), updateOp(restoredTarget), ...moved.map(updateOp)], { transaction: false });

  const at = ctx.clock().toISOString();
  const record = await readRecord(tx, merge.sourceId);
  const formerPerson = detail.sourcePerson ? await readPerson(tx, detail.sourcePerson) : undefined;
  if (config && record && formerPerson && record.personId !== formerPerson.personId) {
    await moveRecord(tx, merge.sourceId, formerPerson.personId, 'manual', null, at);
    await refreshPersons(tx, ctx, config, [record.personId, formerPerson.personId]);
  }
  await markUnmerged(tx, merge.id, input.actor, at);
  await logDecision(tx, {
    at, actor: input.actor, action: 'unmerge', ...(input.reason ? { reason: input.reason } : {}), patientId: merge.sourceId,
    personId: formerPerson?.personId ?? record?.personId ?? '', detail: { mergeId: merge.id, target: merge.targetId, movedBack: moved.length },
  });
  return { mergeId: merge.id, source: restoredSource, target: restoredTarget, moved: moved.length };
}
