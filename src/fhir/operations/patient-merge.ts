import type { Identifier, Parameters } from '@medplum/fhirtypes';
import { mergePatients, unmergePatients, type MergeResult } from '../../mpi/service/merge.js';
import { withRetries, type Queryable } from '../../storage/database.js';
import type { FhirContext } from '../context.js';
import { findByCriteria } from '../search/criteria.js';
import { errors, informational } from '../outcomes.js';
import type { Handler, HandlerInput } from '../router/types.js';
import { deciderOf } from './mpi-context.js';
import { OperationInput, parameters, referencedId } from './parameters.js';

/**
 * POST Patient/$merge — the FHIR R5 Patient merge operation on R4 (HL7 v2 A40 semantics; see
 * src/mpi/service/merge.ts), and POST Patient/$unmerge, its inverse. Both require `actor` (who decides;
 * until SMART on FHIR lands it is taken from the request) and accept `reason`.
 */
async function patientByIdentifier(tx: Queryable, ctx: FhirContext, identifier: Identifier, parameter: string): Promise<string> {
  if (!identifier.value) throw errors.invalid(`"${parameter}" needs a value`);
  const token = `${identifier.system ? `${identifier.system}|` : ''}${identifier.value}`.replace(/[\\,$]/g, (c) => `\\${c}`);
  const matches = await findByCriteria(tx, 'Patient', `identifier=${encodeURIComponent(token)}`, { baseUrl: ctx.fhirBaseUrl, now: ctx.clock(), limit: 2 });
  if (matches.length !== 1) throw errors.preconditionFailed(`"${parameter}" matches ${matches.length === 0 ? 'no' : 'more than one'} Patient`);
  return (matches[0] as { id: string }).id;
}

async function patientParameter(tx: Queryable, ctx: FhirContext, input: OperationInput, role: 'source' | 'target', required: boolean): Promise<string | undefined> {
  const byReference = referencedId(input.reference(`${role}-patient`), 'Patient', `${role}-patient`);
  if (byReference) return byReference;
  const identifier = input.identifier(`${role}-patient-identifier`);
  if (identifier) return patientByIdentifier(tx, ctx, identifier, `${role}-patient-identifier`);
  if (required) throw errors.invalid(`Name the ${role} with "${role}-patient" or "${role}-patient-identifier"`);
  return undefined;
}

function output(request: HandlerInput['request'], result: MergeResult, text: string): Parameters {
  const input = request.body && (request.body as { resourceType?: string }).resourceType === 'Parameters' ? (request.body as Parameters) : undefined;
  return parameters([
    ...(input ? [{ name: 'input', resource: input }] : []),
    { name: 'outcome', resource: informational(text) },
    { name: 'result', resource: result.target },
  ]);
}

export const patientMerge: Handler = async ({ request, ctx }) => {
  const input = OperationInput.of(request);
  const actor = deciderOf(request, input);
  const reason = input.string('reason');
  const preview = input.boolean('preview') ?? false;
  const result = await withRetries(ctx.db, async (tx) => {
    const sourceId = (await patientParameter(tx, ctx, input, 'source', true)) as string;
    const targetId = (await patientParameter(tx, ctx, input, 'target', true)) as string;
    return mergePatients(tx, ctx, { sourceId, targetId, actor, ...(reason ? { reason } : {}), preview });
  });
  const text = preview
    ? `Preview: merging would move ${result.moved} resource(s) to the target; nothing was changed`
    : `Merged: Patient/${result.source.id} is replaced by Patient/${result.target.id}; ${result.moved} resource(s) moved (merge ${result.mergeId})`;
  return { status: 200, body: output(request, result, text) };
};

export const patientUnmerge: Handler = async ({ request, ctx }) => {
  const input = OperationInput.of(request);
  const actor = deciderOf(request, input);
  const reason = input.string('reason');
  const result = await withRetries(ctx.db, async (tx) => {
    const sourceId = (await patientParameter(tx, ctx, input, 'source', true)) as string;
    const targetId = await patientParameter(tx, ctx, input, 'target', false);
    return unmergePatients(tx, ctx, { sourceId, actor, ...(targetId ? { targetId } : {}), ...(reason ? { reason } : {}) });
  });
  const text = `Unmerged: Patient/${result.source.id} and Patient/${result.target.id} are separate again; ${result.moved} resource(s) moved back (merge ${result.mergeId})`;
  return { status: 200, body: parameters([{ name: 'outcome', resource: informational(text) }, { name: 'source', resource: result.source }, { name: 'result', resource: result.target }]) };
};
