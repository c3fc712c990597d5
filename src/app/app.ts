import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { CarnetConfig } from '../config/config.js';
import type { FhirContext } from '../fhir/context.js';
import { fhirDefinitions } from '../fhir/definitions.js';
import { buildServer } from '../http/server.js';
import { DEFAULT_MPI_CONFIG } from '../mpi/service/config.js';
import { mpiAfterWrite } from '../mpi/service/matcher.js';
import type { Database } from '../storage/database.js';
import { migrate } from '../storage/migrate.js';
import { openDatabase } from '../storage/open-database.js';

/** The composition root: the only place that knows the concrete database, logger, clock and id generator. */
export interface Carnet {
  readonly config: CarnetConfig;
  readonly db: Database;
  readonly ctx: FhirContext;
  readonly server: FastifyInstance;
  readonly log: Logger;
  readonly schemaVersion: number;
  close(): Promise<void>;
}

export interface CarnetOverrides {
  readonly db?: Database;
  readonly clock?: () => Date;
  readonly newId?: () => string;
  readonly log?: Logger;
}

export async function createCarnet(config: CarnetConfig, overrides: CarnetOverrides = {}): Promise<Carnet> {
  const log = overrides.log ?? pino({ level: config.logLevel, base: { service: 'carnet' } });
  const db = overrides.db ?? (await openDatabase(config));
  const { schemaVersion, applied } = await migrate(db);
  if (applied.length > 0) log.info({ applied: applied.map((m) => `${m.version}: ${m.name}`) }, 'database migrated');
  fhirDefinitions(); // load the R4 definitions before the first request, not during it
  const ctx: FhirContext = {
    db,
    fhirBaseUrl: `${config.baseUrl}/fhir`,
    clock: overrides.clock ?? (() => new Date()),
    newId: overrides.newId ?? randomUUID,
    log,
    // The MPI matches every Patient inside its write's transaction (docs/mpi.md).
    ...(config.mpi ? { mpi: DEFAULT_MPI_CONFIG, afterWrite: [mpiAfterWrite(DEFAULT_MPI_CONFIG)] } : {}),
  };
  const server = await buildServer({ ctx, maxBodyBytes: config.maxBodyBytes, logger: log });
  return {
    config, db, ctx, server, log, schemaVersion,
    async close() {
      await server.close();
      await db.close();
    },
  };
}
