import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FhirContext } from '../fhir/context.js';
import { directRequest, locationRequest, manifestRequest, type RecipientAnswer, type RecipientDeps } from '../documents/health-links/recipient.js';

/**
 * The recipients' side of SMART Health Links (src/documents/health-links/recipient.ts): public — the link is
 * the credential — cross-origin (viewers are often web pages), never cached.
 */
export async function healthLinksPlugin(app: FastifyInstance, options: { ctx: FhirContext }): Promise<void> {
  const { ctx } = options;
  const config = ctx.healthLinks;
  if (!config) return;
  const deps: RecipientDeps = { db: ctx.db, ...(ctx.audit ? { audit: ctx.audit } : {}), clock: ctx.clock, newId: ctx.newId, limits: config.limits, mac: config.mac, baseUrl: config.baseUrl };
  const send = (reply: FastifyReply, answer: RecipientAnswer) => reply.code(answer.status).header('cache-control', 'no-store').header('access-control-allow-origin', '*')
    .type(answer.contentType).send(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  const open = { config: { access: 'public' as const } };
  app.options('/shl/*', open, async (_request, reply) => reply.code(204).header('access-control-allow-origin', '*')
    .header('access-control-allow-methods', 'GET, POST').header('access-control-allow-headers', 'content-type').header('access-control-max-age', '600').send());
  app.post('/shl/:token', open, async (request, reply) => send(reply, await manifestRequest(deps, (request.params as { token: string }).token, request.body, request.ip)));
  app.get('/shl/:token', open, async (request, reply) => send(reply, await directRequest(deps, (request.params as { token: string }).token, (request.query as { recipient?: string }).recipient, request.ip)));
  app.get('/shl/:token/files/:index', open, async (request, reply) => {
    const { token, index } = request.params as { token: string; index: string };
    return send(reply, await locationRequest(deps, token, /^\d{1,3}$/.test(index) ? Number(index) : -1, (request.query as { ticket?: string }).ticket ?? '', request.ip));
  });
}
