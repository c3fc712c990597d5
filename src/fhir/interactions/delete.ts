import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { writeOne } from './write-one.js';

/** DELETE [type]/[id] — a deletion is a new version; history survives. Deleting the absent is a no-op. */
export const deleteResource: Handler = async ({ request, ctx, params }) => {
  const { type, id } = params as { type: string; id: string };
  const ifMatch = request.headers.ifMatch;
  return writeOne(ctx, request, { kind: 'delete', resourceType: type, id, ...(ifMatch ? { ifMatch } : {}) });
};

/** DELETE [type]?[criteria] — deletes the single match; 412 when several match. */
export const conditionalDelete: Handler = async ({ request, ctx, params }) => {
  const criteria = request.query.toString();
  if (!criteria) throw errors.invalid('A conditional delete needs search criteria in the URL');
  return writeOne(ctx, request, { kind: 'conditional-delete', resourceType: params.type as string, criteria });
};
