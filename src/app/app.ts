import cluster from 'node:cluster';
import { boundHeapGrowth } from './heap.js';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { CarnetConfig } from '../config/config.js';
import type { FhirContext } from '../fhir/context.js';
import { fhirDefinitions } from '../fhir/definitions.js';
import { ensureSearchIndex } from '../fhir/search/reindex.js';
import { searchRegistry } from '../fhir/search/registry.js';
import { Hl7Gateway } from '../hl7v2/gateway/gateway.js';
import { MllpListener } from '../hl7v2/listen/mllp-server.js';
import { buildServer } from '../http/server.js';
import { DEFAULT_MPI_CONFIG } from '../mpi/service/config.js';
import { mpiAfterWrite } from '../mpi/service/matcher.js';
import { withCommitSignals, type SignallingDatabase } from '../storage/commit-signals.js';
import { PersonScopes } from '../fhir/person-scopes.js';
import type { Database } from '../storage/database.js';
import { migrate } from '../storage/migrate.js';
import { openDatabase } from '../storage/open-database.js';
import { AuditWriter } from '../audit/writer.js';
import { ensureBootstrapClient } from '../auth/accounts.js';
import { ensurePortalClient } from '../auth/portal-client.js';
import { demoLogins, demoTotpCode } from '../demo/accounts.js';
import { Authority } from '../auth/authority.js';
import { ClientAuthenticator } from '../auth/client-auth.js';
import { KeyRing } from '../auth/keys.js';
import { LoginService } from '../auth/login.js';
import { SecretBox } from '../auth/secrets.js';
import { issuerKeys } from '../documents/health-cards/issuer-key.js';
import { healthLinkMac } from '../documents/health-links/jwe.js';
import type { AuthServices } from '../auth/services.js';
import { TokenService } from '../auth/tokens.js';
import { Background } from './background.js';
import { schedulingAfterWrite } from '../scheduling/write-hook.js';
import { registerReminders } from '../scheduling/reminders.js';
import { registerSubscriptions, subscriptionWriteHook } from '../subscriptions/register.js';
import { registerExportJobs } from '../research/export/jobs.js';
import { SubscriptionSockets } from '../subscriptions/ws-hub.js';
import { OwnerStanding } from '../subscriptions/standing.js';
import { bindingKey } from '../subscriptions/ws-token.js';
import { ValidationPool } from '../fhir/validation/off-loop.js';
import { SUBSCRIPTION_WS_PATH } from '../http/subscription-ws-plugin.js';

/** The composition root: the only place that knows the concrete database, logger, clock and id generator. */
export interface Carnet {
  readonly config: CarnetConfig;
  /** The database; its transactions tell the background runtime when events or jobs commit. */
  readonly db: SignallingDatabase;
  readonly ctx: FhirContext;
  readonly server: FastifyInstance;
  readonly log: Logger;
  readonly schemaVersion: number;
  readonly hl7: Hl7Gateway;
  /** The MLLP listener (not listening until `listen` is called: `carnet serve` and `carnet hl7` do). */
  readonly mllp: MllpListener;
  /** Identity, tokens and the audit writer. */
  readonly auth: AuthServices;
  /** Change-event consumers and jobs (docs/events-and-jobs.md): register here; started unless CARNET_BACKGROUND=off. */
  readonly background: Background;
  /** The sockets of Subscriptions' websocket channel in this process (docs/subscriptions.md). */
  readonly subscriptionSockets: SubscriptionSockets;
  close(): Promise<void>;
}

export interface CarnetOverrides {
  readonly db?: Database;
  readonly clock?: () => Date;
  readonly newId?: () => string;
  readonly log?: Logger;
}

export interface CarnetSurfaces {
  /** Serve the FHIR API (false for `carnet hl7`, which serves only the HL7 v2 gateway). */
  readonly fhir?: boolean;
  /** Run consumers and jobs here when the configuration allows (false for one-shot commands such as `carnet import`). */
  readonly background?: boolean;
}

