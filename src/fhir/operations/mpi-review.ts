import type { ParametersParameter } from '@medplum/fhirtypes';
import { COMPARATORS } from '../../mpi/comparators.js';
import { compiledModel } from '../../mpi/service/config.js';
import { probabilityOf, scorePair } from '../../mpi/model.js';
import type { MatchRecord } from '../../mpi/record.js';
import { confirmCandidate, rejectCandidate } from '../../mpi/service/links.js';
import { readRecord } from '../../mpi/store/link-store.js';
import { countCandidates, listCandidates, type Candidate, type CandidateStatus } from '../../mpi/store/review-queue.js';
import { withRetries, type Queryable } from '../../storage/database.js';
import { errors, informational } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { mpiOf, deciderOf } from './mpi-context.js';
import type { MpiConfig } from '../../mpi/service/config.js';
import { OperationInput, parameters, referencedId } from './parameters.js';

/**
 * The review queue for administrators:
 * - GET  [base]/$mpi-review?status=open&_count=20&after=<id>&patient=<id>  candidates with a field-by-field
 *   comparison (the normalised values of both records, the comparison level and its weight in bits);
 * - POST [base]/$mpi-review  `candidate`, `decision` (confirm | reject), `actor`, `reason`.
 */
const STATUSES = new Set<CandidateStatus>(['open', 'confirmed', 'rejected', 'obsolete']);

function display(record: MatchRecord | undefined, field: string): string | undefined {
  if (!record) return undefined;
  const value = (record as unknown as Record<string, unknown>)[field];
  if (value === undefined) return undefined;
  if (field === 'family') return (value as string[][]).map((t) => t.join(' ')).join(' / ');
  if (Array.isArray(value)) return value.join(' ');
  return String(value);
}

async function candidateParameter(reader: Queryable, config: MpiConfig, c: Candidate): Promise<ParametersParameter> {
  const incoming = (await readRecord(reader, c.patientId))?.features;
  const existing = (await readRecord(reader, c.candidatePatientId))?.features;
  const compiled = compiledModel(config);
  // Compared again with the model in force (the stored levels are those of the model that queued the
  // candidate, which a model change or `carnet mpi relink` may have replaced).
  const levels = incoming && existing ? scorePair(compiled, incoming, existing).levels
    : ((c.comparison as { levels?: (number | null)[] }).levels ?? []);
  const fields: ParametersParameter[] = config.model.fields.map((f, i) => {
    const level = levels[i];
    const a = display(incoming, f.field);
    const b = display(existing, f.field);
    return {
      name: 'field',
      part: [
        { name: 'name', valueCode: f.field },
        ...(a !== undefined ? [{ name: 'incoming', valueString: a }] : []),
        ...(b !== undefined ? [{ name: 'candidate', valueString: b }] : []),
        ...(level === null || level === undefined
          ? [{ name: 'level', valueString: 'missing' }]
          : [
              { name: 'level', valueString: COMPARATORS[f.field].levels[level] ?? String(level) },
              { name: 'weight', valueDecimal: Math.round(((compiled.weights[i] as number[])[level] as number) * 100) / 100 },
            ]),
      ],
    };
  });
  return {
    name: 'candidate',
    part: [
      { name: 'id', valueString: String(c.id) },
      { name: 'status', valueCode: c.status },
      { name: 'patient', valueReference: { reference: `Patient/${c.patientId}` } },
      { name: 'person', valueReference: { reference: `Person/${c.personId}` } },
      { name: 'candidatePatient', valueReference: { reference: `Patient/${c.candidatePatientId}` } },
      { name: 'weight', valueDecimal: Math.round(c.weight * 100) / 100 },
      { name: 'score', valueDecimal: Math.round(probabilityOf(config.model, c.weight) * 10000) / 10000 },
      ...(c.guard ? [{ name: 'guard', valueCode: c.guard }] : []),
      { name: 'created', valueInstant: c.createdAt },
      ...(c.decidedBy ? [{ name: 'decidedBy', valueString: c.decidedBy }] : []),
      ...(c.reason ? [{ name: 'reason', valueString: c.reason }] : []),
      ...fields,
    ],
  };
}

export const mpiReviewList: Handler = async ({ request, ctx, reader }) => {
  const config = mpiOf(ctx);
  const input = OperationInput.of(request);
  const status = (input.string('status') ?? 'open') as CandidateStatus;
  if (!STATUSES.has(status)) throw errors.invalid(`"status" must be one of ${[...STATUSES].join(', ')}`);
  const limit = input.integer('_count', 1, 200) ?? 20;
  const after = input.integer('after', 0, Number.MAX_SAFE_INTEGER);
  const patientId = input.string('patient')?.replace(/^Patient\//, '');
  const candidates = await listCandidates(reader, { status, limit, ...(after !== undefined ? { afterId: after } : {}), ...(patientId ? { patientId } : {}) });
  const items = [];
  for (const c of candidates) items.push(await candidateParameter(reader, config, c));
  return {
    status: 200,
    body: parameters([{ name: 'total', valueInteger: await countCandidates(reader, status) }, ...items]),
  };
};

export const mpiReviewDecide: Handler = async ({ request, ctx }) => {
  const config = mpiOf(ctx);
  const input = OperationInput.of(request);
  const id = Number(input.requiredString('candidate'));
  if (!Number.isInteger(id) || id < 1) throw errors.invalid('"candidate" must be the id of a review candidate');
  const decision = input.requiredString('decision');
  const actor = deciderOf(request, input);
  const reason = input.string('reason');
  const who = { id, actor, ...(reason ? { reason } : {}) };
  if (decision === 'confirm') {
    const result = await withRetries(ctx.db, (tx) => confirmCandidate(tx, ctx, config, who));
    return { status: 200, body: parameters([{ name: 'outcome', resource: informational(`Candidate ${id} confirmed`) }, { name: 'person', valueReference: { reference: `Person/${result.after}` } }]) };
  }
  if (decision === 'reject') {
    await withRetries(ctx.db, (tx) => rejectCandidate(tx, ctx, config, who));
    return { status: 200, body: parameters([{ name: 'outcome', resource: informational(`Candidate ${id} rejected: the records are different persons`) }]) };
  }
  throw errors.invalid('"decision" must be "confirm" or "reject"');
};

