import type { FastifyInstance, FastifyReply } from 'fastify';
import { breakGlassReview } from '../access/route-policies.js';
import { agentKey } from '../access/principal.js';
import { grantCursor, parseGrantList, parseReviewInput } from '../audit/break-glass-review.js';
import type { AuthServices } from '../auth/services.js';
import { insertGrantReview, listReviewedGrants, reviewedGrant } from '../storage/break-glass-review-store.js';

/**
 * Privacy officers review break-the-glass accesses (docs/workspace.md): `GET /auth/admin/break-glass` lists
 * the grants (who, which patient, why, when, how many accesses under it) with their review, and
 * `POST /auth/admin/break-glass/{id}/review` marks one justified or not with a comment, once. Both are
 * audited like every administration route (route-audit.ts).
 */
function problem(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error, error_description: message });
}

export async function breakGlassReviewPlugin(app: FastifyInstance, options: { auth: AuthServices }): Promise<void> {
  const { auth } = options;
  const access = { config: { access: breakGlassReview } };

  app.get('/auth/admin/break-glass', access, async (request, reply) => {
    const url = new URL(request.url, auth.issuer);
    const q = parseGrantList(url.searchParams);
    if ('error' in q) return problem(reply, 400, 'invalid_request', q.error);
    await auth.audit.flush(); // the accesses counted include those still being sealed
    const rows = await listReviewedGrants(auth.db, q);
    const grants = rows.slice(0, q.count);
    const last = grants[grants.length - 1];
    let next: string | undefined;
    if (rows.length > q.count && last) {
      const params = new URLSearchParams(url.searchParams);
      params.set('_cursor', grantCursor(last));
      next = `${auth.issuer}/auth/admin/break-glass?${params.toString()}`;
    }
    return { grants, ...(next ? { next } : {}) };
  });

  app.post('/auth/admin/break-glass/:id/review', access, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const input = parseReviewInput(request.body);
    if ('error' in input) return problem(reply, 400, 'invalid_request', input.error);
    const principal = request.principal;
    if (!principal) return problem(reply, 401, 'invalid_token', 'no principal');
    const outcome = await insertGrantReview(auth.db, id, {
      ...input, reviewer: agentKey(principal), reviewerName: principal.display || null, reviewedAt: auth.clock().toISOString(),
    });
    if (outcome === 'absent') return problem(reply, 404, 'not_found', 'no such break-the-glass grant');
    const grant = await reviewedGrant(auth.db, id);
    if (outcome === 'already-reviewed') {
      return reply.code(409).send({ error: 'already_reviewed', error_description: 'this access was already reviewed; the first review stands', grant });
    }
    return reply.code(201).send({ grant });
  });
}
