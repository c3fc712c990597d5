import type { Bundle, BundleEntry, Patient } from '@medplum/fhirtypes';
import { decide } from '../../mpi/decision.js';
import { probabilityOf } from '../../mpi/model.js';
import { featuresOf, scoreCandidates } from '../../mpi/service/matcher.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { visibleCurrent } from '../../storage/resource-store.js';
import { assertValid } from '../validation.js';
import { mpiOf } from './mpi-context.js';
import { OperationInput } from './parameters.js';

const MATCH_GRADE = 'http://hl7.org/fhir/StructureDefinition/match-grade';

type Grade = 'certain' | 'probable' | 'possible';

/**
 * POST Patient/$match (R4): scores the given Patient against the master patient index with the same
 * blocking, comparators and decision rules as automatic linking. A record is graded `certain` only when
 * the matcher would link to its Person automatically; `probable` between the thresholds; `possible` a
 * little below. Answers a `searchset` Bundle, best first, with `search.score` (0–1) and `match-grade`.
 */
export const patientMatch: Handler = async ({ request, ctx, reader }) => {
  const config = mpiOf(ctx);
  const input = OperationInput.of(request);
  const resource = input.resource('resource');
  if (!resource) throw errors.invalid('$match needs a Patient in the "resource" parameter');
  if (resource.resourceType !== 'Patient') throw errors.invalid(`$match takes a Patient, not a ${resource.resourceType}`);
  assertValid({ ...resource, id: resource.id ?? 'match-input' });
  const onlyCertain = input.boolean('onlyCertainMatches') ?? false;
  const count = input.integer('count', 1, 100) ?? 10;

  const record = { ...featuresOf(config, resource as Patient), id: resource.id ?? '' };
  const { scored } = await scoreCandidates(reader, config, record, resource.id ?? null, true);
  const decision = decide(record, scored, config.model, { sameSourceGuard: false, maxReview: count });
  const { upper, lower } = config.model;
  const possibleFloor = lower - 4;
  const gradeOf = (personId: string, weight: number): Grade | undefined => {
    if (decision.kind === 'link' && decision.personId === personId && weight >= upper) return 'certain';
    if (weight >= lower) return 'probable';
    if (weight >= possibleFloor) return 'possible';
    return undefined;
  };
  const graded = scored
    .map((s) => ({ s, grade: gradeOf(s.personId, s.score.weight) }))
    .filter((g): g is { s: typeof g.s; grade: Grade } => g.grade !== undefined && (!onlyCertain || g.grade === 'certain'))
    .sort((a, b) => b.s.score.weight - a.s.score.weight || a.s.record.id.localeCompare(b.s.record.id))
    .slice(0, count);

  const ids = graded.map((g) => g.s.record.id);
  // Candidates the requester may not see (consent, access) are not answered: a match must not reveal them.
  const rows = await visibleCurrent(reader, 'Patient', ids, request.visibility);
  const contents = new Map(rows.map((r) => [r.id, JSON.parse(r.content as string) as Patient]));
  const entry: BundleEntry[] = [];
  for (const { s, grade } of graded) {
    const patient = contents.get(s.record.id);
    if (!patient) continue;
    entry.push({
      fullUrl: `${ctx.fhirBaseUrl}/Patient/${patient.id}`,
      resource: patient,
      search: {
        mode: 'match',
        score: Math.round(probabilityOf(config.model, s.score.weight) * 10000) / 10000,
        extension: [{ url: MATCH_GRADE, valueCode: grade }],
      },
    });
  }
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry };
  return { status: 200, body: bundle };
};
