import { readCurrent, readVersion } from '../../storage/resource-store.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { versionHeaders } from './respond.js';
import { checkRead } from '../access.js';

/** GET [type]/[id]/_history/[vid] */
export const vread: Handler = async ({ request, ctx, reader, params }) => {
  const { type, id, vid } = params as { type: string; id: string; vid: string };
  const row = /^[0-9]{1,9}$/.test(vid) ? await readVersion(reader, type, id, Number(vid)) : undefined;
  if (!row) {
    // No existence oracle: "has no version" only about a resource the requester may see; a hidden or
    // absent one answers as read does ("does not exist").
    const current = await readCurrent(reader, type, id);
    if (!current) throw errors.notFound(`${type}/${id} does not exist`);
    await checkRead(request, ctx, reader, current);
    throw errors.notFound(`${type}/${id} has no version ${vid}`);
  }
  await checkRead(request, ctx, reader, row);
  if (row.deleted || !row.content) throw errors.gone(`Version ${vid} of ${type}/${id} is a deletion`);
  const { Location: _location, ...headers } = versionHeaders(ctx, { resourceType: type, id, versionId: row.versionId, lastUpdated: row.lastUpdated });
  return { status: 200, headers, body: row.content };
};
