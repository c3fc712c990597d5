import type { Handler } from '../router/types.js';
import { bodyOfType } from './respond.js';
import { writeOne } from './write-one.js';

/** POST [type] — create, or conditional create with If-None-Exist. A client-sent id is ignored (R4). */
export const create: Handler = async ({ request, ctx, params }) => {
  const resource = bodyOfType(request, params.type as string);
  const ifNoneExist = request.headers.ifNoneExist;
  return writeOne(ctx, request, { kind: 'create', resource, ...(ifNoneExist ? { ifNoneExist } : {}) });
};
