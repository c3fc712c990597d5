import type { SummaryRules } from '../documents/ips/rules.js';
import type { IssuerKey } from '../documents/health-cards/card.js';
import type { IssuerKeys } from '../documents/health-cards/issuer-key.js';
import type { LinkLimits } from '../documents/health-links/link.js';
import type { MpiConfig } from '../mpi/service/config.js';
import type { AuditSink } from '../audit/record.js';
import type { Database } from '../storage/database.js';
import type { Jobs } from '../jobs/jobs.js';
import type { AfterWriteHook } from './write/hooks.js';
import type { PersonScopes } from './person-scopes.js';
import type { OwnerStanding } from '../subscriptions/standing.js';
import type { ResearchConfig } from '../research/config.js';
import type { ValidationPool } from './validation/off-loop.js';

/** The slice of a logger Carnet's domain code uses (pino satisfies it). Never pass health data to it. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What every FHIR interaction needs, injected (no globals): the database, the clock and id generation. */
export interface FhirContext {
  readonly db: Database;
  /** Absolute base of the FHIR API, e.g. `http://localhost:8080/fhir`. */
  readonly fhirBaseUrl: string;
  readonly clock: () => Date;
  readonly newId: () => string;
  readonly log: Log;
  /** Run in each write's transaction after its versions are stored (see write/hooks.ts). */
  readonly afterWrite?: readonly AfterWriteHook[];
  /** The master patient index configuration; absent when the MPI is turned off. */
  readonly mpi?: MpiConfig;
  /** The audit trail; every interaction made for an external request (one with `access`) is recorded. */
  readonly audit?: AuditSink;
  /** The longest a break-the-glass grant lasts (CARNET_BREAK_GLASS_MINUTES). */
  readonly breakGlassMinutes?: number;
  /** The durable job queue: enqueue background work inside the write's transaction (docs/events-and-jobs.md). */
  readonly jobs?: Jobs;
  /** Resolves a patient's or proxy's token to every source record of their person (with the MPI on). */
  readonly personScopes?: PersonScopes;
  /** Subscription owners' standing, cached per process and emptied on the `owners` commit topic (subscriptions/standing.ts). */
  readonly ownerStanding?: OwnerStanding;
  /** The IPS $summary section rules (default: DEFAULT_RULES of src/documents/ips/rules.ts). */
  readonly summaryRules?: SummaryRules;
  /** Bulk Data export (docs/research.md); absent: `$export` answers 501. */
  readonly research?: ResearchConfig;
  /** Validates large bodies off the event loop (validation/off-loop.ts); absent: everything inline. */
  readonly validation?: ValidationPool;
  /**
   * The longest one database statement of an API request may run (CARNET_STATEMENT_TIMEOUT_MS; 0 or absent:
   * no limit). The HTTP adapter gives each request its own view of the database (`Database.forRequest`).
   */
  readonly statementTimeoutMs?: number;
  /** The most entries a batch or transaction may hold (CARNET_MAX_BUNDLE_ENTRIES; default 10,000). */
  readonly maxBundleEntries?: number;
  /**
   * SMART Health Cards: the issuer (`iss`, whose /.well-known/jwks.json publishes the keys), the ES256 key that
   * signs (the active generation) and every key published (the retired ones until their date).
   */
  readonly healthCards?: { readonly issuer: string; readonly key: IssuerKey; readonly keys?: IssuerKeys };
  /**
   * SMART Health Links: the public origin their manifest URLs start with, the limits, an optional viewer,
   * and the MAC that signs a manifest's short-lived `location` URLs.
   */
  readonly healthLinks?: { readonly baseUrl: string; readonly limits: LinkLimits; readonly viewer?: string; readonly mac: (value: string) => string };
  /** Subscriptions' websocket channel: how binding tokens are signed, where clients connect (docs/subscriptions.md). */
  readonly subscriptionSockets?: { readonly key: Buffer; readonly url: string; readonly tokenSeconds: number };
}
