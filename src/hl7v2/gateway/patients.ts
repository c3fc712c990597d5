import type { Patient, PatientLink } from '@medplum/fhirtypes';
import type { FhirContext } from '../../fhir/context.js';
import { findByCriteria } from '../../fhir/search/criteria.js';
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
}

async function findByIdentifier(tx: Queryable, ctx: FhirContext, criteria: string, at: PatientPlan['source']): Promise<CurrentRow | undefined> {
  const rows = await findByCriteria(tx, 'Patient', criteria, { baseUrl: ctx.fhirBaseUrl, now: ctx.clock(), limit: 2 });
  const matches: CurrentRow[] = rows.map((row) => ({ ...row, deleted: false }));
  if (matches.length > 1) throw new Hl7Problem('205', `more than one Patient has the identifier ${decodeURIComponent(criteria.slice(11))}`, at);
  return matches[0];
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
    for (const identifier of plan.merged) {
      const match = await findByIdentifier(tx, ctx, identifierCriteria(identifier), plan.source);
      if (!match?.content) {
        warnings.push(problem.warning('204', `no Patient has the prior identifier ${identifier.value}: nothing to merge`, { ...plan.source, field: 1 }));
        continue;
      }
      const merged = JSON.parse(match.content) as Patient;
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
