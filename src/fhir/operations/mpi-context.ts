import type { MpiConfig } from '../../mpi/service/config.js';
import type { FhirContext } from '../context.js';
import { agentKey } from '../../access/principal.js';
import { errors } from '../outcomes.js';
import type { FhirRequest } from '../router/types.js';
import type { OperationInput } from './parameters.js';

/** The MPI configuration of the running server, or 501 when the MPI is turned off (CARNET_MPI=off). */
export function mpiOf(ctx: FhirContext): MpiConfig {
  if (!ctx.mpi) throw errors.notSupported('The master patient index is turned off on this server (CARNET_MPI=off)');
  return ctx.mpi;
}

/**
 * Who decides a link, merge or review: the authenticated requester (never a name the request claims), as
 * `user:<id> (<display>)`; the `actor` parameter is kept only for requests made inside Carnet (no token).
 */
export function deciderOf(request: FhirRequest, input: OperationInput): string {
  const principal = request.access?.principal;
  if (principal) return `${agentKey(principal)} (${principal.display})`;
  return input.requiredString('actor');
}
