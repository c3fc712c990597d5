import type { Bundle, BundleEntry, BundleEntryRequest, Resource } from '@medplum/fhirtypes';
import { withRetries, type Queryable } from '../../storage/database.js';
import type { FhirContext } from '../context.js';
import { errors, FhirError } from '../outcomes.js';
import { handleFhirRequest } from '../router/router.js';
import type { FhirRequest, FhirResponse, Handler } from '../router/types.js';
import { executeWrites } from '../write/engine.js';
import type { WriteOp, WriteResult } from '../write/operations.js';
import { bodyResource, preferReturn, versionHeaders } from './respond.js';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK', 201: '201 Created', 204: '204 No Content', 304: '304 Not Modified', 400: '400 Bad Request',
  404: '404 Not Found', 405: '405 Method Not Allowed', 409: '409 Conflict', 410: '410 Gone', 412: '412 Precondition Failed',
  415: '415 Unsupported Media Type', 422: '422 Unprocessable Entity', 500: '500 Internal Server Error', 501: '501 Not Implemented',
};

/** R4 transaction processing order: deletes, then creates, then updates and patches, then reads. */
const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/** POST [base] with a Bundle of type `batch` or `transaction`. */
export const batchOrTransaction: Handler = async ({ request, ctx }) => {
  const bundle = bodyResource(request) as Bundle;
  if (bundle.resourceType !== 'Bundle') throw errors.invalid(`POST to the base accepts a Bundle, not a ${bundle.resourceType}`);
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw errors.invalid(`Bundle.type must be "batch" or "transaction" (got "${String(bundle.type)}")`);
  }
  const entries = bundle.entry ?? [];
  const requests = entries.map((entry, index) => entryRequest(entry, index, request));
  const body = bundle.type === 'batch' ? await runBatch(ctx, requests) : await runTransaction(ctx, request, entries, requests);
  return { status: 200, body };
};

/** Each entry as a transport-free request; a malformed entry is an error value, kept for its response slot. */
function entryRequest(entry: BundleEntry, index: number, outer: FhirRequest): FhirRequest | FhirError {
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
      body = JSON.parse(Buffer.from(binary.data, 'base64').toString('utf8'));
    } catch {
      return errors.invalid(`Bundle.entry[${index}]: the Binary does not hold a JSON Patch document`);
    }
  }
  return {
    method,
    path,
    query: new URLSearchParams(query),
    body,
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

function responseEntry(response: FhirResponse): BundleEntry {
  const headers = response.headers ?? {};
  const body = typeof response.body === 'string' ? (JSON.parse(response.body) as Resource) : response.body;
  const isOutcome = body?.resourceType === 'OperationOutcome';
  return {
    ...(body && !isOutcome ? { resource: body } : {}),
    response: {
      status: STATUS_TEXT[response.status] ?? String(response.status),
      ...(headers.Location ? { location: headers.Location } : {}),
      ...(headers.ETag ? { etag: headers.ETag } : {}),
      // The resource's own lastUpdated keeps milliseconds that the HTTP date drops.
      ...(headers['Last-Modified'] ? { lastModified: body?.meta?.lastUpdated ?? new Date(headers['Last-Modified']).toISOString() } : {}),
      ...(isOutcome ? { outcome: body } : {}),
    },
  };
}

/** Batch: every entry on its own, with full interaction semantics; one failure does not affect the others. */
async function runBatch(ctx: FhirContext, requests: (FhirRequest | FhirError)[]): Promise<Bundle> {
  const entry: BundleEntry[] = [];
  for (const request of requests) {
    if (request instanceof FhirError) {
      entry.push(responseEntry({ status: request.status, body: request.outcome }));
    } else if (request.path === '' && request.method === 'POST') {
      entry.push(responseEntry({ status: 400, body: errors.invalid('A batch entry may not itself be a batch or transaction').outcome }));
    } else {
      entry.push(responseEntry(await handleFhirRequest(request, ctx)));
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry };
}

/** The write an entry asks for, or undefined for a read. */
function entryWrite(request: FhirRequest, entry: BundleEntry): WriteOp | undefined {
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

/** Transaction: all entries succeed and commit together, or nothing is written and the first error is returned. */
async function runTransaction(ctx: FhirContext, outer: FhirRequest, entries: BundleEntry[], requests: (FhirRequest | FhirError)[]): Promise<Bundle> {
  const writes: { index: number; op: WriteOp }[] = [];
  const reads: { index: number; request: FhirRequest }[] = [];
  for (const [index, request] of requests.entries()) {
    if (request instanceof FhirError) throw request;
    let op: WriteOp | undefined;
    try {
      op = entryWrite(request, entries[index] as BundleEntry);
    } catch (error) {
      throw error instanceof FhirError ? error.atEntry(index) : error;
    }
    if (op) writes.push({ index, op });
    else reads.push({ index, request });
  }
  const rank = (w: { index: number }): number => ORDER[(requests[w.index] as FhirRequest).method] ?? 0;
  writes.sort((a, b) => rank(a) - rank(b) || a.index - b.index);

  const responses: FhirResponse[] = new Array(entries.length);
  await withRetries(ctx.db, async (tx: Queryable) => {
    const results = await executeWrites(tx, ctx, writes.map((w) => w.op), { transaction: true, entryIndexes: writes.map((w) => w.index) });
    results.forEach((result, i) => {
      responses[(writes[i] as { index: number }).index] = transactionEntryResponse(ctx, outer, result);
    });
    for (const { index, request } of reads) {
      const response = await handleFhirRequest(request, ctx, tx);
      if (response.status >= 400) {
        const outcome = response.body as { issue?: [] } | undefined;
        throw new FhirError(response.status === 404 ? 'not-found' : 'invalid', `Bundle.entry[${index}]: the read failed`, outcome?.issue ?? []);
      }
      responses[index] = response;
    }
  });
  return { resourceType: 'Bundle', type: 'transaction-response', entry: responses.map(responseEntry) };
}

function transactionEntryResponse(ctx: FhirContext, outer: FhirRequest, result: WriteResult): FhirResponse {
  const headers = versionHeaders(ctx, result);
  const representation = preferReturn(outer) === 'representation' && result.content;
  return { status: result.status, headers, ...(representation ? { body: result.content } : {}) };
}
