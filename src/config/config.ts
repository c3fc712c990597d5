import { loadHl7Config, type Hl7Config } from '../hl7v2/config.js';
import { mergeRules, type SummaryRules } from '../documents/ips/rules.js';
import { ConfigError, intFrom, onOff } from './env.js';
import { DEFAULT_OFF_LOOP, type OffLoopOptions } from '../fhir/validation/off-loop.js';
import { loadResearchConfig, type ResearchConfig } from '../research/config.js';
import { loadHealthLinksConfig, type HealthLinksConfig } from '../documents/health-links/config.js';
import { loadHealthCardKeys } from '../documents/health-cards/config.js';
import type { KeyGenerations } from '../documents/health-cards/issuer-key.js';

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
  /**
   * The longest one database statement of an API request may run (CARNET_STATEMENT_TIMEOUT_MS; 0: no limit).
   * PostgreSQL only; migrations, jobs, consumers and exports are not limited.
   */
  readonly statementTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** The most entries one batch or transaction Bundle may hold (CARNET_MAX_BUNDLE_ENTRIES). */
  readonly maxBundleEntries: number;
  /** Validation of large bodies off the event loop (CARNET_VALIDATION_*; fhir/validation/off-loop.ts). */
  readonly validation: OffLoopOptions;
  readonly logLevel: string;
  /** V8's old-generation growth between full collections, in percent (CARNET_HEAP_GROWTH_PERCENT; app/heap.ts). */
  readonly heapGrowthPercent: number;
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
  /** How long a person's linked source records are cached for access decisions (0: never). */
  readonly personScopeTtlMs: number;
  /** Identity, tokens, consent and audit (docs/security.md). */
  readonly auth: AuthConfig;
  /** Change-event consumers and the job worker of this process (docs/events-and-jobs.md). */
  readonly background: BackgroundConfig;
  /** The IPS section rules (CARNET_SUMMARY_RULES overrides, docs/documents.md). */
  readonly summaryRules: SummaryRules;
  /** SMART Health Links (CARNET_SHL_*, docs/documents.md). */
  readonly healthLinks: HealthLinksConfig;
  /** SMART Health Cards' issuer keys: the signing generation and the retired ones still published. */
  readonly healthCardKeys: KeyGenerations;
  /** Notifications (docs/subscriptions.md). */
  readonly subscriptions: SubscriptionsConfig;
  /** Bulk Data export and research access (docs/research.md). */
  readonly research: ResearchConfig;
}

export interface SubscriptionsConfig {
  /**
   * Hosts (optionally `host:port`) a rest-hook may reach as they are, over http too (CARNET_SUBSCRIPTION_ALLOWED_HOSTS,
   * comma-separated; default in demo mode: the loopback, otherwise none). Others must be public https hosts.
   */
  readonly allowedHosts: readonly string[];
  /** How long an endpoint may take to answer a notification (CARNET_SUBSCRIPTION_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** How soon another process takes over a delivery whose process died (CARNET_SUBSCRIPTION_LEASE_MS). */
  readonly leaseMs: number;
  /** How long a websocket binding token from $get-ws-binding-token may be used (CARNET_SUBSCRIPTION_WS_TOKEN_SECONDS). */
  readonly wsTokenSeconds: number;
  /**
   * How long a process keeps what it read of a subscription owner's account, grant and client
   * (CARNET_SUBSCRIPTION_STANDING_MS; 0: read them for every batch and delivery). Changes Carnet makes
   * empty it at once; this bounds only changes made behind its back.
   */
  readonly standingMs: number;
  /** The most events one rest-hook notification Bundle carries when a subscription has several waiting (CARNET_SUBSCRIPTION_MAX_EVENTS). */
  readonly maxEvents: number;
}

export interface BackgroundConfig {
  /** Run the event consumers and the job worker in this process (CARNET_BACKGROUND). */
  readonly enabled: boolean;
  /** Fallback poll when no notification arrives (CARNET_BACKGROUND_POLL_MS). */
  readonly pollMs: number;
  /** Job attempts running at once in this process (CARNET_JOB_CONCURRENCY). */
  readonly concurrency: number;
  /** Events every consumer has passed are kept this long, then pruned (CARNET_EVENT_RETENTION_HOURS). */
  readonly eventRetentionHours: number;
  /** Done and cancelled jobs are kept this long (CARNET_JOB_RETENTION_DAYS); dead jobs until retried or cancelled. */
  readonly jobRetentionDays: number;
}

