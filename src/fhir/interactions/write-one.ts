import { withRetries } from '../../storage/database.js';
import type { FhirContext } from '../context.js';
import type { FhirRequest, FhirResponse } from '../router/types.js';
import { executeWrites } from '../write/engine.js';
import type { WriteOp } from '../write/operations.js';
import { writeResponse } from './respond.js';

/** Runs one write in its own transaction (retried on concurrent conflicts) and shapes the response. */
export async function writeOne(ctx: FhirContext, request: FhirRequest, op: WriteOp): Promise<FhirResponse> {
  const [result] = await withRetries(ctx.db, (tx) => executeWrites(tx, ctx, [op], { transaction: false }));
  return writeResponse(ctx, request, result as NonNullable<typeof result>);
}
