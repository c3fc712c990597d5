import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { openidConfiguration, smartConfiguration } from '../auth/discovery.js';
import { OAuthError } from '../auth/errors.js';
import type { AuthServices } from '../auth/services.js';
import { controlDay } from '../access/minors.js';
import { readCurrent } from '../storage/resource-store.js';

/**
 * The OAuth 2.0 / OpenID Connect endpoints that machines call: discovery, JWKS, token (authorization_code,
 * client_credentials, refresh_token), revocation (RFC 7009), introspection (RFC 7662), userinfo.
 */
export function formBody(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  if (typeof body === 'string') return Object.fromEntries(new URLSearchParams(body));
  if (body && typeof body === 'object') return Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  return {};
}

export function addFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));
}

const FORM = 'application/x-www-form-urlencoded';

function isForm(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() === FORM;
}

/**
 * The token, revocation and introspection parameters (RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1): a form,
 * nothing else, each parameter at most once.
 */
function tokenForm(request: FastifyRequest): Record<string, string> {
  if (!isForm(request)) throw new OAuthError('invalid_request', `the body must be ${FORM}`);
  const params = new URLSearchParams(typeof request.body === 'string' ? request.body : '');
  const form: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of params) {
    if (Object.hasOwn(form, name)) throw new OAuthError('invalid_request', `the parameter ${name} is sent more than once`);
    form[name] = value;
  }
  return form;
}

/** Framework failures (body too large, unparsable) as OAuth errors: these endpoints never answer FHIR. */
function oauthFailure(error: FastifyError | OAuthError): OAuthError {
  if (error instanceof OAuthError) return error;
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  return status === 500 ? new OAuthError('server_error', 'the request could not be processed', 500) : new OAuthError('invalid_request', error.message, status);
}

function sendOAuth(reply: FastifyReply, error: unknown, basic = false): FastifyReply {
  const failure = error instanceof OAuthError ? error : new OAuthError('server_error', 'the request could not be processed', 500);
  if (failure.status === 401 && basic) reply.header('www-authenticate', 'Basic realm="carnet"');
  return reply.code(failure.status).header('cache-control', 'no-store').type('application/json').send(failure.body);
}

