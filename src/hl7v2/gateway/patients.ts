import type { Patient, PatientLink } from '@medplum/fhirtypes';
import type { FhirContext } from '../../fhir/context.js';
import { FhirError } from '../../fhir/outcomes.js';
import { findByCriteria } from '../../fhir/search/criteria.js';
import { mergePatients } from '../../mpi/service/merge.js';
import type { WriteOp } from '../../fhir/write/operations.js';
import type { Queryable } from '../../storage/database.js';
import type { CurrentRow } from '../../storage/resource-store.js';
import { Hl7Problem, problem } from '../message/problems.js';
import type { MergePlan, PatientPlan } from '../mapping/types.js';
import { identifierCriteria } from './criteria.js';

/**
 * Patient identity, behind a small interface so that the master patient index (issue #6) can replace it:
 * `resolve` decides which Patient a PID designates and what to write; `merge` records ADT^A40.
 *
 * Today's implementation, by identifier: a PID is the Patient whose identifier equals the sender's key
 * identifier (PID-3); ADT messages update its demographics, other messages only refer to it (creating it
 * if it is new). A Patient that was merged away (link `replaced-by`) is followed to its survivor.
 */
export interface PatientResolution {
  /** Writes that make the patient exist or up to date (their fullUrl is `plan.ref` when they write it). */
  readonly ops: readonly WriteOp[];
  /** What references to `plan.ref` must point at: `plan.ref` itself when `ops` define it, else `Patient/<id>`. */
  readonly reference: string;
  readonly warnings: readonly Hl7Problem[];
}

export interface MergeResolution {
  readonly ops: readonly WriteOp[];
  /** Links to add to the surviving Patient (`replaces`). */
  readonly survivorLinks: readonly PatientLink[];
  readonly warnings: readonly Hl7Problem[];
}

export interface PatientResolver {
  resolve(tx: Queryable, ctx: FhirContext, plan: PatientPlan): Promise<PatientResolution>;
  merge(tx: Queryable, ctx: FhirContext, plan: MergePlan): Promise<MergeResolution>;
  /** Merges that need the survivor written first (the MPI's): run after the message's writes, same transaction. */
  completeMerge?(tx: Queryable, ctx: FhirContext, plan: MergePlan, survivorId: string, actor: string): Promise<Hl7Problem[]>;
}

async function findByIdentifier(tx: Queryable, ctx: FhirContext, criteria: string, at: PatientPlan['source']): Promise<CurrentRow | undefined> {
  const rows = await findByCriteria(tx, 'Patient', criteria, { baseUrl: ctx.fhirBaseUrl, now: ctx.clock(), limit: 10 });
  const matches: CurrentRow[] = rows.map((row) => ({ ...row, deleted: false }));
  // After a merge the survivor carries the merged Patient's identifiers (as `old`): the identifier then
  // designates the one Patient that was not merged away.
  const live = matches.filter((m) => !(m.content && survivorOf(JSON.parse(m.content) as Patient)));
  const chosen = live.length === 1 ? live : matches;
  if (chosen.length > 1) throw new Hl7Problem('205', `more than one Patient has the identifier ${decodeURIComponent(criteria.slice(11))}`, at);
  return chosen[0];
}

/** The Patients the merge's prior identifiers designate (a warning for each that designates none). */
async function mergedPatients(tx: Queryable, ctx: FhirContext, plan: MergePlan, warnings: Hl7Problem[]): Promise<{ row: CurrentRow; patient: Patient }[]> {
  const found: { row: CurrentRow; patient: Patient }[] = [];
  for (const identifier of plan.merged) {
    const match = await findByIdentifier(tx, ctx, identifierCriteria(identifier), plan.source);
    if (match?.content) found.push({ row: match, patient: JSON.parse(match.content) as Patient });
    else warnings.push(problem.warning('204', `no Patient has the prior identifier ${identifier.value}: nothing to merge`, { ...plan.source, field: 1 }));
  }
  return found;
}

function survivorOf(patient: Patient): string | undefined {
  return patient.link?.find((l) => l.type === 'replaced-by')?.other?.reference;
}

