import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../access/principal.js';
import { principalOf, type TokenService } from '../auth/tokens.js';

/**
 * Authentication for every HTTP route, once, before any handler: deny unless the route says otherwise.
 * A route declares its access in its config:
 *
 *   config: { access: 'public' }                 no token needed (discovery, JWKS, login pages, health)
 *   config: { access: 'fhir' }                   the FHIR router decides with the policy engine (a token is
 *                                                verified when sent; /fhir/metadata answers without one)
 *   config: { access: (principal) => string | undefined }
 *                                                a token is required; the function returns why the
 *                                                principal is refused (403), or undefined to let it in
 *
 * A route that declares nothing is refused with 403 even with a valid token, so a new route is protected
 * until it states its policy.
 */
export type RouteAccess = 'public' | 'fhir' | ((principal: Principal) => string | undefined);

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** What a route outside the FHIR API acted on, for its AuditEvent (route-audit.ts). */
    auditEntities?: string[];
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)$/i.exec(Array.isArray(header) ? header[0] ?? '' : header ?? '');
  return match?.[1];
}

export interface AuthHookOptions {
  readonly tokens: TokenService;
  /** Renders a refusal for the route's surface (OperationOutcome for /fhir, JSON elsewhere). */
  readonly refuse: (request: FastifyRequest, reply: FastifyReply, status: 401 | 403, message: string, error?: string) => FastifyReply;
  /** Audits a presented token that was not accepted. */
  readonly rejected: (request: FastifyRequest) => Promise<void>;
}

export function installAuthHook(app: FastifyInstance, options: AuthHookOptions): void {
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config?.access;
    if (access === 'public' || request.routeOptions.url === undefined) return;
    const token = bearerToken(request);
    if (token) {
      const claims = await options.tokens.verify(token);
      const principal = claims ? principalOf(claims) : undefined;
      if (!principal) {
        await options.rejected(request);
        return options.refuse(request, reply, 401, 'The access token is invalid, expired or revoked', 'invalid_token');
      }
      request.principal = principal;
    } else if (request.headers.authorization) {
      return options.refuse(request, reply, 401, 'Send the access token as "Authorization: Bearer <token>"', 'invalid_request');
    }
    if (access === 'fhir') return;
    if (!request.principal) return options.refuse(request, reply, 401, 'This request needs an access token (Authorization: Bearer …)');
    if (typeof access !== 'function') return options.refuse(request, reply, 403, 'This route declares no access policy');
    const refusal = access(request.principal);
    if (refusal) return options.refuse(request, reply, 403, refusal, 'insufficient_scope');
  });
}

/** The WWW-Authenticate challenge of a 401 or 403 (RFC 6750 §3). */
export function challenge(status: 401 | 403, error?: string, description?: string): string {
  const parts = ['Bearer realm="carnet"'];
  if (error) parts.push(`error="${error}"`);
  if (description && status !== 401) parts.push(`error_description="${description.replace(/["\\]/g, '')}"`);
  return parts.join(', ');
}
