import type { BundleEntry, BundleEntryRequest, Resource } from '@medplum/fhirtypes';
import { errors, FhirError } from '../outcomes.js';
import type { FhirRequest } from '../router/types.js';
import type { WriteOp } from '../write/operations.js';
import { bodyResource } from './respond.js';
import { parseJsonNumbers } from '../written-numbers.js';

/** Bundle entries as requests and writes (pure): shared by batch/transaction and by the importer. */

/** R4 transaction processing order: deletes, then creates, then updates and patches, then reads. */
export const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/** Each entry as a transport-free request; a malformed entry is an error value, kept for its response slot. */
export function entryRequest(entry: BundleEntry, index: number, outer: FhirRequest): FhirRequest | FhirError {
  const req = entry.request as BundleEntryRequest | undefined;
  if (!req?.method || !req.url) return errors.invalid(`Bundle.entry[${index}] needs request.method and request.url`);
  const method = req.method.toUpperCase();
  if (!(method in ORDER)) return errors.invalid(`Bundle.entry[${index}].request.method "${req.method}" is not supported`);
  const relative = req.url.replace(/^https?:\/\/[^/]+(\/[^?]*)?\/fhir\//, '').replace(/^\//, '');
  const [path, query = ''] = relative.split('?', 2) as [string, string?];
  let body: unknown = entry.resource;
  if (method === 'PATCH') {
    const binary = entry.resource as { resourceType?: string; contentType?: string; data?: string } | undefined;
    if (binary?.resourceType !== 'Binary' || !binary.data) {
      return errors.invalid(`Bundle.entry[${index}]: PATCH entries carry a Binary with a base64 JSON Patch`);
    }
    try {
      body = parseJsonNumbers(Buffer.from(binary.data, 'base64').toString('utf8'));
    } catch {
      return errors.invalid(`Bundle.entry[${index}]: the Binary does not hold a JSON Patch document`);
    }
  }
  return {
    method,
    path,
    query: new URLSearchParams(query),
    body,
    // Each entry is asked by the same requester (and audited as its own interaction).
    ...(outer.access ? { access: outer.access } : {}),
    headers: {
      ...(req.ifMatch ? { ifMatch: req.ifMatch } : {}),
      ...(req.ifNoneMatch ? { ifNoneMatch: req.ifNoneMatch } : {}),
      ...(req.ifNoneExist ? { ifNoneExist: req.ifNoneExist } : {}),
      ...(req.ifModifiedSince ? { ifModifiedSince: req.ifModifiedSince } : {}),
      ...(outer.headers.prefer ? { prefer: outer.headers.prefer } : {}),
      ...(method === 'PATCH' ? { contentType: 'application/json-patch+json' } : { contentType: 'application/fhir+json' }),
    },
  };
}

/**
 * The write a Bundle entry asks for (undefined for a read), exactly as a transaction would plan it.
 * Used by the importer too, so files and the API share one interpretation of entries.
 */
export function planEntryWrite(entry: BundleEntry, index: number): WriteOp | undefined {
  const request = entryRequest(entry, index, { method: 'POST', path: '', query: new URLSearchParams(), headers: {} });
  if (request instanceof FhirError) throw request;
  try {
    return entryWrite(request, entry);
  } catch (error) {
    throw error instanceof FhirError ? error.atEntry(index) : error;
  }
}

/** The write an entry asks for, or undefined for a read. */
export function entryWrite(request: FhirRequest, entry: BundleEntry): WriteOp | undefined {
  const segments = request.path.split('/').filter(Boolean);
  const [type, id, ...rest] = segments as [string, string?, ...string[]];
  const hasQuery = [...request.query.keys()].length > 0;
  const fullUrl = entry.fullUrl;
  const { ifMatch, ifNoneExist } = request.headers;
  const pre = { ...(ifMatch ? { ifMatch } : {}), ...(fullUrl ? { fullUrl } : {}) };
  if (request.method === 'GET' || request.method === 'HEAD') return undefined;
  if (!type || rest.length > 0 || (request.method === 'POST' && id)) {
    throw errors.invalid(`${request.method} ${request.path} is not a write a transaction entry can make`);
  }
  const resource = (): Resource => {
    const r = bodyResource(request);
    if (r.resourceType !== type) throw errors.invalid(`The entry's resource is a ${r.resourceType}, but its URL is for ${type}`);
    return r;
  };
  switch (request.method) {
    case 'POST':
      return { kind: 'create', resource: resource(), ...(ifNoneExist ? { ifNoneExist } : {}), ...(fullUrl ? { fullUrl } : {}) };
    case 'PUT':
      if (id) {
        const r = resource();
        if (r.id !== undefined && r.id !== id) throw errors.invalid(`The resource id "${r.id}" differs from the URL's id "${id}"`);
        return { kind: 'update', resourceType: type, id, resource: r, ...pre };
      }
      if (!hasQuery) throw errors.invalid('PUT needs an id or search criteria');
      return { kind: 'conditional-update', resourceType: type, criteria: request.query.toString(), resource: resource(), ...pre };
    case 'PATCH':
      if (!id) throw errors.invalid('PATCH entries need an id in their URL');
      return { kind: 'patch', resourceType: type, id, patch: request.body, ...pre };
    case 'DELETE':
      if (id) return { kind: 'delete', resourceType: type, id, ...(ifMatch ? { ifMatch } : {}) };
      if (!hasQuery) throw errors.invalid('DELETE needs an id or search criteria');
      return { kind: 'conditional-delete', resourceType: type, criteria: request.query.toString() };
    default:
      throw errors.invalid(`${request.method} is not supported in a transaction`);
  }
}