export interface AuthConfig {
  /** Derives the keys that encrypt signing keys and TOTP secrets at rest and sign CSRF tokens. */
  readonly secret: string;
  /** A system client with full `system/*.cruds` access, registered at startup when both are set. */
  readonly bootstrapClient: { readonly id: string; readonly secret: string } | undefined;
  readonly accessTokenSeconds: number;
  readonly refreshTokenDays: number;
  readonly signingKeyRotationDays: number;
  readonly sessionHours: number;
  readonly loginMaxFailures: number;
  readonly loginLockMinutes: number;
  readonly breakGlassMinutes: number;
  /** From this age a minor controls their record: a proxy's access narrows (access/minors.ts). */
  readonly minorControlAge: number;
  /** `durable`: a read is answered once its audit record is committed; `async`: once it is queued. */
  readonly auditReads: 'durable' | 'async';
}

/** The secret demo mode uses when CARNET_SECRET is not set: a production start refuses it. */
export const DEMO_SECRET = 'carnet-demo-secret-do-not-use-in-production';
/** The demo system client's secret (seeded in demo mode only; refused as a bootstrap secret in production). */
export const DEMO_CLIENT_SECRET = 'demo-system-secret-do-not-use-in-production';

// Kept importable from here: callers know config.ts as the home of configuration errors.
export { ConfigError };

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
  const demo = (env.CARNET_DEMO || 'on').toLowerCase() !== 'off';
  return {
    port,
    host,
    baseUrl,
    databaseUrl,
    dataDir: env.CARNET_DATA_DIR || './data',
    databasePoolSize: intFrom(env, 'CARNET_DB_POOL_SIZE', 10, 1, 500),
    statementTimeoutMs: intFrom(env, 'CARNET_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    maxBodyBytes: intFrom(env, 'CARNET_MAX_BODY_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxBundleEntries: intFrom(env, 'CARNET_MAX_BUNDLE_ENTRIES', 10_000, 1, 1_000_000),
    heapGrowthPercent: intFrom(env, 'CARNET_HEAP_GROWTH_PERCENT', 20, 0, 300),
    validation: {
      workers: intFrom(env, 'CARNET_VALIDATION_WORKERS', DEFAULT_OFF_LOOP.workers, 0, 16),
      minBytes: intFrom(env, 'CARNET_VALIDATION_OFFLOOP_BYTES', DEFAULT_OFF_LOOP.minBytes, 1, 1024 * 1024 * 1024),
      timeoutMs: intFrom(env, 'CARNET_VALIDATION_TIMEOUT_MS', DEFAULT_OFF_LOOP.timeoutMs, 100, 3_600_000),
      maxQueued: DEFAULT_OFF_LOOP.maxQueued,
    },
    logLevel: env.LOG_LEVEL || 'info',
    demo,
    demoPersons: intFrom(env, 'CARNET_DEMO_PERSONS', 200, 1, 2000),
    demoSeed: env.CARNET_DEMO_SEED || 'carnet',
    hl7: loadHl7Config(env, host),
    workers,
    mpi: (env.CARNET_MPI || 'on').toLowerCase() !== 'off',
    personScopeTtlMs: intFrom(env, 'CARNET_PERSON_SCOPE_TTL_MS', 1000, 0, 3_600_000),
    auth: loadAuthConfig(env, demo),
    background: {
      enabled: onOff(env, 'CARNET_BACKGROUND', true),
      pollMs: intFrom(env, 'CARNET_BACKGROUND_POLL_MS', 1000, 50, 60_000),
      concurrency: intFrom(env, 'CARNET_JOB_CONCURRENCY', 8, 1, 256),
      eventRetentionHours: intFrom(env, 'CARNET_EVENT_RETENTION_HOURS', 1, 0, 24 * 365),
      jobRetentionDays: intFrom(env, 'CARNET_JOB_RETENTION_DAYS', 7, 0, 3650),
    },
    summaryRules: summaryRulesFrom(env),
    healthLinks: loadHealthLinksConfig(env),
    healthCardKeys: loadHealthCardKeys(env),
    subscriptions: {
      allowedHosts: (env.CARNET_SUBSCRIPTION_ALLOWED_HOSTS ?? (demo ? 'localhost,127.0.0.1,::1' : '')).split(',').map((h) => h.trim()).filter(Boolean),
      timeoutMs: intFrom(env, 'CARNET_SUBSCRIPTION_TIMEOUT_MS', 10_000, 100, 120_000),
      leaseMs: intFrom(env, 'CARNET_SUBSCRIPTION_LEASE_MS', 30_000, 1000, 600_000),
      wsTokenSeconds: intFrom(env, 'CARNET_SUBSCRIPTION_WS_TOKEN_SECONDS', 300, 10, 3600),
      standingMs: intFrom(env, 'CARNET_SUBSCRIPTION_STANDING_MS', 5000, 0, 600_000),
      maxEvents: intFrom(env, 'CARNET_SUBSCRIPTION_MAX_EVENTS', 50, 1, 1000),
    },
    research: loadResearchConfig(env, env.CARNET_DATA_DIR || './data'),
  };
}

