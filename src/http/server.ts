import type { SubscriptionSockets } from '../subscriptions/ws-hub.js';
import { registerSubscriptionSockets } from './subscription-ws-plugin.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { FhirContext } from '../fhir/context.js';
import type { Duplex } from 'node:stream';
import { errorResponse, errors, FhirError, issue, knownFailure, outcome, type ErrorCode } from '../fhir/outcomes.js';
import { CARNET_VERSION } from '../version.js';
import { fhirPlugin, sendFhir } from './fhir-plugin.js';
import type { Hl7Gateway } from '../hl7v2/gateway/gateway.js';
import { hl7Plugin } from '../hl7v2/listen/http-plugin.js';
import type { AuthServices } from '../auth/services.js';
import { bearerToken, challenge, installAuthHook } from './auth-hook.js';
import { oauthPlugin } from './oauth-plugin.js';
import { loginPlugin } from './login-plugin.js';
import { adminPlugin } from './admin-plugin.js';
import { breakGlassReviewPlugin } from './break-glass-review-plugin.js';
import { webPlugin, type WebOptions } from './web-plugin.js';
import { backgroundPlugin, type BackgroundOperations } from './background-plugin.js';
import { auditRoutesHook, rejectedTokenRecord } from './route-audit.js';
import { bulkFilesPlugin } from './bulk-files-plugin.js';
import { researchPlugin } from './research-plugin.js';
import { healthLinksPlugin } from './health-links-plugin.js';

export interface ServerOptions {
  readonly ctx: FhirContext;
  readonly maxBodyBytes: number;
  readonly logger: FastifyBaseLogger;
  /** The HL7 v2 gateway, served at /hl7v2. */
  readonly hl7?: Hl7Gateway;
  /** Serve the FHIR API at /fhir (default true). */
  readonly fhir?: boolean;
  /** Identity and tokens: the authorization server's endpoints and the authentication of every route. */
  readonly auth: AuthServices;
  /** Jobs and event consumers, operated at /admin/jobs and /admin/consumers. */
  readonly background?: BackgroundOperations;
  /** The browser apps (landing page, portal, workspace) and, in demo mode, the demo logins they list. */
  readonly web?: Omit<WebOptions, 'fhirBaseUrl'>;
  /** Subscriptions' websocket channel, served at /ws/subscriptions. */
  readonly subscriptionSockets?: SubscriptionSockets;
}

/** Maps framework errors (body too large, bad JSON, …) to the same OperationOutcomes as domain errors. */
function frameworkError(error: FastifyError): FhirError {
  const known = knownFailure(error);
  if (known) return known;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new FhirError('too-large', 'The request body is larger than this server accepts');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new FhirError('unsupported-media-type', error.message);
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return errors.coded('missing-body', 'The request body is empty');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return errors.invalid(error.message);
  return new FhirError('internal', 'Internal server error');
}

/** The error code of an authentication refusal (its OAuth error, RFC 6750, says which). */
function refusalCode(status: 401 | 403, oauthError: string | undefined): ErrorCode {
  if (status === 403) return 'forbidden';
  return oauthError === 'invalid_token' ? 'token-invalid' : oauthError === undefined ? 'token-required' : 'unauthorized';
}

/**
 * Errors Node's HTTP parser meets before any request exists (headers or URL over 16 KB, malformed requests):
 * answered with an OperationOutcome like every other error, then the connection is closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const [status, reason, text] = error.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', 'The URL and headers are larger than the 16 KB this server reads; send long searches as POST [type]/_search']
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'The request was not received in time'] : [400, 'Bad Request', 'The request is not valid HTTP'];
  const body = JSON.stringify(outcome([issue('error', status === 431 ? 'too-costly' : 'invalid', text)]));
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/fhir+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    // The default request log carries full URLs, whose query strings can hold health data: we log our own line.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodyBytes,
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: true },
    // A URL that is not valid percent-encoding never reaches a route: it gets the same OperationOutcome.
    frameworkErrors: (error, _request, reply) => sendFhir(reply, errorResponse(errors.invalid(`The URL is not valid: ${error.message}`))),
    clientErrorHandler: answerClientError,
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, path: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = frameworkError(error);
    if (failure.category === 'internal') request.log.error({ err: error }, 'unhandled error');
    return sendFhir(reply, errorResponse(failure));
  });
  const { auth } = options;
  app.setNotFoundHandler(async (request, reply) => {
    // Under /fhir an anonymous caller gets a 401 whether or not the route exists (the router does the same).
    if (/^\/fhir(\/|$|\?)/.test(request.url)) {
      const token = bearerToken(request);
      if (!token || !(await auth.tokens.verify(token))) {
        return sendFhir(reply, errorResponse(errors.coded('token-required', 'This request needs an access token (Authorization: Bearer …)')));
      }
    }
    return sendFhir(reply, errorResponse(errors.coded('no-route', `Nothing at ${request.method} ${request.url.split('?')[0]}`)));
  });

  installAuthHook(app, {
    tokens: auth.tokens,
    refuse: (request, reply, status, message, error) => {
      reply.header('www-authenticate', challenge(status, error, message));
      if (request.url.startsWith('/fhir')) {
        return sendFhir(reply, errorResponse(new FhirError(refusalCode(status, error), message)));
      }
      return reply.code(status).type('application/json').send({ error: error ?? (status === 401 ? 'invalid_token' : 'insufficient_scope'), error_description: message });
    },
    rejected: async (request) => auth.audit.record(rejectedTokenRecord(request, auth.clock(), auth.newId())),
  });
  auditRoutesHook(app, auth);

  const open = { config: { access: 'public' as const } };
  app.get('/healthz', open, async () => ({ status: 'ok', version: CARNET_VERSION, database: options.ctx.db.kind }));
  await app.register(webPlugin, { fhirBaseUrl: options.ctx.fhirBaseUrl, ...options.web });
  await app.register(oauthPlugin, { auth });
  await app.register(loginPlugin, { auth });
  await app.register(adminPlugin, { auth });
  await app.register(breakGlassReviewPlugin, { auth });
  if (options.background) await app.register(backgroundPlugin, options.background);
  if (options.fhir !== false) await app.register(fhirPlugin, { ctx: options.ctx });
  if (options.fhir !== false) await app.register(healthLinksPlugin, { ctx: options.ctx });
  if (options.fhir !== false && options.ctx.research) {
    await app.register(bulkFilesPlugin, { db: options.ctx.db, config: options.ctx.research });
    await app.register(researchPlugin, { auth, research: options.ctx.research, ...(options.ctx.jobs ? { jobs: options.ctx.jobs } : {}) });
  }
  if (options.fhir !== false && options.subscriptionSockets) registerSubscriptionSockets(app, options.subscriptionSockets);
  if (options.hl7) await app.register(hl7Plugin, { gateway: options.hl7, db: options.ctx.db, clock: options.ctx.clock });
  return app;
}
