import type { Bundle, BundleLink, Resource } from '@medplum/fhirtypes';
import { countCurrent, searchCurrent } from '../../storage/resource-store.js';
import { parseCriteria } from '../criteria.js';
import { decodeCursor, encodeCursor, pageLink, pageSize } from '../paging.js';
import type { Handler } from '../router/types.js';

/**
 * GET [type]?… and POST [type]/_search — searching by `_id` and by token parameters, ordered by id with
 * keyset paging. The full search engine (every parameter type, sorting, includes) builds on this.
 */
export const search: Handler = async ({ request, ctx, reader, params }) => {
  const type = params.type as string;
  const query = request.method === 'POST' ? mergeFormBody(request.query, request.body) : request.query;
  const criteria = parseCriteria(type, query.entries());
  const limit = pageSize(query);
  const after = decodeCursor(query.get('_cursor'));
  const rows = limit === 0 ? [] : await searchCurrent(reader, criteria, limit + 1, after);
  const page = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  const wantTotal = query.get('_total');
  const total = wantTotal === 'none' ? undefined : !hasMore && !after ? page.length : wantTotal === 'accurate' || limit === 0 ? await countCurrent(reader, criteria) : undefined;
  const self = `${ctx.fhirBaseUrl}/${type}`;
  const link: BundleLink[] = [{ relation: 'self', url: pageLink(self, query, {}) }];
  const last = page[page.length - 1];
  if (hasMore && last) link.push({ relation: 'next', url: pageLink(self, query, { _cursor: encodeCursor(last.id) }) });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total !== undefined ? { total } : {}),
    link,
    entry: page.map((row) => ({
      fullUrl: `${ctx.fhirBaseUrl}/${row.resourceType}/${row.id}`,
      resource: JSON.parse(row.content as string) as Resource,
      search: { mode: 'match' },
    })),
  };
  return { status: 200, body: bundle };
};

function mergeFormBody(query: URLSearchParams, body: unknown): URLSearchParams {
  const merged = new URLSearchParams(query);
  if (typeof body === 'string') for (const [k, v] of new URLSearchParams(body)) merged.append(k, v);
  else if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      for (const item of Array.isArray(v) ? v : [v]) merged.append(k, String(item));
    }
  }
  return merged;
}
