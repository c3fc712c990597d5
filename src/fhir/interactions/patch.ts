import { errors, FhirError } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { writeOne } from './write-one.js';

/** PATCH [type]/[id] with an RFC 6902 JSON Patch document (application/json-patch+json). */
export const patch: Handler = async ({ request, ctx, params }) => {
  const { type, id } = params as { type: string; id: string };
  const contentType = request.headers.contentType ?? '';
  if (!contentType.startsWith('application/json-patch+json')) {
    throw new FhirError('unsupported-media-type', 'PATCH accepts application/json-patch+json (JSON Patch, RFC 6902)');
  }
  if (!Array.isArray(request.body)) throw errors.invalid('A JSON Patch body must be an array of operations');
  const ifMatch = request.headers.ifMatch;
  return writeOne(ctx, request, { kind: 'patch', resourceType: type, id, patch: request.body, ...(ifMatch ? { ifMatch } : {}) });
};
