import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import { readHistory, type HistoryQuery } from '../../storage/resource-store.js';
import { errors } from '../outcomes.js';
import { adoptWritten, parseJsonNumbers } from '../written-numbers.js';
import { decodeCursor, encodeCursor, pageLink, pageSize } from '../paging.js';
import type { Handler, HandlerInput } from '../router/types.js';
import { parseHistoryInstant, partialDateRange } from './dates.js';
import { traceRows } from '../../audit/trail.js';

const HISTORY_PARAMS = new Set(['_count', '_since', '_at', '_cursor', '_format', '_pretty']);

const METHOD_STATUS: Record<string, string> = { POST: '201 Created', PUT: '200 OK', PATCH: '200 OK', DELETE: '204 No Content' };

/** History of an instance, a type or the whole server, newest first, paged with a keyset cursor. */
async function history({ request, ctx, reader, params }: HandlerInput): Promise<Bundle> {
  const { type, id } = params;
  for (const name of request.query.keys()) {
    if (!HISTORY_PARAMS.has(name)) throw errors.invalid(`History does not support the parameter "${name}"`);
  }
  const limit = pageSize(request.query);
  const since = request.query.get('_since');
  const at = request.query.get('_at');
  const cursor = decodeCursor(request.query.get('_cursor'));
  const query: HistoryQuery = {
    ...(type ? { resourceType: type } : {}),
    ...(id ? { id } : {}),
    ...(since ? { since: parseHistoryInstant(since, '_since') } : {}),
    ...(at ? { at: partialDateRange(at, '_at') } : {}),
    ...(cursor ? { beforeSeq: Number(cursor) } : {}),
    ...(request.visibility ? { visibility: request.visibility } : {}),
    limit: limit + 1,
  };
  const rows = limit === 0 ? [] : await readHistory(reader, query);
  const page = rows.slice(0, limit);
  traceRows(request.audit, page);
  const self = `${ctx.fhirBaseUrl}/${[type, id, '_history'].filter(Boolean).join('/')}`;
  const link: BundleLink[] = [{ relation: 'self', url: pageLink(self, request.query, {}) }];
  const last = page[page.length - 1];
  if (rows.length > limit && last) {
    link.push({ relation: 'next', url: pageLink(self, request.query, { _cursor: encodeCursor(String(last.seq)) }) });
  }
  const entry: BundleEntry[] = page.map((row) => adoptWritten({
    fullUrl: `${ctx.fhirBaseUrl}/${row.resourceType}/${row.id}`,
    ...(row.content ? { resource: parseJsonNumbers(row.content) as Resource } : {}),
    request: {
      method: row.method as 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      url: row.method === 'POST' ? row.resourceType : `${row.resourceType}/${row.id}`,
    },
    response: {
      status: METHOD_STATUS[row.method] ?? '200 OK',
      etag: `W/"${row.versionId}"`,
      lastModified: row.lastUpdated,
    },
  }));
  return adoptWritten({ resourceType: 'Bundle', type: 'history', ...(id && !cursor && rows.length <= limit ? { total: page.length } : {}), link, entry: adoptWritten(entry) });
}

export const historyHandler: Handler = async (input) => {
  const { type, id } = input.params;
  if (type && id) {
    const bundle = await history(input);
    if (bundle.entry?.length === 0 && !input.request.query.has('_cursor') && !input.request.query.has('_since') && !input.request.query.has('_at')) {
      throw errors.notFound(`${type}/${id} does not exist`);
    }
    return { status: 200, body: bundle };
  }
  return { status: 200, body: await history(input) };
};
