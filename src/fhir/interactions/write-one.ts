import { withRetries } from '../../storage/database.js';
import type { FhirContext } from '../context.js';
import type { FhirRequest, FhirResponse } from '../router/types.js';
import { executeWrites } from '../write/engine.js';
import type { WriteOp } from '../write/operations.js';
import { writeResponse } from './respond.js';
import { writeAccess } from '../access.js';
import { auditInTransaction } from '../../audit/fhir-audit.js';
import { validateLargeBody } from '../validation/off-loop.js';

/** Runs one write in its own transaction (retried on concurrent conflicts) and shapes the response. */
export async function writeOne(ctx: FhirContext, request: FhirRequest, op: WriteOp): Promise<FhirResponse> {
  // A large body is validated off the event loop before its transaction opens (validation/off-loop.ts).
  const target = 'resource' in op && op.resource === request.body ? [{ path: [], resource: op.resource }] : [];
  const large = await validateLargeBody(ctx.validation, request.body, target, ctx.fhirBaseUrl);
  const [result] = await withRetries(ctx.db, async (tx) => {
    const results = await executeWrites(tx, ctx, [op], { transaction: false, ...writeAccess(request, ctx), ...large });
    const written = results[0];
    if (written) {
      await auditInTransaction(tx, ctx, request, {
        interaction: op.kind === 'create' ? 'create' : op.kind === 'patch' ? 'patch' : op.kind.endsWith('delete') ? 'delete' : 'update',
        resourceType: written.resourceType, id: written.id, status: written.status,
      });
    }
    return results;
  });
  return writeResponse(ctx, request, result as NonNullable<typeof result>);
}