function summaryRulesFrom(env: NodeJS.ProcessEnv): SummaryRules {
  const raw = env.CARNET_SUMMARY_RULES;
  if (!raw) return mergeRules(undefined);
  try {
    return mergeRules(JSON.parse(raw));
  } catch (error) {
    throw new ConfigError(`CARNET_SUMMARY_RULES: ${(error as Error).message}`);
  }
}

function auditReadsFrom(raw: string | undefined): 'durable' | 'async' {
  if (raw === undefined || raw === '' || raw === 'durable') return 'durable';
  if (raw === 'async') return 'async';
  throw new ConfigError(`CARNET_AUDIT_READS must be "durable" or "async" (got "${raw}")`);
}

function loadAuthConfig(env: NodeJS.ProcessEnv, demo: boolean): AuthConfig {
  const secret = env.CARNET_SECRET || (demo ? DEMO_SECRET : '');
  if (!demo) {
    if (!env.CARNET_SECRET) throw new ConfigError('CARNET_SECRET must be set when CARNET_DEMO=off (at least 32 random characters)');
    if (secret === DEMO_SECRET) throw new ConfigError('CARNET_SECRET is the demo secret: choose a secret of your own for production');
  }
  if (secret.length < 32) throw new ConfigError('CARNET_SECRET must be at least 32 characters long');
  const id = env.CARNET_BOOTSTRAP_CLIENT_ID || '';
  const clientSecret = env.CARNET_BOOTSTRAP_CLIENT_SECRET || '';
  if (Boolean(id) !== Boolean(clientSecret)) throw new ConfigError('CARNET_BOOTSTRAP_CLIENT_ID and CARNET_BOOTSTRAP_CLIENT_SECRET must be set together');
  if (clientSecret && !demo && (clientSecret.length < 32 || clientSecret === DEMO_CLIENT_SECRET)) {
    throw new ConfigError('CARNET_BOOTSTRAP_CLIENT_SECRET must be at least 32 characters and not a demo secret when CARNET_DEMO=off');
  }
  if (id && !/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new ConfigError('CARNET_BOOTSTRAP_CLIENT_ID may hold letters, digits, ".", "_" and "-" (at most 64)');
  return {
    secret,
    bootstrapClient: id ? { id, secret: clientSecret } : undefined,
    accessTokenSeconds: intFrom(env, 'CARNET_ACCESS_TOKEN_SECONDS', 300, 30, 86_400),
    refreshTokenDays: intFrom(env, 'CARNET_REFRESH_TOKEN_DAYS', 30, 1, 365),
    signingKeyRotationDays: intFrom(env, 'CARNET_SIGNING_KEY_ROTATION_DAYS', 30, 1, 3650),
    sessionHours: intFrom(env, 'CARNET_SESSION_HOURS', 8, 1, 720),
    loginMaxFailures: intFrom(env, 'CARNET_LOGIN_MAX_FAILURES', 5, 1, 100),
    loginLockMinutes: intFrom(env, 'CARNET_LOGIN_LOCK_MINUTES', 15, 1, 1440),
    breakGlassMinutes: intFrom(env, 'CARNET_BREAK_GLASS_MINUTES', 240, 5, 1440),
    minorControlAge: intFrom(env, 'CARNET_MINOR_CONTROL_AGE', 14, 1, 18),
    auditReads: auditReadsFrom(env.CARNET_AUDIT_READS),
  };
}
