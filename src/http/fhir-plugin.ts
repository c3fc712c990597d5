import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FhirContext } from '../fhir/context.js';
import { decodeBody, parseJsonBody } from './json-body.js';
import { takesXml, XML_TYPES, XmlBody } from '../fhir/xml-body.js';
import { stringifyJson, writtenNumbers } from '../fhir/written-numbers.js';
import { errorResponse, errors, FhirError } from '../fhir/outcomes.js';
import { handleFhirRequest } from '../fhir/router/router.js';
import type { FhirRequest, FhirResponse } from '../fhir/router/types.js';
import { challenge } from './auth-hook.js';
import { publishedKeys } from '../documents/health-cards/issuer-key.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const PLAIN_JSON = 'application/json; charset=utf-8';

const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json'];

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Whether the client accepts a JSON answer (XML is not offered). */
function acceptsJson(request: FastifyRequest, query: URLSearchParams): boolean {
  const format = query.get('_format');
  if (format && !/json/.test(format)) return false;
  const accept = header(request, 'accept');
  if (!accept) return true;
  return accept.split(',').some((part) => /^\s*(\*\/\*|application\/\*|application\/(fhir\+)?json)/.test(part));
}

export function toFhirRequest(request: FastifyRequest, path: string, query: URLSearchParams): FhirRequest {
  // Every request from the network carries `access` (its principal, if it sent a valid token): the router
  // then applies the policy engine and records the audit trail.
  const access = { principal: request.principal, address: request.ip };
  const h = (name: string) => header(request, name);
  const entries = Object.entries({
    ifMatch: h('if-match'),
    ifNoneMatch: h('if-none-match'),
    ifNoneExist: h('if-none-exist'),
    ifModifiedSince: h('if-modified-since'),
    prefer: h('prefer'),
    contentType: h('content-type'),
    accept: h('accept'),
    acceptLanguage: h('accept-language'),
  }).filter(([, v]) => v !== undefined);
  return { method: request.method, path, query, headers: Object.fromEntries(entries), body: request.body, access };
}

/**
 * A client that accepts `application/json` and not `application/fhir+json` (what bulk clients send when they
 * poll) gets the same JSON under the media type it named.
 */
function plainJson(request: FastifyRequest): boolean {
  const accept = header(request, 'accept') ?? '';
  return /(^|,)\s*application\/json\s*(;|,|$)/i.test(accept) && !/application\/fhir\+json/i.test(accept);
}

export function sendFhir(reply: FastifyReply, response: FhirResponse, json = FHIR_JSON): FastifyReply {
  reply.code(response.status);
  if (response.status === 401) reply.header('www-authenticate', challenge(401, 'invalid_token'));
  if (response.status === 403) reply.header('www-authenticate', challenge(403, 'insufficient_scope'));
  for (const [name, value] of Object.entries(response.headers ?? {})) reply.header(name, value);
  if (response.body === undefined) return reply.send();
  // A handler may name another JSON media type (the bulk export manifest is application/json).
  if (!response.headers?.['content-type']) reply.type(json);
  // Decimals of stored resources inside a composed answer (history, transaction-response) as written.
  return reply.send(typeof response.body === 'string' ? response.body : stringifyJson(response.body, writtenNumbers(response.body)));
}

/**
 * The context one request runs with (PostgreSQL): its view of the database limits each statement to
 * CARNET_STATEMENT_TIMEOUT_MS, and cancels the statements still running when the client goes away.
 */
function requestContext(ctx: FhirContext, reply: FastifyReply): FhirContext {
  if (!ctx.db.forRequest) return ctx;
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return { ...ctx, db: ctx.db.forRequest({ statementTimeoutMs: ctx.statementTimeoutMs ?? 0, signal: gone.signal }) };
}

/** The FHIR REST API under /fhir: parses and checks the HTTP envelope, then hands over to the router. */
export async function fhirPlugin(app: FastifyInstance, options: { ctx: FhirContext }): Promise<void> {
  const { ctx } = options;
  app.removeAllContentTypeParsers();
  // Bytes, not a string: the body is decoded in its declared charset, and bytes that are not text are refused.
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (request, body, done) => {
    try {
      const keepTextFrom = ctx.validation?.takes((body as Buffer).length) ? 0 : Infinity;
      done(null, parseJsonBody(body as Buffer, request.headers['content-type'], keepTextFrom));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser(XML_TYPES, { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, new XmlBody(body as Buffer, decodeBody(body as Buffer, request.headers['content-type'])));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('*', (request, _payload, done) => {
    done(new FhirError('unsupported-media-type', `Content-Type "${request.headers['content-type'] ?? ''}" is not supported; send application/fhir+json`), undefined);
  });

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const url = new URL(request.url, 'http://carnet.invalid');
    const path = url.pathname.replace(/^\/fhir\/?/, '');
    if (!acceptsJson(request, url.searchParams)) {
      return sendFhir(reply, errorResponse(new FhirError('not-acceptable', 'Carnet answers in JSON only (application/fhir+json)')));
    }
    if (request.body instanceof XmlBody && !takesXml(path)) {
      return sendFhir(reply, errorResponse(new FhirError('unsupported-media-type', `Content-Type "${request.headers['content-type'] ?? ''}" is not supported here; send application/fhir+json`)));
    }
    if (['POST', 'PUT', 'PATCH'].includes(request.method) && request.body === undefined && !request.headers['content-type']) {
      return sendFhir(reply, errorResponse(errors.coded('missing-body', 'The request has no body; a FHIR resource is expected')));
    }
    return sendFhir(reply, await handleFhirRequest(toFhirRequest(request, path, url.searchParams), requestContext(ctx, reply)), plainJson(request) ? PLAIN_JSON : FHIR_JSON);
  };
  // The SMART Health Cards issuer's public keys (the card's `iss` + /.well-known/jwks.json): the signing one, and retired ones until their date.
  app.get('/.well-known/jwks.json', { config: { access: 'public' as const } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').header('access-control-allow-origin', '*').type('application/json')
      .send({ keys: !ctx.healthCards ? [] : ctx.healthCards.keys ? publishedKeys(ctx.healthCards.keys, ctx.clock()) : [ctx.healthCards.key.publicJwk] }));
  // The FHIR router decides access for each interaction with the policy engine (src/access/).
  const config = { access: 'fhir' as const };
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/fhir', handler, config });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/fhir/*', handler, config });
}