/** Message demographics replace stored ones; identifiers and links from elsewhere are kept. */
function updatedPatient(stored: Patient, incoming: Patient): Patient {
  const identifiers = [...(incoming.identifier ?? [])];
  for (const old of stored.identifier ?? []) {
    if (!identifiers.some((i) => i.system === old.system && i.value === old.value)) identifiers.push(old);
  }
  const { id: _id, meta: _meta, ...fields } = incoming;
  return { ...fields, id: stored.id, identifier: identifiers, ...(stored.link ? { link: [...stored.link, ...(incoming.link ?? [])] } : {}) } as Patient;
}

export const identifierResolver: PatientResolver = {
  async resolve(tx, ctx, plan) {
    const criteria = identifierCriteria(plan.identifier);
    const match = await findByIdentifier(tx, ctx, criteria, plan.source);
    const stored = match?.content ? (JSON.parse(match.content) as Patient) : undefined;
    const survivor = stored ? survivorOf(stored) : undefined;
    if (match && survivor) {
      const warning = problem.warning('204', `Patient/${match.id} was merged into ${survivor}: this message is filed under the survivor`, { ...plan.source, field: 3 });
      return { ops: [], reference: survivor, warnings: [warning] };
    }
    if (plan.mode === 'reference') {
      if (match) return { ops: [], reference: `Patient/${match.id}`, warnings: [] };
      return { ops: [{ kind: 'create', resource: plan.resource, ifNoneExist: criteria, fullUrl: plan.ref }], reference: plan.ref, warnings: [] };
    }
    if (match && stored) {
      const resource = updatedPatient(stored, plan.resource);
      return { ops: [{ kind: 'update', resourceType: 'Patient', id: match.id, resource, fullUrl: plan.ref }], reference: plan.ref, warnings: [] };
    }
    return { ops: [{ kind: 'conditional-update', resourceType: 'Patient', criteria, resource: plan.resource, fullUrl: plan.ref }], reference: plan.ref, warnings: [] };
  },

  /**
   * Without the MPI a merge moves nothing: the merged Patient is marked inactive with a `replaced-by` link,
   * the survivor gets a `replaces` link, and later messages naming the merged identifier are filed under the
   * survivor. Resources already recorded under the merged Patient stay where they are (nothing is lost).
   */
  async merge(tx, ctx, plan) {
    const ops: WriteOp[] = [];
    const survivorLinks: PatientLink[] = [];
    const warnings: Hl7Problem[] = [];
    for (const { row: match, patient: merged } of await mergedPatients(tx, ctx, plan, warnings)) {
      if (survivorOf(merged) === plan.survivorRef) continue;
      const link: PatientLink = { other: { reference: plan.survivorRef }, type: 'replaced-by' };
      const { meta: _meta, ...rest } = merged;
      ops.push({
        kind: 'update', resourceType: 'Patient', id: match.id, ifMatch: `W/"${match.versionId}"`,
        resource: { ...rest, active: false, link: [...(merged.link ?? []).filter((l) => l.type !== 'replaced-by'), link] } as Patient,
      });
      survivorLinks.push({ other: { reference: `Patient/${match.id}` }, type: 'replaces' });
    }
    return { ops, survivorLinks, warnings };
  },
};

/**
 * With the master patient index: ADT^A40 is the MPI's merge (src/mpi/service/merge.ts) — the merged
 * Patient is replaced by the survivor, its resources follow, the decision is logged with the sender as
 * actor, and `Patient/$unmerge` can undo it. Patients are otherwise resolved by identifier as without the MPI.
 */
export const mpiResolver: PatientResolver = {
  resolve: (tx, ctx, plan) => identifierResolver.resolve(tx, ctx, plan),
  async merge() {
    return { ops: [], survivorLinks: [], warnings: [] };
  },
  async completeMerge(tx, ctx, plan, survivorId, actor) {
    const warnings: Hl7Problem[] = [];
    for (const { row: match, patient: stored } of await mergedPatients(tx, ctx, plan, warnings)) {
      if (match.id === survivorId || survivorOf(stored) === `Patient/${survivorId}`) continue;
      try {
        await mergePatients(tx, ctx, { sourceId: match.id, targetId: survivorId, actor, reason: 'HL7 v2 ADT^A40' });
      } catch (error) {
        if (!(error instanceof FhirError)) throw error;
        warnings.push(problem.warning('205', `Patient/${match.id} could not be merged into Patient/${survivorId}: ${error.message}`, { ...plan.source, field: 1 }));
      }
    }
    return warnings;
  },
};
