import type { Principal } from '../../access/principal.js';
import { formatScopes } from '../../access/scopes.js';
import { readVisibility } from '../../consent/visibility-sql.js';
import { PURPOSE } from '../../consent/rules.js';
import { visibleCurrent } from '../../storage/resource-store.js';
import { errorResponse, errors, FhirError, informational } from '../outcomes.js';
import { parseSearch } from '../search/parse/request.js';
import type { FhirResponse, Handler, HandlerInput } from '../router/types.js';
import { lenientOf, parseKickOff, type ExportLevel } from '../../research/export/params.js';
import { exportableTypes } from '../../research/export/scan.js';
import { manifestOf, progressOf } from '../../research/export/manifest.js';
import { activeExports, insertExport, markCancelled, readExport, readFiles, setExportJob, type StoredPrincipal } from '../../research/export/store.js';
import { removeExportFiles } from '../../research/export/runner.js';
import { EXPORT_JOB } from '../../research/export/jobs.js';
import { PROFILE_NAMES } from '../../research/deid/profiles.js';
import { boundedByProject, exportRefusal, ProjectError } from '../../research/projects/rules.js';
import { readProject } from '../../research/projects/store.js';
import type { ExportParams } from '../../research/export/params.js';
import { filterSearches, memberFilters } from '../../research/export/cohort.js';
import { currentContent } from '../../storage/resource-store.js';

/**
 * FHIR Bulk Data Access 2.0: `$export` at the system, Patient and Group levels (kick-off), the status
 * endpoint the kick-off names (poll, manifest, cancel). The export itself is a durable job
 * (research/export/jobs.ts); files are downloaded from /bulk-files (http/bulk-files-plugin.ts).
 */
export { BULK_EXPORT } from '../../research/export/definitions.js';

/** How soon a client should ask again while an export runs, and after a 429. */
const POLL_SECONDS = 2;
const BUSY_SECONDS = 30;

function requester(input: HandlerInput): Principal {
  const principal = input.request.access?.principal;
  if (!principal) throw errors.forbidden('A bulk export needs a SMART Backend Services client');
  return principal;
}

function stored(principal: Principal): StoredPrincipal {
  return {
    clientId: principal.clientId, role: principal.role, ...(principal.organization ? { organization: principal.organization } : {}),
    scope: formatScopes(principal.scopes), platform: principal.platform, ...(principal.project ? { project: principal.project } : {}),
  };
}

/**
 * A project client's export, bounded by its project: approved and not expired, its cohort (at any level),
 * its types and its profile. Refused (403) otherwise, before anything is stored.
 */
async function withinProject(input: HandlerInput, projectId: string, params: ExportParams, now: Date): Promise<ExportParams> {
  const project = await readProject(input.reader, projectId);
  const refusal = exportRefusal(project, now);
  if (refusal || !project) throw errors.coded('project-inactive', refusal ?? 'no project');
  try {
    const bounded = boundedByProject(project, params);
    return { ...params, level: 'group', groupId: bounded.groupId, types: bounded.types, profile: bounded.profile };
  } catch (error) {
    if (error instanceof ProjectError) throw errors.coded('outside-project', error.message);
    throw error;
  }
}

async function groupVisible(input: HandlerInput, principal: Principal, id: string): Promise<boolean> {
  return (await visibleCurrent(input.reader, 'Group', [id], readVisibility(principal, input.ctx.clock(), 'r'))).length > 0;
}

/**
 * The `_typeFilter` queries Carnet can run: each is parsed now (400 for a search Carnet does not support).
 * Under `Prefer: handling=lenient` a type with an unsupported query is exported unfiltered instead — a superset
 * of what was asked, never less (its queries are ORed) — and the manifest's error file says so.
 */
function supportedFilters(params: ExportParams, lenient: boolean, baseUrl: string): ExportParams {
  const kept: Record<string, readonly string[]> = {};
  const ignored = [...params.ignored];
  for (const [type, queries] of Object.entries(params.typeFilters)) {
    const failure = queries.map((query) => {
      try {
        parseSearch(type, new URLSearchParams(query), { baseUrl });
        return undefined;
      } catch (error) {
        if (!lenient || !(error instanceof FhirError)) throw error;
        return `_typeFilter ${type}?${query}: ${error.message}; every ${type} is exported unfiltered`;
      }
    }).find(Boolean);
    if (failure) ignored.push(failure);
    else kept[type] = queries;
  }
  return { ...params, typeFilters: kept, ignored };
}

function statusUrl(input: HandlerInput, id: string): string {
  return `${input.ctx.fhirBaseUrl}/$export-poll-status/${id}`;
}

