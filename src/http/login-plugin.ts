import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseScopes, formatScopes } from '../access/scopes.js';
import { mustUseSecondFactor, patientsOfUser, userScopes } from '../auth/authority.js';
import { approvePage, errorPage, loginPage, patientPage, totpPage, type Lang } from '../auth/pages.js';
import { randomToken, safeEqual, sha256 } from '../auth/secrets.js';
import type { AuthServices } from '../auth/services.js';
import {
  advanceAuthRequest, deleteSession, findAuthRequest, findClient, findSession, findUser, insertAuthRequest, insertSession,
  type AuthRequestRow, type ClientRow, type UserRow,
} from '../storage/auth-store.js';
import { readCurrent } from '../storage/resource-store.js';
import { addFormParser, formBody } from './oauth-plugin.js';

/**
 * The authorization endpoint and its pages: login (password), second factor (TOTP), patient choice for a
 * proxy, approval of the app's scopes, then the redirect with a one-time code. Every form is bound to the
 * browser by a CSRF token (HMAC of a cookie and the request), cookies are HttpOnly and SameSite=Lax, and
 * Secure when the base URL is https. The pending request lives in the database (10 minutes).
 */
const CSRF_COOKIE = 'carnet_csrf';
const SESSION_COOKIE = 'carnet_session';
const REQUEST_MINUTES = 10;

