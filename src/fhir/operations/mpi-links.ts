import { linkPatient, unlinkPatient } from '../../mpi/service/links.js';
import { readDecisions } from '../../mpi/store/decision-log.js';
import { readPerson, readRecord, patientIdsOfPerson } from '../../mpi/store/link-store.js';
import { withRetries } from '../../storage/database.js';
import { errors, informational } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { mpiOf, deciderOf } from './mpi-context.js';
import { OperationInput, parameters, referencedId } from './parameters.js';

/**
 * MPI link management on a source Patient (Carnet operations, in the spirit of HAPI's $mdm-* ones):
 * - GET  Patient/[id]/$mpi-links   its Person, enterprise id, every linked Patient, assurance;
 * - POST Patient/[id]/$mpi-link    `person`, `actor`, `reason`: link it to that Person (manual);
 * - POST Patient/[id]/$mpi-unlink  `actor`, `reason`: detach it into a new Person (never relinked automatically);
 * - GET  [base]/$mpi-decisions     the decision log (`patient`, `person`, `_count`, `before` for paging).
 */
export const mpiLinks: Handler = async ({ ctx, reader, params }) => {
  mpiOf(ctx);
  const patientId = params.id as string;
  const record = await readRecord(reader, patientId);
  if (!record) throw errors.notFound(`Patient/${patientId} is not in the master patient index`);
  const person = await readPerson(reader, record.personId);
  const linked = await patientIdsOfPerson(reader, record.personId);
  return {
    status: 200,
    body: parameters([
      { name: 'person', valueReference: { reference: `Person/${record.personId}` } },
      { name: 'enterpriseId', valueString: person?.enterpriseId ?? '' },
      { name: 'assurance', valueCode: record.assurance === 'manual' ? 'level4' : 'level3' },
      { name: 'matchable', valueBoolean: record.matchable },
      ...linked.map((id) => ({ name: 'patient', valueReference: { reference: `Patient/${id}` } })),
    ]),
  };
};

export const mpiLink: Handler = async ({ request, ctx, params }) => {
  const config = mpiOf(ctx);
  const input = OperationInput.of(request);
  const actor = deciderOf(request, input);
  const reason = input.string('reason');
  const personId = referencedId(input.reference('person'), 'Person', 'person');
  if (!personId) throw errors.invalid('The "person" parameter (a Person reference) is required');
  const patientId = params.id as string;
  const result = await withRetries(ctx.db, (tx) => linkPatient(tx, ctx, config, { patientId, personId, actor, ...(reason ? { reason } : {}) }));
  return {
    status: 200,
    body: parameters([
      { name: 'outcome', resource: informational(`Patient/${patientId} is linked to Person/${result.after}`) },
      { name: 'person', valueReference: { reference: `Person/${result.after}` } },
      { name: 'previous', valueReference: { reference: `Person/${result.before}` } },
    ]),
  };
};

export const mpiUnlink: Handler = async ({ request, ctx, params }) => {
  const config = mpiOf(ctx);
  const input = OperationInput.of(request);
  const actor = deciderOf(request, input);
  const reason = input.string('reason');
  const patientId = params.id as string;
  const result = await withRetries(ctx.db, (tx) => unlinkPatient(tx, ctx, config, { patientId, actor, ...(reason ? { reason } : {}) }));
  return {
    status: 200,
    body: parameters([
      { name: 'outcome', resource: informational(`Patient/${patientId} now has a Person of its own`) },
      { name: 'person', valueReference: { reference: `Person/${result.after}` } },
      { name: 'previous', valueReference: { reference: `Person/${result.before}` } },
    ]),
  };
};

export const mpiDecisions: Handler = async ({ request, ctx, reader }) => {
  mpiOf(ctx);
  const input = OperationInput.of(request);
  const patientId = input.string('patient')?.replace(/^Patient\//, '');
  const personId = input.string('person')?.replace(/^Person\//, '');
  const limit = input.integer('_count', 1, 1000) ?? 50;
  const before = input.integer('before', 1, Number.MAX_SAFE_INTEGER);
  const decisions = await readDecisions(reader, {
    limit, ...(patientId ? { patientId } : {}), ...(personId ? { personId } : {}), ...(before !== undefined ? { beforeSeq: before } : {}),
  });
  return {
    status: 200,
    body: parameters(decisions.map((d) => ({
      name: 'decision',
      part: [
        { name: 'seq', valueInteger: d.seq },
        { name: 'at', valueInstant: d.at },
        { name: 'actor', valueString: d.actor },
        { name: 'action', valueCode: d.action },
        ...(d.reason ? [{ name: 'reason', valueString: d.reason }] : []),
        ...(d.patientId ? [{ name: 'patient', valueReference: { reference: `Patient/${d.patientId}` } }] : []),
        ...(d.personId ? [{ name: 'person', valueReference: { reference: `Person/${d.personId}` } }] : []),
        { name: 'detail', valueString: JSON.stringify(d.detail) },
      ],
    }))),
  };
};