function kickOff(level: ExportLevel): Handler {
  return async (input): Promise<FhirResponse> => {
    const { request, ctx } = input;
    const research = ctx.research;
    const jobs = ctx.jobs;
    if (!research || !jobs) throw errors.notSupported('Bulk export is not configured on this server');
    const principal = requester(input);
    // Bulk Data 2.0: the kick-off's Accept names the format of its OperationOutcome, and "only application/fhir+json is
    // supported"; a server may refuse a kick-off without it (as one without Prefer: respond-async). Carnet does both.
    const accept = request.headers.accept?.trim();
    if (!accept) throw errors.invalid('A bulk export kick-off needs "Accept: application/fhir+json"');
    if (!/application\/(fhir\+json|json\+fhir)/i.test(accept)) throw new FhirError('not-acceptable', `A bulk export kick-off answers in application/fhir+json only (Accept: ${accept})`);
    const now = ctx.clock();
    const groupId = level === 'group' ? input.params.id : undefined;
    const asked = parseKickOff({
      method: request.method, level, ...(groupId ? { groupId } : {}), query: request.query, body: request.body,
      ...(request.headers.prefer ? { prefer: request.headers.prefer } : {}), now, profiles: PROFILE_NAMES,
    });
    const supported = supportedFilters(asked, lenientOf(request.headers.prefer), ctx.fhirBaseUrl);
    const params = principal.project ? await withinProject(input, principal.project, supported, now) : supported;
    const allowed = new Set(exportableTypes(principal));
    if (allowed.size === 0) throw errors.forbidden('No granted system/ scope allows reading any type');
    const refused = (params.types ?? []).filter((t) => !allowed.has(t));
    if (refused.length > 0) throw errors.forbidden(`No granted scope allows reading ${refused.join(', ')}`);
    for (const type of Object.keys(params.typeFilters)) {
      if (!allowed.has(type)) throw errors.forbidden(`No granted scope allows reading ${type} (_typeFilter)`);
    }
    // A project's cohort was approved by a privacy officer: its client need not read the Group itself.
    if (groupId && !principal.project && !(await groupVisible(input, principal, groupId))) throw errors.notFound(`Group/${groupId} does not exist`);
    const cohort = params.groupId ? await currentContent(input.reader, 'Group', params.groupId) : undefined;
    // A cohort's member filters are checked now (400 for one that is not a search Carnet supports), run by the job.
    if (cohort) filterSearches(memberFilters(JSON.parse(cohort) as Parameters<typeof memberFilters>[0]), ctx.fhirBaseUrl);
    const id = ctx.newId();
    const query = request.query.toString();
    const requestUrl = `${ctx.fhirBaseUrl}/${request.path}${query ? `?${query}` : ''}`;
    const busy = await ctx.db.transaction(async (tx) => {
      // One client's kick-offs take turns, so two at once cannot both pass the limit.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`export:${principal.clientId}`]);
      if ((await activeExports(tx, principal.clientId)) >= research.maxPerClient) return true;
      await insertExport(tx, { id, principal: stored(principal), params, requestUrl, transactionTime: now });
      const job = await jobs.enqueue(tx, { kind: EXPORT_JOB, key: id, payload: { exportId: id } });
      await setExportJob(tx, id, job.id);
      return false;
    });
    if (busy) {
      const failure = new FhirError('export-busy', `This client already has ${research.maxPerClient} bulk exports queued or running; try again later or cancel one`);
      return { ...errorResponse(failure), headers: { 'retry-after': String(BUSY_SECONDS) } };
    }
    request.audit?.entity(`urn:carnet:export:${id}`);
    if (principal.project) request.audit?.entity(`urn:carnet:project:${principal.project}`);
    request.audit?.decision(`bulk export ${level}${params.profile ? ` (${params.profile})` : ''} of ${params.types?.join(',') ?? 'every permitted type'}`, params.profile ? PURPOSE.research : undefined);
    return { status: 202, headers: { 'content-location': statusUrl(input, id) }, body: informational(`Export ${id} accepted: poll ${statusUrl(input, id)}`) };
  };
}

export const exportSystem = kickOff('system');
export const exportPatients = kickOff('patient');
export const exportGroup = kickOff('group');

/** The export a status request names, if it is the requester's (another client's is as absent). */
async function ownExport(input: HandlerInput) {
  const principal = requester(input);
  const row = await readExport(input.reader, input.params.id as string);
  if (!row || row.clientId !== principal.clientId || row.status === 'cancelled') throw errors.notFound(`No bulk export ${input.params.id}`);
  input.request.audit?.entity(`urn:carnet:export:${row.id}`);
  return row;
}

export const exportStatus: Handler = async (input): Promise<FhirResponse> => {
  const row = await ownExport(input);
  if (row.status === 'failed') return errorResponse(new FhirError('internal', `The export failed: ${row.error ?? 'see the server log'}`));
  if (row.status !== 'completed') {
    const job = row.jobId !== null && input.ctx.jobs ? await input.ctx.jobs.get(row.jobId) : undefined;
    if (job?.state === 'dead') return errorResponse(new FhirError('internal', 'The export failed after its last attempt; see the server log'));
    return { status: 202, headers: { 'x-progress': progressOf(row), 'retry-after': String(POLL_SECONDS) } };
  }
  const files = await readFiles(input.reader, row.id);
  const manifest = manifestOf(row, files, input.ctx.fhirBaseUrl.replace(/\/fhir$/, ''));
  return {
    status: 200, body: JSON.stringify(manifest),
    headers: { 'content-type': 'application/json; charset=utf-8', ...(row.expiresAt ? { expires: new Date(row.expiresAt).toUTCString() } : {}) },
  };
};

export const exportCancel: Handler = async (input): Promise<FhirResponse> => {
  const row = await ownExport(input);
  const { ctx } = input;
  await markCancelled(ctx.db, row.id, ctx.clock());
  if (row.jobId !== null && row.status !== 'completed' && row.status !== 'failed') await ctx.jobs?.cancel(row.jobId);
  if (ctx.research) await removeExportFiles(ctx.research, row.id);
  return { status: 202, body: informational(`Export ${row.id} cancelled; its files are deleted`) };
};