function cookies(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

function langOf(request: FastifyRequest, form?: Record<string, string>): Lang {
  const asked = form?.lang ?? (request.query as Record<string, string | undefined>).lang ?? (request.query as Record<string, string | undefined>).ui_locales;
  // French by default (as Québec's language charter asks); English when the app or the person asks for it.
  return asked?.startsWith('en') ? 'en' : 'fr';
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
    .header('referrer-policy', 'no-referrer')
    .send(body);
}

export async function loginPlugin(app: FastifyInstance, options: { auth: AuthServices }): Promise<void> {
  const { auth } = options;
  const database = auth.db;
  const clock = auth.clock;
  addFormParser(app);
  const open = { config: { access: 'public' as const } };

  const cookie = (name: string, value: string, maxAgeSeconds: number) =>
    `${name}=${encodeURIComponent(value)}; Path=/auth; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${auth.secureCookies ? '; Secure' : ''}`;

  /** The browser's CSRF cookie, made when missing; the form token binds it to one authorization request. */
  const csrfCookie = (request: FastifyRequest, reply: FastifyReply): string => {
    const existing = cookies(request)[CSRF_COOKIE];
    if (existing && /^[A-Za-z0-9_-]{20,}$/.test(existing)) return existing;
    const fresh = randomToken(24);
    reply.header('set-cookie', cookie(CSRF_COOKIE, fresh, REQUEST_MINUTES * 60 * 3));
    return fresh;
  };
  const csrfToken = (cookieValue: string, requestId: string) => auth.box.mac(`csrf:${cookieValue}:${requestId}`);
  const csrfValid = (request: FastifyRequest, form: Record<string, string>) => {
    const value = cookies(request)[CSRF_COOKIE];
    return Boolean(value && form.csrf && form.request && safeEqual(form.csrf, csrfToken(value, form.request)));
  };

  const frameOf = (request: FastifyRequest, reply: FastifyReply, pending: AuthRequestRow, lang: Lang) => {
    const csrf = csrfToken(csrfCookie(request, reply), pending.id);
    const other: Lang = lang === 'fr' ? 'en' : 'fr';
    return { lang, hidden: { request: pending.id, csrf, lang }, otherLangUrl: `/auth/authorize?resume=${encodeURIComponent(pending.id)}&lang=${other}` };
  };

  const redirectWith = (reply: FastifyReply, pending: AuthRequestRow, params: Record<string, string>) => {
    const target = new URL(pending.params.redirect_uri as string);
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    if (pending.params.state) target.searchParams.set('state', pending.params.state);
    target.searchParams.set('iss', auth.issuer);
    return reply.code(302).header('cache-control', 'no-store').redirect(target.toString());
  };

  /** After the user is known: choose a patient when needed, ask approval when needed, then issue the code. */
  const proceed = async (request: FastifyRequest, reply: FastifyReply, pending: AuthRequestRow, user: UserRow, lang: Lang, form: Record<string, string> = {}) => {
    const client = await findClient(database, pending.clientId);
    if (!client || client.disabled) return html(reply, 400, errorPage({ lang, otherLangUrl: '/auth/authorize', message: 'client' }));
    const wantsPatient = parseScopes(pending.params.scope).other.has('launch/patient') || /(^|\s)patient\//.test(pending.params.scope ?? '');
    let patient = pending.patient;
    if (wantsPatient && !patient && (user.role === 'patient' || user.role === 'proxy')) {
      const patients = await patientsOfUser(database, user, auth.fhirBaseUrl, auth.clock(), auth.config.minorControlAge);
      // An app that knows whom the person wants (the portal's switch between people) names them:
      // `patient_hint`, honoured only when it is one of the persons this user may act for.
      const hint = pending.params.patient_hint;
      if (patients.length === 1) patient = patients[0];
      else if (hint && patients.includes(hint)) patient = hint;
      else if (patients.length > 1) {
        if (form.patient && patients.includes(form.patient)) patient = form.patient;
        else {
          await advanceAuthRequest(database, pending.id, { step: 'patient', userId: user.id });
          const named = await Promise.all(patients.map(async (id) => ({ id, name: await patientName(id) })));
          return html(reply, form.patient !== undefined ? 400 : 200, patientPage({ ...frameOf(request, reply, pending, lang), action: '/auth/patient', patients: named, error: form.patient !== undefined }));
        }
      }
    }
    if (patient) await advanceAuthRequest(database, pending.id, { step: 'approve', userId: user.id, patient });
    if (!client.trusted && form.decision !== 'allow') {
      if (form.decision === 'deny') return redirectWith(reply, pending, { error: 'access_denied', error_description: 'the user denied the request' });
      await advanceAuthRequest(database, pending.id, { step: 'approve', userId: user.id });
      const scopes = formatScopes(userScopes(pending.params.scope ?? '', client, patient)).split(' ').filter(Boolean);
      return html(reply, 200, approvePage({ ...frameOf(request, reply, pending, lang), action: '/auth/approve', clientName: client.name, scopes, userName: user.displayName }));
    }
    const code = randomToken(32);
    await advanceAuthRequest(database, pending.id, { step: 'code', userId: user.id, codeHash: sha256(code) });
    return redirectWith(reply, pending, { code });
  };

  const patientName = async (id: string): Promise<string> => {
    const row = await readCurrent(database, 'Patient', id);
    const name = row?.content ? (JSON.parse(row.content) as { name?: { given?: string[]; family?: string; text?: string }[] }).name?.[0] : undefined;
    return name?.text ?? ([...(name?.given ?? []), name?.family].filter(Boolean).join(' ') || `Patient/${id}`);
  };

  const signedIn = async (reply: FastifyReply, user: UserRow) => {
    const id = randomToken(32);
    const hours = auth.config.sessionHours;
    await insertSession(database, sha256(id), user.id, clock(), new Date(clock().getTime() + hours * 3_600_000));
    reply.header('set-cookie', cookie(SESSION_COOKIE, id, hours * 3600));
  };

  const sessionUser = async (request: FastifyRequest): Promise<UserRow | undefined> => {
    const id = cookies(request)[SESSION_COOKIE];
    if (!id) return undefined;
    const session = await findSession(database, sha256(id), clock());
    const user = session ? await findUser(database, session.userId) : undefined;
    return user && !user.disabled ? user : undefined;
  };

  const loginForm = (request: FastifyRequest, reply: FastifyReply, pending: AuthRequestRow, client: ClientRow, lang: Lang, extra: Partial<Parameters<typeof loginPage>[0]> = {}, status = 200) =>
    html(reply, status, loginPage({ ...frameOf(request, reply, pending, lang), action: '/auth/login', clientName: client.name, ...extra }));

  app.get('/auth/authorize', open, async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const lang = langOf(request);
    const fail = (message: string) => html(reply, 400, errorPage({ lang, otherLangUrl: '/auth/authorize', message }));
    if (q.resume) {
      const pending = await findAuthRequest(database, q.resume, clock());
      const client = pending ? await findClient(database, pending.clientId) : undefined;
      if (!pending || !client) return fail(lang === 'fr' ? 'La demande a expiré.' : 'The request has expired.');
      // The language switch shows the step the person is at (the login form until the password is given).
      if (pending.step === 'totp') return html(reply, 200, totpPage({ ...frameOf(request, reply, pending, lang), action: '/auth/totp' }));
      if (pending.step !== 'login') {
        const user = pending.userId ? await findUser(database, pending.userId) : undefined;
        if (user && !user.disabled) return proceed(request, reply, pending, user, lang);
      }
      return loginForm(request, reply, pending, client, lang);
    }
    const client = q.client_id ? await findClient(database, q.client_id) : undefined;
    if (!client || client.disabled || client.kind === 'backend') return fail(lang === 'fr' ? 'Application inconnue.' : 'Unknown application.');
    if (!q.redirect_uri || !client.redirectUris.includes(q.redirect_uri)) {
      return fail(lang === 'fr' ? 'Adresse de retour non enregistrée pour cette application.' : 'The redirect URI is not registered for this application.');
    }
    const pendingParams: Record<string, string> = {};
    for (const key of ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'nonce', 'aud', 'patient_hint']) {
      if (q[key] !== undefined) pendingParams[key] = q[key] as string;
    }
    const bounce = (error: string, description: string) => {
      const target = new URL(q.redirect_uri as string);
      target.searchParams.set('error', error);
      target.searchParams.set('error_description', description);
      if (q.state) target.searchParams.set('state', q.state);
      target.searchParams.set('iss', auth.issuer);
      return reply.code(302).redirect(target.toString());
    };
    if (q.response_type !== 'code') return bounce('unsupported_response_type', 'response_type must be code');
    if (!q.code_challenge || q.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge)) {
      return bounce('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256');
    }
    if (q.aud && q.aud.replace(/\/+$/, '') !== auth.fhirBaseUrl) return bounce('invalid_request', `aud must be ${auth.fhirBaseUrl}`);
    if (!q.scope) return bounce('invalid_scope', 'scope is required');
    const pending: AuthRequestRow = { id: randomToken(24), clientId: client.id, params: pendingParams, step: 'login', expiresAt: new Date(clock().getTime() + REQUEST_MINUTES * 60_000).toISOString() };
    await insertAuthRequest(database, { id: pending.id, clientId: client.id, params: pendingParams, now: clock(), expiresAt: new Date(pending.expiresAt) });
    const user = await sessionUser(request);
    if (user) return proceed(request, reply, pending, user, lang);
    return loginForm(request, reply, pending, client, lang);
  });

  /** The pending request a form belongs to, checked against its CSRF token and expected step. */
  const pendingOf = async (request: FastifyRequest, reply: FastifyReply, form: Record<string, string>, steps: readonly string[]) => {
    const lang = langOf(request, form);
    const expired = () => html(reply, 400, errorPage({ lang, otherLangUrl: '/auth/authorize', message: lang === 'fr' ? 'La page a expiré. Recommencez la connexion depuis l’application.' : 'This page has expired. Start signing in again from the application.' }));
    if (!csrfValid(request, form)) return { lang, refused: expired() };
    const pending = await findAuthRequest(database, form.request as string, clock());
    if (!pending || !steps.includes(pending.step)) return { lang, refused: expired() };
    return { lang, pending };
  };

  app.post('/auth/login', open, async (request, reply) => {
    const form = formBody(request);
    const { lang, pending, refused } = await pendingOf(request, reply, form, ['login']);
    if (!pending) return refused;
    const client = await findClient(database, pending.clientId);
    if (!client) return html(reply, 400, errorPage({ lang, otherLangUrl: '/auth/authorize', message: 'client' }));
    const username = (form.username ?? '').trim();
    const missing = [...(username ? [] : ['username' as const]), ...(form.password ? [] : ['password' as const])];
    if (missing.length) return loginForm(request, reply, pending, client, lang, { username, missing }, 400);
    const result = await auth.login.checkPassword(username, form.password as string, request.ip, client.id);
    if (typeof result === 'string') return loginForm(request, reply, pending, client, lang, { username, error: result }, result === 'throttled' || result === 'locked' ? 429 : 401);
    if (mustUseSecondFactor(result.role)) {
      await advanceAuthRequest(database, pending.id, { step: 'totp', userId: result.id });
      return html(reply, 200, totpPage({ ...frameOf(request, reply, pending, lang), action: '/auth/totp' }));
    }
    await auth.login.succeeded(result, request.ip, client.id);
    await advanceAuthRequest(database, pending.id, { step: 'approve', userId: result.id, authTime: clock().toISOString() });
    await signedIn(reply, result);
    return proceed(request, reply, { ...pending, authTime: clock().toISOString() }, result, lang);
  });

  app.post('/auth/totp', open, async (request, reply) => {
    const form = formBody(request);
    const { lang, pending, refused } = await pendingOf(request, reply, form, ['totp']);
    if (!pending) return refused;
    const user = pending.userId ? await findUser(database, pending.userId) : undefined;
    if (!user || user.disabled) return html(reply, 400, errorPage({ lang, otherLangUrl: '/auth/authorize', message: 'user' }));
    const step = user.totpSecret ? await auth.login.checkSecondFactor(user, form.code ?? '', request.ip, pending.clientId) : undefined;
    if (step === undefined) return html(reply, 401, totpPage({ ...frameOf(request, reply, pending, lang), action: '/auth/totp', error: true }));
    await auth.login.succeeded(user, request.ip, pending.clientId, step);
    await advanceAuthRequest(database, pending.id, { step: 'approve', authTime: clock().toISOString() });
    await signedIn(reply, user);
    return proceed(request, reply, pending, user, lang);
  });

  const afterLogin = async (request: FastifyRequest, reply: FastifyReply) => {
    const form = formBody(request);
    const { lang, pending, refused } = await pendingOf(request, reply, form, ['patient', 'approve']);
    if (!pending) return refused;
    const user = pending.userId ? await findUser(database, pending.userId) : undefined;
    if (!user || user.disabled) return html(reply, 400, errorPage({ lang, otherLangUrl: '/auth/authorize', message: 'user' }));
    return proceed(request, reply, pending, user, lang, { ...form, patient: form.patient ?? '' });
  };
  app.post('/auth/patient', open, afterLogin);
  app.post('/auth/approve', open, afterLogin);

  app.post('/auth/logout', open, async (request, reply) => {
    const id = cookies(request)[SESSION_COOKIE];
    if (id) await deleteSession(database, sha256(id));
    return reply.header('set-cookie', cookie(SESSION_COOKIE, '', 0)).code(204).send();
  });
}
