import { searchBundleJson } from '../search/bundle.js';
import { executeSearch } from '../search/execute.js';
import { parseSearch } from '../search/parse/request.js';
import { compartmentCondition } from '../search/compartment.js';
import { errors } from '../outcomes.js';
import type { FhirRequest, Handler } from '../router/types.js';
import type { Visibility } from '../../storage/sql/visibility.js';
import type { LinkedPatients } from '../search/terminology.js';
import type { FhirContext } from '../context.js';
import type { Queryable } from '../../storage/database.js';
import { linkedPatientIds } from '../../mpi/store/link-store.js';
import { traceRows } from '../../audit/trail.js';
import { personWideCondition, personWidePlan, type PersonOf } from '../search/person-wide.js';
import type { SearchPlan } from '../search/model.js';
import { personOfRecord } from '../../access/person-scope.js';
import { checkConsentDataSearch } from '../access.js';

/** GET [type]?…, POST [type]/_search (form), and compartment search GET Patient/[id]/[type]?… */
export const search: Handler = async ({ request, ctx, reader, params }) => {
  const type = params.type as string;
  const query = searchParameters(request);
  const plan = parseSearch(type, query.entries(), { baseUrl: ctx.fhirBaseUrl, lenient: preferLenient(request) });
  const outcome = await executeSearch(reader, personWide(request, plan), { now: ctx.clock(), ...visibilityOf(request), ...mpiLinks(ctx, reader) });
  traceRows(request.audit, outcome.matches, outcome.included);
  return { status: 200, body: searchBundleJson({ fhirBaseUrl: ctx.fhirBaseUrl, path: type, query }, plan, outcome) };
};

export const compartmentSearch: Handler = async ({ request, ctx, reader, params }) => {
  const id = params.id as string;
  const type = params.compartmentType as string;
  if (params.type !== 'Patient') throw errors.notFound(`Carnet searches the Patient compartment only (not ${params.type as string})`);
  const personOf = personOfRequest(request);
  const compartment = compartmentCondition(id, type);
  const scope = personOf ? personWideCondition(compartment, personOf) : compartment;
  const query = searchParameters(request);
  const plan = parseSearch(type, query.entries(), { baseUrl: ctx.fhirBaseUrl, lenient: preferLenient(request) });
  const outcome = await executeSearch(reader, personWide(request, plan), { now: ctx.clock(), scope: { extra: [scope] }, ...visibilityOf(request), ...mpiLinks(ctx, reader) });
  traceRows(request.audit, outcome.matches, outcome.included);
  return { status: 200, body: searchBundleJson({ fhirBaseUrl: ctx.fhirBaseUrl, path: `Patient/${id}/${type}`, query }, plan, outcome) };
};

/** The query string, plus the form body of a POST _search. */
export function searchParameters(request: FhirRequest): URLSearchParams {
  if (request.method !== 'POST') return request.query;
  const merged = new URLSearchParams(request.query);
  const body = request.body;
  if (typeof body === 'string') for (const [k, v] of new URLSearchParams(body)) merged.append(k, v);
  else if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      for (const item of Array.isArray(v) ? v : [v]) merged.append(k, String(item));
    }
  }
  return merged;
}

export function visibilityOf(request: FhirRequest): { visibility?: Visibility } {
  return request.visibility ? { visibility: request.visibility } : {};
}

/** With the master patient index on, `:mdm` expands a Patient to every source record of the same person. */
function mpiLinks(ctx: FhirContext, reader: Queryable): { linkedPatients?: LinkedPatients } {
  return ctx.mpi ? { linkedPatients: (id) => linkedPatientIds(reader, id) } : {};
}

/** For a patient or proxy (or a patient-context token): the records of the person a search names. */
function personOfRequest(request: FhirRequest): PersonOf | undefined {
  const principal = request.access?.principal;
  return principal?.persons ? (patientId) => personOfRecord(principal, patientId) : undefined;
}

function personWide(request: FhirRequest, plan: SearchPlan): SearchPlan {
  checkConsentDataSearch(request.access?.principal, plan);
  const personOf = personOfRequest(request);
  return personOf ? personWidePlan(plan, personOf) : plan;
}

/** `Prefer: handling=lenient` asks unknown parameters to be ignored rather than rejected. */
export function preferLenient(request: FhirRequest): boolean {
  return /(^|[;,\s])handling\s*=\s*lenient/i.test(request.headers.prefer ?? '');
}
