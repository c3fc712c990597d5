import { readVersion } from '../../storage/resource-store.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { versionHeaders } from './respond.js';
import { checkRead } from '../access.js';

/** GET [type]/[id]/_history/[vid] */
export const vread: Handler = async ({ request, ctx, reader, params }) => {
  const { type, id, vid } = params as { type: string; id: string; vid: string };
  if (!/^[0-9]{1,9}$/.test(vid)) throw errors.notFound(`${type}/${id} has no version "${vid}"`);
  const row = await readVersion(reader, type, id, Number(vid));
  if (!row) throw errors.notFound(`${type}/${id} has no version ${vid}`);
  await checkRead(request, ctx, reader, row);
  if (row.deleted || !row.content) throw errors.gone(`Version ${vid} of ${type}/${id} is a deletion`);
  const { Location: _location, ...headers } = versionHeaders(ctx, { resourceType: type, id, versionId: row.versionId, lastUpdated: row.lastUpdated });
  return { status: 200, headers, body: row.content };
};
