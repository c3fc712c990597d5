import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../storage/database.js';
import type { Principal } from '../../access/principal.js';
import type { FhirContext } from '../context.js';
import { fhirDefinitions } from '../definitions.js';
import { errorResponse, errors, FhirError, knownFailure } from '../outcomes.js';
import { ROUTES } from './routes.js';
import type { FhirRequest, FhirResponse, Route } from './types.js';
import { authorizeRoute, noteBreakGlass } from '../access.js';
import { interactionRecord } from '../../audit/fhir-audit.js';
import { AuditTrail } from '../../audit/trail.js';
import { maskConsents, maskConsentsText, masksConsents } from '../../consent/masking.js';

interface Match {
  readonly route: Route;
  readonly params: Record<string, string>;
}

function matchRoute(route: Route, segments: string[]): Record<string, string> | undefined {
  if (route.pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of route.pattern.entries()) {
    const segment = segments[i] as string;
    if (part.startsWith(':')) {
      // A literal segment such as `_history` or `$validate` is never an id or type.
      if (segment.startsWith('_') || segment.startsWith('$')) return undefined;
      params[part.slice(1)] = segment;
    } else if (part !== segment) return undefined;
  }
  return params;
}

const NUL_TEXT = 'The NUL character (%00) is in no type, id, parameter name or search value';

/** A path segment, percent-decoded; malformed encoding and NUL are a 400 (both reached the database as a 500). */
function decodeSegment(segment: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw errors.invalid(`The path segment "${segment.slice(0, 64)}" is not valid percent-encoding`);
  }
  if (decoded.includes('\u0000')) throw errors.invalid(NUL_TEXT);
  return decoded;
}

function findRoute(request: FhirRequest): Match {
  const segments = request.path.split('/').filter((s) => s.length > 0).map(decodeSegment);
  for (const [name, value] of request.query) {
    if (name.includes('\u0000') || value.includes('\u0000')) throw errors.invalid(NUL_TEXT);
  }
  const hasQuery = [...request.query.keys()].length > 0;
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  let pathMatched = false;
  for (const route of ROUTES) {
    const params = matchRoute(route, segments);
    if (!params) continue;
    if (route.onlyTypes && params.type !== undefined && !route.onlyTypes.includes(params.type)) continue;
    if (route.onlyCompartmentTypes && !route.onlyCompartmentTypes.includes(params.compartmentType ?? '')) continue;
    if (route.withQuery !== undefined && route.withQuery !== hasQuery) {
      pathMatched = true;
      continue;
    }
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  const type = segments[0];
  if (type && !type.startsWith('_') && !type.startsWith('$') && type !== 'metadata' && !fhirDefinitions().resourceTypes.has(type)) {
    throw errors.coded('unknown-type', `Unknown resource type "${type}"`);
  }
  if (pathMatched) throw errors.methodNotAllowed(`${request.method} is not allowed on /${request.path}`);
  throw errors.coded('no-route', `No FHIR interaction at /${request.path}`);
}

/**
 * The route of a request; a caller without a token learns nothing about which routes or types exist: only
 * the CapabilityStatement answers it, everything else, existing or not, is a 401.
 */
function findRouteFor(request: FhirRequest): Match {
  const anonymous = request.access !== undefined && request.access.principal === undefined;
  let match: Match;
  try {
    match = findRoute(request);
  } catch (error) {
    if (anonymous) throw errors.coded('token-required', 'This request needs an access token (Authorization: Bearer …)');
    throw error;
  }
  if (anonymous && match.params.type !== undefined && !fhirDefinitions().resourceTypes.has(match.params.type)) {
    throw errors.coded('token-required', 'This request needs an access token (Authorization: Bearer …)');
  }
  return match;
}

/** The answer as the requester may see it: Consents masked for professionals (consent/masking.ts). */
function masked(response: FhirResponse, principal: Principal | undefined): FhirResponse {
  if (response.body === undefined || !masksConsents(principal)) return response;
  const body = typeof response.body === 'string' ? maskConsentsText(response.body) : (maskConsents(response.body as unknown as Record<string, unknown>) as unknown as Resource);
  return body === response.body ? response : { ...response, body };
}

/**
 * The transport-free FHIR router: (request, context) → response. Every failure becomes an
 * OperationOutcome response here, so callers (HTTP, batch entries) never see exceptions from domain code.
 * For an external request (`request.access` set) the router asks the policy engine whether the route may
 * be used at all, hands the interaction the visibility searches apply, and records the AuditEvent — inside
 * the transaction when the interaction runs in one, durably before the answer otherwise.
 */
export async function handleFhirRequest(request: FhirRequest, ctx: FhirContext, reader: Queryable = ctx.db): Promise<FhirResponse> {
  const access = request.access;
  const trail = access ? new AuditTrail() : undefined;
  let matched: Match | undefined;
  let response: FhirResponse;
  let message: string | undefined;
  try {
    matched = findRouteFor(request);
    const { route, params } = matched;
    if (params.type !== undefined && !fhirDefinitions().resourceTypes.has(params.type)) {
      throw errors.coded('unknown-type', `Unknown resource type "${params.type}"`);
    }
    let input = request;
    if (access && trail) {
      // One person, one record: the token's patients become their whole persons, as the MPI links them now.
      const widened = access.principal && ctx.personScopes
        ? { ...access, principal: await ctx.personScopes.widen(access.principal, reader, reader === ctx.db) } : access;
      const visibility = authorizeRoute(widened, route, params, ctx.clock());
      input = { ...request, access: widened, audit: trail, ...(visibility && !request.visibility ? { visibility } : {}) };
    }
    const dispatch = (entry: FhirRequest, entryReader: Queryable = ctx.db): Promise<FhirResponse> => handleFhirRequest(entry, ctx, entryReader);
    response = masked(await route.handler({ request: input, ctx, reader, params, routes: ROUTES, dispatch }), access?.principal);
  } catch (error) {
    const known = knownFailure(error);
    if (!known) ctx.log.error({ err: error, method: request.method, path: request.path }, 'FHIR request failed with an internal error');
    else if (!(error instanceof FhirError)) ctx.log.warn({ code: known.code, method: request.method, path: request.path }, 'FHIR request cut by its statement timeout (or its client went away)');
    message = error instanceof Error ? error.message : undefined;
    response = errorResponse(error);
  }
  if (trail && matched && !trail.recorded && ctx.audit && matched.route.interaction !== 'capabilities' && access?.principal) {
    const { route, params } = matched;
    await noteBreakGlass(access.principal, trail, ctx, reader);
    const record = interactionRecord(ctx, request, trail, {
      interaction: route.interaction, status: response.status,
      ...(route.operation ? { operation: route.operation } : {}),
      ...(params.type ? { resourceType: params.compartmentType ?? params.type } : {}),
      ...(params.id && !params.compartmentType ? { id: params.id } : {}),
      ...(message ? { message } : {}),
    });
    try {
      if (reader === ctx.db) await ctx.audit.record(record);
      else await ctx.audit.insert(reader, [record]);
    } catch (error) {
      ctx.log.error({ err: error, method: request.method }, 'the audit record of a FHIR request could not be written');
      return errorResponse(new FhirError('internal', 'Internal server error'));
    }
  }
  return response;
}
