import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../context.js';
import { errors, informational } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../router/types.js';
import type { WriteResult } from '../write/operations.js';
import { etag } from '../write/versioning.js';

/** Shared response shaping for interactions: headers, Prefer handling, body checks. */

export function versionHeaders(ctx: FhirContext, r: { resourceType: string; id: string; versionId?: number; lastUpdated?: string }): Record<string, string> {
  if (r.versionId === undefined) return {};
  return {
    ETag: etag(r.versionId),
    ...(r.lastUpdated ? { 'Last-Modified': new Date(r.lastUpdated).toUTCString() } : {}),
    Location: `${ctx.fhirBaseUrl}/${r.resourceType}/${r.id}/_history/${r.versionId}`,
  };
}

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export function preferReturn(request: FhirRequest): PreferReturn {
  const match = /return=(minimal|representation|OperationOutcome)/.exec(request.headers.prefer ?? '');
  return (match?.[1] as PreferReturn | undefined) ?? 'representation';
}

const OUTCOME_TEXT: Record<WriteResult['outcome'], string> = {
  created: 'Created',
  updated: 'Updated',
  unchanged: 'Unchanged: the content is identical to the current version, so no new version was made',
  deleted: 'Deleted',
  'already-absent': 'Nothing to delete: the resource does not exist or is already deleted',
  'matched-existing': 'Not created: a matching resource already exists (If-None-Exist)',
};

export function writeResponse(ctx: FhirContext, request: FhirRequest, result: WriteResult): FhirResponse {
  const headers = versionHeaders(ctx, result);
  if (result.status === 204) return { status: 204, headers };
  const text = `${OUTCOME_TEXT[result.outcome]}: ${result.resourceType}/${result.id}`;
  switch (preferReturn(request)) {
    case 'minimal':
      return { status: result.status, headers };
    case 'OperationOutcome':
      return { status: result.status, headers, body: informational(text) };
    default:
      return { status: result.status, headers, ...(result.content ? { body: result.content } : {}) };
  }
}

/** The request body as a resource object, or a clear 400. */
export function bodyResource(request: FhirRequest): Resource {
  const body = request.body;
  if (body === undefined || body === null || body === '') throw errors.coded('missing-body', 'The request has no body; a FHIR resource is expected');
  if (typeof body !== 'object' || Array.isArray(body)) throw errors.invalid('The body must be a JSON object (a FHIR resource)');
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (typeof resourceType !== 'string') throw errors.invalid('The body has no resourceType');
  return body as Resource;
}

export function bodyOfType(request: FhirRequest, resourceType: string): Resource {
  const resource = bodyResource(request);
  if (resource.resourceType !== resourceType) {
    throw errors.invalid(`The body is a ${resource.resourceType} but the URL is for ${resourceType}`);
  }
  return resource;
}
