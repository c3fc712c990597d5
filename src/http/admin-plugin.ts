import type { FastifyInstance, FastifyReply } from 'fastify';
import { administration, auditReview } from '../access/route-policies.js';
import { verifyAuditChain } from '../audit/verify.js';
import { auditPage } from '../fhir/operations/access-log.js';
import { AccountError, createClient, createUser, type ClientInput, type UserInput } from '../auth/accounts.js';
import type { AuthServices } from '../auth/services.js';
import { hashSecret } from '../auth/passwords.js';
import { listClients, listUsers, updateUser } from '../storage/auth-store.js';

/**
 * Administration over HTTP (administrators and platform clients): accounts and client registrations;
 * and the audit chain's verification for privacy officers.
 */
function problem(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: status === 404 ? 'not_found' : 'invalid_request', error_description: message });
}

export async function adminPlugin(app: FastifyInstance, options: { auth: AuthServices }): Promise<void> {
  const { auth } = options;
  const admin = { config: { access: administration } };

  app.get('/auth/admin/users', admin, async () => ({
    users: (await listUsers(auth.db)).map((u) => ({
      id: u.id, username: u.username, displayName: u.displayName, role: u.role, fhirUser: u.fhirUser, organization: u.organization,
      practitionerRole: u.practitionerRole, licence: u.licence, proxyFor: u.proxyFor, secondFactor: Boolean(u.totpSecret),
      disabled: u.disabled, lockedUntil: u.lockedUntil,
    })),
  }));

  app.post('/auth/admin/users', admin, async (request, reply) => {
    try {
      const created = await createUser(auth.db, auth.box, request.body as UserInput, auth.clock());
      // The TOTP secret is shown once, to hand to the person; Carnet keeps it encrypted.
      return reply.code(201).send(created);
    } catch (error) {
      if (error instanceof AccountError) return problem(reply, 400, error.message);
      throw error;
    }
  });

  app.patch('/auth/admin/users/:id', admin, async (request, reply) => {
    const body = (request.body ?? {}) as { disabled?: boolean; unlock?: boolean; password?: string };
    if (body.password !== undefined && body.password.length < 12) return problem(reply, 400, 'password: at least 12 characters');
    const done = await updateUser(auth.db, (request.params as { id: string }).id, {
      ...(body.disabled !== undefined ? { disabled: body.disabled } : {}), ...(body.unlock ? { unlock: true } : {}),
      ...(body.password ? { passwordHash: await hashSecret(body.password) } : {}),
    });
    return done ? reply.code(204).send() : problem(reply, 404, 'no such user');
  });

  app.get('/auth/admin/clients', admin, async () => ({
    clients: (await listClients(auth.db)).map((c) => ({
      id: c.id, name: c.name, kind: c.kind, scope: c.scope, organization: c.organization, redirectUris: c.redirectUris,
      jwksUri: c.jwksUri, platform: c.platform, trusted: c.trusted, disabled: c.disabled,
    })),
  }));

  app.post('/auth/admin/clients', admin, async (request, reply) => {
    try {
      const input = request.body as ClientInput;
      if (input.platform) return problem(reply, 400, 'platform clients are registered only with CARNET_BOOTSTRAP_CLIENT_ID/SECRET');
      if (input.project !== undefined) return problem(reply, 400, 'a research project gets its client when a privacy officer approves it (/research/projects)');
      const client = await createClient(auth.db, input, auth.clock());
      return reply.code(201).send({ id: client.id, name: client.name, kind: client.kind, scope: client.scope });
    } catch (error) {
      if (error instanceof AccountError) return problem(reply, 400, error.message);
      throw error;
    }
  });

  // The whole audit trail (or some patients'), newest first, for privacy officers.
  app.get('/auth/admin/audit', { config: { access: auditReview } }, async (request, reply) => {
    const url = new URL(request.url, auth.issuer);
    const patients = url.searchParams.getAll('patient').flatMap((p) => p.split(',')).map((p) => p.replace(/^Patient\//, ''));
    try {
      const body = await auditPage(auth.db, { ...(patients.length ? { patients } : {}), query: url.searchParams, filters: true }, `${auth.issuer}/auth/admin/audit`);
      return reply.type('application/fhir+json').send(body);
    } catch (error) {
      return problem(reply, 400, (error as Error).message);
    }
  });

  app.get('/auth/admin/audit/verify', { config: { access: auditReview } }, async () => {
    await auth.audit.flush();
    return verifyAuditChain(auth.db);
  });
}
