import type { MpiConfig } from '../../mpi/service/config.js';
import type { FhirContext } from '../context.js';
import { errors } from '../outcomes.js';

/** The MPI configuration of the running server, or 501 when the MPI is turned off (CARNET_MPI=off). */
export function mpiOf(ctx: FhirContext): MpiConfig {
  if (!ctx.mpi) throw errors.notSupported('The master patient index is turned off on this server (CARNET_MPI=off)');
  return ctx.mpi;
}