export async function oauthPlugin(app: FastifyInstance, options: { auth: AuthServices }): Promise<void> {
  const { auth } = options;
  const endpoints = { issuer: auth.issuer, fhirBaseUrl: auth.fhirBaseUrl };
  // Only forms are parsed here; any other body is an OAuth invalid_request, never a FHIR OperationOutcome.
  app.removeAllContentTypeParsers();
  addFormParser(app);
  app.addContentTypeParser('*', (_request, _payload, done) => done(new OAuthError('invalid_request', `the body must be ${FORM}`), undefined));
  app.setErrorHandler((error: FastifyError | OAuthError, request, reply) => {
    const failure = oauthFailure(error);
    if (failure.status === 500) request.log.error({ err: error }, 'OAuth endpoint failure');
    return sendOAuth(reply, failure);
  });
  const open = { config: { access: 'public' as const } };

  app.get('/.well-known/openid-configuration', open, async () => openidConfiguration(endpoints));
  app.get('/fhir/.well-known/smart-configuration', open, async (_request, reply) => reply.type('application/json').send(smartConfiguration(endpoints)));
  app.get('/auth/jwks', open, async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(await auth.keys.jwks()));

  app.post('/auth/token', open, async (request, reply) => {
    const basic = Boolean(request.headers.authorization);
    try {
      const form = tokenForm(request);
      const grantType = form.grant_type;
      if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
      const client = await auth.clients.authenticate(form, request.headers.authorization, grantType === 'authorization_code' || grantType === 'refresh_token');
      let response;
      switch (grantType) {
        case 'client_credentials': response = await auth.authority.clientCredentials(client, form); break;
        case 'authorization_code': response = await auth.authority.authorizationCode(client, form); break;
        case 'refresh_token': response = await auth.authority.refresh(client, form); break;
        default: throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code, client_credentials or refresh_token');
      }
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
    } catch (error) {
      if (!(error instanceof OAuthError)) request.log.error({ err: error }, 'token endpoint failure');
      return sendOAuth(reply, error, basic);
    }
  });

  app.post('/auth/revoke', open, async (request, reply) => {
    try {
      const form = tokenForm(request);
      const client = await auth.clients.authenticate(form, request.headers.authorization, true);
      if (!form.token) throw new OAuthError('invalid_request', 'token is required');
      await auth.authority.revoke(client, form.token);
      return reply.code(200).header('cache-control', 'no-store').send();
    } catch (error) {
      return sendOAuth(reply, error, Boolean(request.headers.authorization));
    }
  });

  app.post('/auth/introspect', open, async (request, reply) => {
    try {
      const form = tokenForm(request);
      const client = await auth.clients.authenticate(form, request.headers.authorization, false);
      if (client.client.kind === 'public') throw new OAuthError('invalid_client', 'public clients may not introspect', 401);
      if (!form.token) throw new OAuthError('invalid_request', 'token is required');
      return reply.header('cache-control', 'no-store').send(await auth.authority.introspect(form.token));
    } catch (error) {
      return sendOAuth(reply, error, Boolean(request.headers.authorization));
    }
  });

  const userinfo = async (request: FastifyRequest) => {
    const p = request.principal;
    return { sub: p?.subject, name: p?.display, ...(p?.fhirUser ? { fhirUser: `${auth.fhirBaseUrl}/${p.fhirUser}` } : {}) };
  };
  const usersOnly = { config: { access: (p: { kind: string }) => (p.kind === 'user' ? undefined : 'userinfo is about a person; this token is a system\'s') } };
  app.get('/auth/userinfo', usersOnly, userinfo);
  app.post('/auth/userinfo', usersOnly, userinfo);

  // The apps a person has authorised, and withdrawing one (the portal's Applications page; docs/security.md).
  // Their own grants only, by their token's subject; each call is audited (route-audit.ts).
  const ownGrants = { config: { access: (p: { kind: string }) => (p.kind === 'user' ? undefined : 'grants belong to a person; this token is a system\'s') } };
  app.get('/auth/grants', ownGrants, async (request, reply) => {
    const p = request.principal as NonNullable<typeof request.principal>;
    const grants = await auth.authority.userGrants(p.subject);
    return reply.header('cache-control', 'no-store').send({ grants: grants.map((g) => ({
      id: g.id, client: { id: g.clientId, name: g.clientName, firstParty: g.trusted }, scope: g.scope, createdAt: g.createdAt, expiresAt: g.expiresAt,
      ...(g.patient ? { patient: `Patient/${g.patient}` } : {}), current: g.id === p.grantId,
    })) });
  });
  // Whom the person acts for (the portal's switch between people; docs/security.md): themselves and those
  // their RelatedPersons name, each with the relationship and whether access is narrowed (a minor past the
  // control age, access/minors.ts). Names and birth dates are the FHIR API's to give: the token may not reach
  // them, so they are returned here from the persons' Patient resources (name and birth date only).
  app.get('/auth/persons', ownGrants, async (request, reply) => {
    const p = request.principal as NonNullable<typeof request.principal>;
    const acting = await auth.authority.actingFor(p.subject);
    const persons = await Promise.all(acting.map(async (a) => {
      const row = await readCurrent(auth.db, 'Patient', a.patient);
      const patient = row?.content && !row.deleted ? (JSON.parse(row.content) as { name?: { use?: string; text?: string; given?: string[]; family?: string }[]; birthDate?: string }) : {};
      const name = patient.name?.find((n) => n.use === 'official') ?? patient.name?.[0];
      const text = name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
      const since = a.narrowed && patient.birthDate ? controlDay(patient.birthDate, auth.config.minorControlAge) : undefined;
      return {
        patient: `Patient/${a.patient}`, self: a.self, ...(text ? { name: text } : {}), ...(patient.birthDate ? { birthDate: patient.birthDate } : {}),
        ...(a.relationship ? { relationship: a.relationship } : {}), access: a.narrowed ? 'narrowed' : 'full', ...(since ? { narrowedSince: since } : {}),
        current: p.launchPatient === a.patient,
      };
    }));
    return reply.header('cache-control', 'no-store').send({ controlAge: auth.config.minorControlAge, persons });
  });
  app.post<{ Params: { id: string } }>('/auth/grants/:id/revoke', ownGrants, async (request, reply) => {
    const p = request.principal as NonNullable<typeof request.principal>;
    request.auditEntities = [`auth-grant/${request.params.id}`];
    if (!(await auth.authority.revokeUserGrant(p.subject, request.params.id))) {
      return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', error_description: 'no such live grant of yours' });
    }
    return reply.code(204).header('cache-control', 'no-store').send();
  });
}