export async function createCarnet(config: CarnetConfig, overrides: CarnetOverrides = {}, surfaces: CarnetSurfaces = {}): Promise<Carnet> {
  // Under CARNET_WORKERS each API process names itself, so operators (and the workers test) can tell them apart.
  boundHeapGrowth(config.heapGrowthPercent);
  const log = overrides.log ?? pino({ level: config.logLevel, base: { service: 'carnet', ...(cluster.isWorker ? { worker: cluster.worker?.id } : {}) } });
  const db = withCommitSignals(overrides.db ?? (await openDatabase(config)));
  const { schemaVersion, applied } = await migrate(db);
  if (applied.length > 0) log.info({ applied: applied.map((m) => `${m.version}: ${m.name}`) }, 'database migrated');
  fhirDefinitions(); // load the R4 definitions before the first request, not during it
  searchRegistry();
  const fhirBaseUrl = `${config.baseUrl}/fhir`;
  await ensureSearchIndex(db, fhirBaseUrl, log);
  const clock = overrides.clock ?? (() => new Date());
  const audit = new AuditWriter(db, log, { reads: config.auth.auditReads });
  const schema = (await db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
  const background = new Background(db, clock, log, config.background, schema);
  // Emptied the moment an MPI link change commits here, or another process says one did.
  const personScopes = config.mpi ? new PersonScopes(config.personScopeTtlMs) : undefined;
  let sockets: SubscriptionSockets | undefined;
  // Emptied (persons) or woken (subscriptions: a websocket match) the moment it commits here, or another process says so.
  const ownerStanding = new OwnerStanding(config.subscriptions.standingMs);
  db.onCommit((topics) => {
    if (topics.has('persons')) personScopes?.clear();
    if (topics.has('owners')) ownerStanding.clear();
    if (topics.has('subscriptions')) sockets?.kick();
  });
  background.onTopic = (topic) => {
    if (topic === 'persons') personScopes?.clear();
    if (topic === 'owners') ownerStanding.clear();
    if (topic === 'subscriptions') sockets?.kick();
  };
  // Large bodies are validated by worker threads, started by `carnet serve` before it listens, else at the first one (fhir/validation/off-loop.ts).
  const validationPool = new ValidationPool(config.validation);
  const ctx: FhirContext = {
    db, fhirBaseUrl, clock, newId: overrides.newId ?? randomUUID, log, audit, breakGlassMinutes: config.auth.breakGlassMinutes, jobs: background.jobs,
    healthCards: await (async () => {
      const keys = await issuerKeys(config.auth.secret, config.healthCardKeys);
      return { issuer: fhirBaseUrl.replace(/\/fhir$/, ''), key: keys.active, keys };
    })(),
    healthLinks: { baseUrl: config.baseUrl, limits: config.healthLinks.limits, ...(config.healthLinks.viewer ? { viewer: config.healthLinks.viewer } : {}), mac: healthLinkMac(config.auth.secret) },
    summaryRules: config.summaryRules, maxBundleEntries: config.maxBundleEntries, statementTimeoutMs: config.statementTimeoutMs, research: config.research, validation: validationPool,
    ...(personScopes ? { personScopes } : {}),
    ownerStanding,
    subscriptionSockets: {
      key: bindingKey(config.auth.secret), url: `${config.baseUrl.replace(/^http/, 'ws')}${SUBSCRIPTION_WS_PATH}`, tokenSeconds: config.subscriptions.wsTokenSeconds,
    },
    // In each write's transaction: appointments claim their time, refused when it is taken
    // (docs/scheduling.md); the MPI matches every Patient (docs/mpi.md); Subscriptions keep their criteria
    // index and owner in step with their resource (docs/subscriptions.md).
    ...(config.mpi ? { mpi: DEFAULT_MPI_CONFIG } : {}),
    afterWrite: [schedulingAfterWrite, ...(config.mpi ? [mpiAfterWrite(DEFAULT_MPI_CONFIG)] : []), subscriptionWriteHook(config.subscriptions, background)],
  };
  await registerSubscriptions(ctx, background, config.subscriptions);
  await registerExportJobs(background.jobs, { db, config: config.research, clock, log, fhirBaseUrl, secret: config.auth.secret });
  registerReminders(ctx, background);
  sockets = new SubscriptionSockets(ctx, background.jobs, (ctx.subscriptionSockets as { key: Buffer }).key);
  // Wherever the FHIR API is served: its sockets are here, whatever runs the background work.
  if (surfaces.fhir !== false) sockets.start(config.background.pollMs);
  const subscriptionSockets = sockets;
  const auth = await composeAuth(config, db, log, { clock, newId: ctx.newId }, audit, fhirBaseUrl);
  const hl7 = new Hl7Gateway(ctx, { config: config.hl7 });
  const mllp = new MllpListener(hl7, config.hl7, log);
  // The demo logins are listed where `carnet serve` seeds them: demo mode on the embedded database.
  const web = config.demo && db.kind === 'pglite' ? { demoLogins, demoTotp: () => demoTotpCode(clock()) } : {};
  const server = await buildServer({ ctx, maxBodyBytes: config.maxBodyBytes, logger: log, hl7, fhir: surfaces.fhir !== false, auth, background, web, subscriptionSockets });
  if (config.background.enabled && surfaces.background !== false) await background.start();
  return {
    config, db, ctx, server, log, schemaVersion, hl7, mllp, auth, background, subscriptionSockets,
    async close() {
      await mllp.close();
      await subscriptionSockets.stop();
      await server.close();
      await validationPool.close();
      await background.close();
      await audit.close();
      await db.close();
    },
  };
}

async function composeAuth(config: CarnetConfig, db: Database, log: Logger, ids: { clock: () => Date; newId: () => string }, audit: AuditWriter, fhirBaseUrl: string): Promise<AuthServices> {
  const { clock, newId } = ids;
  const box = new SecretBox(config.auth.secret);
  const keys = new KeyRing(db, box, log, { rotationDays: config.auth.signingKeyRotationDays, maxTokenSeconds: Math.max(config.auth.accessTokenSeconds, 3600), clock });
  await keys.refresh(true);
  const tokens = new TokenService(keys, db, config.baseUrl, fhirBaseUrl, config.auth.accessTokenSeconds, clock);
  if (await ensureBootstrapClient(db, config.auth.bootstrapClient, clock())) log.info({ client: config.auth.bootstrapClient?.id }, 'bootstrap system client registered');
  await ensurePortalClient(db, config.baseUrl, clock());
  return {
    config: config.auth, db, clock, newId, issuer: config.baseUrl, fhirBaseUrl, secureCookies: config.baseUrl.startsWith('https://'),
    box, keys, tokens, audit,
    authority: new Authority(db, tokens, { fhirBaseUrl, refreshDays: config.auth.refreshTokenDays, clock, minorControlAge: config.auth.minorControlAge }),
    clients: new ClientAuthenticator(db, `${config.baseUrl}/auth/token`, clock),
    login: new LoginService(db, box, audit, config.auth, clock, newId),
  };
}
