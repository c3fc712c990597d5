import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { bodyOfType } from './respond.js';
import { writeOne } from './write-one.js';

/** PUT [type]/[id] — update, or create with the client's id when it does not exist yet. */
export const update: Handler = async ({ request, ctx, params }) => {
  const { type, id } = params as { type: string; id: string };
  const resource = bodyOfType(request, type);
  if (resource.id === undefined) throw errors.invalid(`The body has no id; it must be "${id}" as in the URL`);
  if (resource.id !== id) throw errors.invalid(`The body's id "${resource.id}" differs from the URL's id "${id}"`);
  const ifMatch = request.headers.ifMatch;
  return writeOne(ctx, request, { kind: 'update', resourceType: type, id, resource, ...(ifMatch ? { ifMatch } : {}) });
};

/** PUT [type]?[criteria] — conditional update. */
export const conditionalUpdate: Handler = async ({ request, ctx, params }) => {
  const type = params.type as string;
  const resource = bodyOfType(request, type);
  const criteria = request.query.toString();
  if (!criteria) throw errors.invalid('A conditional update needs search criteria in the URL');
  const ifMatch = request.headers.ifMatch;
  return writeOne(ctx, request, { kind: 'conditional-update', resourceType: type, criteria, resource, ...(ifMatch ? { ifMatch } : {}) });
};
