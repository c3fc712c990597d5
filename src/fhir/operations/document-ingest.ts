import type { OperationOutcome, Parameters, Resource } from '@medplum/fhirtypes';
import { auditInTransaction } from '../../audit/fhir-audit.js';
import { traceRows } from '../../audit/trail.js';
import { DocumentProblem, planDocument, type DocumentPlan } from '../../documents/ingest/document.js';
import { readRecord } from '../../mpi/store/link-store.js';
import { withRetries, type Queryable } from '../../storage/database.js';
import { readCurrent } from '../../storage/resource-store.js';
import { writeAccess } from '../access.js';
import { bodyResource } from '../interactions/respond.js';
import { errors, FhirError, issue } from '../outcomes.js';
import { XmlBody } from '../xml-body.js';
import { CDA_CONTENT_TYPE, convertCcda } from '../../documents/ccda/convert.js';
import type { FhirRequest, Handler, HandlerInput } from '../router/types.js';
import { executeWrites } from '../write/engine.js';
import type { WriteOp, WriteResult } from '../write/operations.js';
import type { FhirContext } from '../context.js';

/**
 * Files a planned document into the record (src/documents/ingest/): every resource, the original as a
 * Binary, its DocumentReference and Provenance in ONE transaction through the write engine (validation,
 * the caller's write guard, the MPI's matching of the document's Patient, change events), audited in it.
 * The same document again is recognised by its Binary — unchanged content — and nothing is written.
 */
export type IngestResult = 'created' | 'updated' | 'unchanged';

/** The document the request carries: the Bundle itself, or a Parameters with it as `resource`. */
export function documentOf(request: FhirRequest): Resource {
  const body = bodyResource(request);
  if (body.resourceType !== 'Parameters') return body;
  const resource = (body as Parameters).parameter?.find((p) => p.name === 'resource')?.resource;
  if (!resource) throw errors.invalid('Parameters: the document goes in a parameter "resource"', ['Parameters.parameter']);
  return resource;
}

/** Runs a planning step, a refusal becoming a 400 OperationOutcome naming the element. */
export function planned<T>(plan: () => T): T {
  try {
    return plan();
  } catch (error) {
    if (error instanceof DocumentProblem) throw errors.invalid(error.message, [...error.expression]);
    throw error;
  }
}

async function alreadyFiled(tx: Queryable, plan: DocumentPlan): Promise<'new' | 'same' | 'changed'> {
  const current = await readCurrent(tx, 'Binary', plan.binary.id);
  if (!current || current.deleted) return 'new';
  return (JSON.parse(current.content as string) as { data?: string }).data === plan.binary.data ? 'same' : 'changed';
}

/**
 * Writes a planned document in one transaction (unless it was filed already), audited in it when the
 * request carries a trail. `author`: the organisation recorded as writer when no principal is (carnet import).
 */
export async function storeDocument(
  ctx: FhirContext, request: FhirRequest, plan: DocumentPlan, operation: string, author?: string,
): Promise<{ result: IngestResult; written: WriteResult[] }> {
  let result = 'unchanged' as IngestResult;
  let written: WriteResult[] = [];
  await withRetries(ctx.db, async (tx) => {
    const state = await alreadyFiled(tx, plan);
    if (state === 'same') {
      result = 'unchanged';
      written = [];
      return;
    }
    const ops: WriteOp[] = [...plan.resources, plan.binary].map((resource) => ({ kind: 'update', resourceType: resource.resourceType, id: resource.id, resource }));
    written = await executeWrites(tx, ctx, ops, { transaction: true, ...(author ? { author } : {}), ...writeAccess(request, ctx) });
    const patientId = plan.patient.split('/')[1] as string;
    traceRows(request.audit, written.map((w) => ({ resourceType: w.resourceType, id: w.id, patientId })));
    result = state === 'new' ? 'created' : 'updated';
    await auditInTransaction(tx, ctx, request, { interaction: 'operation', operation, status: result === 'created' ? 201 : 200 });
  });
  return { result, written };
}

export async function fileDocument({ request, ctx }: HandlerInput, plan: DocumentPlan, operation: string): Promise<{ status: number; body: Parameters }> {
  const { result } = await storeDocument(ctx, request, plan, operation);
  const person = ctx.mpi ? (await readRecord(ctx.db, plan.patient.split('/')[1] as string))?.personId : undefined;
  const outcome: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: [
      issue('information', 'informational', result === 'unchanged'
        ? `this document (${plan.key}) was filed already; nothing was written`
        : `${plan.resources.length - 2} resources of the document ${result === 'created' ? 'filed' : 'updated'} for ${plan.patient}`),
      ...plan.warnings.map((w) => issue('warning', 'informational', w)),
    ],
  };
  const body: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'result', valueCode: result },
      { name: 'documentReference', valueReference: { reference: plan.documentReference } },
      { name: 'patient', valueReference: { reference: plan.patient } },
      ...(person ? [{ name: 'person', valueReference: { reference: `Person/${person}` } }] : []),
      { name: 'resources', valueInteger: plan.resources.length - 2 },
      { name: 'outcome', resource: outcome },
    ],
  };
  return { status: result === 'created' ? 201 : 200, body };
}

/** POST Bundle/$ingest — a FHIR document (IPS, discharge summary…) filed into the record of its person. */
export const bundleIngest: Handler = async (input) => {
  const document = documentOf(input.request);
  const plan = planned(() => planDocument(document, { now: input.ctx.clock().toISOString() }));
  return fileDocument(input, plan, 'ingest');
};

/**
 * POST $import-ccda — a C-CDA R2.1 document (XML) converted to FHIR (best effort, src/documents/ccda/) and
 * filed like a FHIR document: the original XML kept as the Binary, what could not be converted a warning.
 */
export const ccdaImport: Handler = async (input) => {
  const body = input.request.body;
  if (!(body instanceof XmlBody)) {
    throw new FhirError('unsupported-media-type', '$import-ccda takes the C-CDA document itself as XML (Content-Type application/xml or text/xml)');
  }
  const conversion = planned(() => convertCcda(body.text));
  const plan = planned(() => planDocument(conversion.bundle, {
    now: input.ctx.clock().toISOString(), original: { contentType: CDA_CONTENT_TYPE, bytes: body.bytes }, warnings: conversion.warnings,
    // Sample documents reuse one ClinicalDocument.id across document types; the type tells them apart.
    identity: conversion.documentType,
  }));
  return fileDocument(input, plan, 'import-ccda');
};
