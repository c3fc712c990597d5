import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { withRetries, type Queryable } from '../../storage/database.js';
import type { FhirContext } from '../context.js';
import { adoptWritten, parseJsonNumbers } from '../written-numbers.js';
import { validateLargeBody } from '../validation/off-loop.js';
import { errorOfResponse, errorResponse, errors, FhirError, issue } from '../outcomes.js';
import type { Dispatch, FhirRequest, FhirResponse, Handler } from '../router/types.js';
import { executeWrites } from '../write/engine.js';
import type { WriteOp, WriteResult } from '../write/operations.js';
import { bodyResource, preferReturn, versionHeaders } from './respond.js';
import { entryRequest, entryWrite, ORDER } from './bundle-entries.js';
import { writeAccess } from '../access.js';
import { auditInTransaction } from '../../audit/fhir-audit.js';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK', 201: '201 Created', 204: '204 No Content', 304: '304 Not Modified', 400: '400 Bad Request',
  404: '404 Not Found', 405: '405 Method Not Allowed', 409: '409 Conflict', 410: '410 Gone', 412: '412 Precondition Failed',
  415: '415 Unsupported Media Type', 422: '422 Unprocessable Entity', 500: '500 Internal Server Error', 501: '501 Not Implemented',
};

/** POST [base] with a Bundle of type `batch` or `transaction`. */
export const batchOrTransaction: Handler = async ({ request, ctx, dispatch }) => {
  const bundle = bodyResource(request) as Bundle;
  if (bundle.resourceType !== 'Bundle') throw errors.invalid(`POST to the base accepts a Bundle, not a ${bundle.resourceType}`);
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw errors.invalid(`Bundle.type must be "batch" or "transaction" (got "${String(bundle.type)}")`);
  }
  const entries = bundle.entry ?? [];
  checkEntries(entries, ctx.maxBundleEntries ?? DEFAULT_MAX_BUNDLE_ENTRIES);
  const requests = entries.map((entry, index) => entryRequest(entry, index, request));
  const body = bundle.type === 'batch' ? await runBatch(dispatch, requests) : await runTransaction(ctx, dispatch, request, entries, requests);
  return { status: 200, body };
};

/**
 * The default of CARNET_MAX_BUNDLE_ENTRIES. Real senders stay well below it: a Synthea patient's whole
 * lifetime record is a transaction of a few hundred to a few thousand entries, and 10,000 entries of
 * ~1.5 KB is about what the 16 MB body limit lets through anyway.
 */
export const DEFAULT_MAX_BUNDLE_ENTRIES = 10_000;

/** Before any entry runs: the entry cap, and bdl-7 (fullUrl unique, unless the versions differ). */
function checkEntries(entries: BundleEntry[], max: number): void {
  if (entries.length > max) {
    const text = `A batch or transaction may hold at most ${max} entries (got ${entries.length}); split it`;
    throw new FhirError('invalid', text, [issue('error', 'too-costly', text, ['Bundle.entry'])]);
  }
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (typeof entry?.fullUrl !== 'string') return;
    const key = `${entry.fullUrl}|${entry.resource?.meta?.versionId ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw errors.invalid(`bdl-7: Bundle.entry[${index}] has the fullUrl of Bundle.entry[${first}] (${entry.fullUrl}); fullUrl must be unique in a Bundle`, [`Bundle.entry[${index}].fullUrl`]);
    }
    seen.set(key, index);
  });
}

function responseEntry(response: FhirResponse): BundleEntry {
  const headers = response.headers ?? {};
  const body = typeof response.body === 'string' ? (parseJsonNumbers(response.body) as Resource) : response.body;
  const isOutcome = body?.resourceType === 'OperationOutcome';
  return adoptWritten({
    ...(body && !isOutcome ? { resource: body } : {}),
    response: {
      status: STATUS_TEXT[response.status] ?? String(response.status),
      ...(headers.Location ? { location: headers.Location } : {}),
      ...(headers.ETag ? { etag: headers.ETag } : {}),
      // The resource's own lastUpdated keeps milliseconds that the HTTP date drops.
      ...(headers['Last-Modified'] ? { lastModified: body?.meta?.lastUpdated ?? new Date(headers['Last-Modified']).toISOString() } : {}),
      ...(isOutcome ? { outcome: body } : {}),
    },
  });
}

/** Batch: every entry on its own, with full interaction semantics; one failure does not affect the others. */
async function runBatch(dispatch: Dispatch, requests: (FhirRequest | FhirError)[]): Promise<Bundle> {
  const entry: BundleEntry[] = [];
  for (const request of requests) {
    if (request instanceof FhirError) {
      entry.push(responseEntry(errorResponse(request)));
    } else if (request.path === '' && request.method === 'POST') {
      entry.push(responseEntry(errorResponse(errors.invalid('A batch entry may not itself be a batch or transaction'))));
    } else {
      entry.push(responseEntry(await dispatch(request)));
    }
  }
  return adoptWritten({ resourceType: 'Bundle', type: 'batch-response', entry: adoptWritten(entry) });
}

/** Transaction: all entries succeed and commit together, or nothing is written and the first error is returned. */
async function runTransaction(ctx: FhirContext, dispatch: Dispatch, outer: FhirRequest, entries: BundleEntry[], requests: (FhirRequest | FhirError)[]): Promise<Bundle> {
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

  // A large Bundle's resources are validated off the event loop before the transaction opens, in processing
  // order (validation/off-loop.ts).
  const targets = writes.flatMap(({ index, op }) =>
    'resource' in op && op.resource === entries[index]?.resource ? [{ path: ['entry', index, 'resource'], resource: op.resource, entry: index }] : []);
  const large = await validateLargeBody(ctx.validation, outer.body, targets, ctx.fhirBaseUrl);
  const responses: FhirResponse[] = new Array(entries.length);
  await withRetries(ctx.db, async (tx: Queryable) => {
    const results = await executeWrites(tx, ctx, writes.map((w) => w.op), {
      transaction: true, entryIndexes: writes.map((w) => w.index), ...writeAccess(outer, ctx), ...large,
    });
    await auditInTransaction(tx, ctx, outer, { interaction: 'transaction', status: 200 });
    results.forEach((result, i) => {
      responses[(writes[i] as { index: number }).index] = transactionEntryResponse(ctx, outer, result);
    });
    for (const { index, request } of reads) {
      const response = await dispatch(request, tx);
      if (response.status >= 400) {
        throw errorOfResponse(response.status, response.body, `Bundle.entry[${index}]: the read failed`);
      }
      responses[index] = response;
    }
  });
  return adoptWritten({ resourceType: 'Bundle', type: 'transaction-response', entry: adoptWritten(responses.map(responseEntry)) });
}

function transactionEntryResponse(ctx: FhirContext, outer: FhirRequest, result: WriteResult): FhirResponse {
  const headers = versionHeaders(ctx, result);
  const representation = preferReturn(outer) === 'representation' && result.content;
  return { status: result.status, headers, ...(representation ? { body: result.content } : {}) };
}
