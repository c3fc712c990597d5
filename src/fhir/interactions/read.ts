import { readCurrent } from '../../storage/resource-store.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { etag } from '../write/versioning.js';
import { versionHeaders } from './respond.js';
import { checkRead } from '../access.js';

/** GET [type]/[id] — the current version, served as stored; 304 for a matching If-None-Match/If-Modified-Since. */
export const read: Handler = async ({ request, ctx, reader, params }) => {
  const { type, id } = params as { type: string; id: string };
  const row = await readCurrent(reader, type, id);
  if (!row) throw errors.notFound(`${type}/${id} does not exist`);
  await checkRead(request, ctx, reader, row);
  const headers = versionHeaders(ctx, { resourceType: type, id, versionId: row.versionId, lastUpdated: row.lastUpdated });
  if (row.deleted || !row.content) throw errors.gone(`${type}/${id} was deleted (version ${row.versionId})`);
  const { ifNoneMatch, ifModifiedSince } = request.headers;
  if (ifNoneMatch && ifNoneMatch.split(',').map((t) => t.trim()).includes(etag(row.versionId))) {
    return { status: 304, headers };
  }
  if (ifModifiedSince && !ifNoneMatch) {
    const since = Date.parse(ifModifiedSince);
    // HTTP dates have whole seconds: compare at that precision.
    if (!Number.isNaN(since) && Math.floor(Date.parse(row.lastUpdated) / 1000) * 1000 <= since) return { status: 304, headers };
  }
  const { Location: _location, ...readHeaders } = headers;
  return { status: 200, headers: readHeaders, body: row.content };
};
