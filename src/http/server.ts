import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { FhirContext } from '../fhir/context.js';
import { errors, FhirError } from '../fhir/outcomes.js';
import { errorResponse } from '../fhir/router/router.js';
import { CARNET_VERSION } from '../version.js';
import { fhirPlugin, sendFhir } from './fhir-plugin.js';
import type { Hl7Gateway } from '../hl7v2/gateway/gateway.js';
import { hl7Plugin } from '../hl7v2/listen/http-plugin.js';

export interface ServerOptions {
  readonly ctx: FhirContext;
  readonly maxBodyBytes: number;
  readonly logger: FastifyBaseLogger;
  /** The HL7 v2 gateway, served at /hl7v2. */
  readonly hl7?: Hl7Gateway;
  /** Serve the FHIR API at /fhir (default true). */
  readonly fhir?: boolean;
}

/** Maps framework errors (body too large, bad JSON, …) to the same OperationOutcomes as domain errors. */
function frameworkError(error: FastifyError): FhirError {
  if (error instanceof FhirError) return error;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new FhirError('too-large', 'The request body is larger than this server accepts');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new FhirError('unsupported-media-type', error.message);
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return errors.invalid('The request body is empty');
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return errors.invalid(error.message);
  return new FhirError('internal', 'Internal server error');
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    // The default request log carries full URLs, whose query strings can hold health data: we log our own line.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodyBytes,
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: true },
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
  app.setNotFoundHandler((request, reply) => sendFhir(reply, errorResponse(errors.notFound(`Nothing at ${request.method} ${request.url.split('?')[0]}`))));

  app.get('/healthz', async () => ({ status: 'ok', version: CARNET_VERSION, database: options.ctx.db.kind }));
  app.get('/', async () => ({ name: 'Carnet', version: CARNET_VERSION, fhir: options.ctx.fhirBaseUrl }));
  if (options.fhir !== false) await app.register(fhirPlugin, { ctx: options.ctx });
  if (options.hl7) await app.register(hl7Plugin, { gateway: options.hl7, db: options.ctx.db });
  return app;
}
