import { loadHl7Config, type Hl7Config } from '../hl7v2/config.js';

/** Typed configuration, read and validated once at startup from the environment. */
export interface CarnetConfig {
  readonly port: number;
  readonly host: string;
  /** Public base URL of the server (used in Location headers, fullUrls and paging links). */
  readonly baseUrl: string;
  /** When set, a real PostgreSQL server is used instead of embedded PGlite. */
  readonly databaseUrl: string | undefined;
  /** Directory of the embedded PGlite database; `memory://` keeps it in memory. */
  readonly dataDir: string;
  readonly databasePoolSize: number;
  readonly maxBodyBytes: number;
  readonly logLevel: string;
  /** Load the demo patients into an empty embedded database at first start. */
  readonly demo: boolean;
  /** Size of the generated demo population (CARNET_DEMO_PERSONS). */
  readonly demoPersons: number;
  /** Seed of the generated demo population (CARNET_DEMO_SEED): the same seed gives the same population. */
  readonly demoSeed: string;
  /** The HL7 v2 gateway (MLLP listener, /hl7v2). */
  readonly hl7: Hl7Config;
  /** API processes sharing the port (PostgreSQL only: the embedded database belongs to one process). */
  readonly workers: number;
  /** Master patient index: match every Patient written to a Person (on by default). */
  readonly mpi: boolean;
}

export class ConfigError extends Error {}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): CarnetConfig {
  const port = intFrom(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const baseUrl = (env.CARNET_BASE_URL || `http://${publicHost}:${port}`).replace(/\/+$/, '');
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const workers = intFrom(env, 'CARNET_WORKERS', 1, 1, 64);
  if (workers > 1 && !databaseUrl) {
    throw new ConfigError('CARNET_WORKERS above 1 needs DATABASE_URL: the embedded database can be opened by one process only');
  }
  return {
    port,
    host,
    baseUrl,
    databaseUrl,
    dataDir: env.CARNET_DATA_DIR || './data',
    databasePoolSize: intFrom(env, 'CARNET_DB_POOL_SIZE', 10, 1, 500),
    maxBodyBytes: intFrom(env, 'CARNET_MAX_BODY_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    logLevel: env.LOG_LEVEL || 'info',
    demo: (env.CARNET_DEMO || 'on').toLowerCase() !== 'off',
    demoPersons: intFrom(env, 'CARNET_DEMO_PERSONS', 200, 1, 2000),
    demoSeed: env.CARNET_DEMO_SEED || 'carnet',
    hl7: loadHl7Config(env, host),
    workers,
    mpi: (env.CARNET_MPI || 'on').toLowerCase() !== 'off',
  };
}
