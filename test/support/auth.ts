import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { totp } from '../../src/auth/totp.js';
import type { TestCarnet } from './harness.js';

/** Tokens for tests, through the real flows over the real HTTP server (fastify inject). */

type Inject = Awaited<ReturnType<TestCarnet['carnet']['server']['inject']>>;

export const REDIRECT = 'https://app.example/callback';

export async function admin(t: TestCarnet, method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await t.request(method, url, { ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}) });
  return { status: r.status, body: r.body };
}

export async function createUser(t: TestCarnet, input: Record<string, unknown>): Promise<{ id: string; totp?: { secret: string } }> {
  const r = await admin(t, 'POST', '/auth/admin/users', input);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

export async function registerClient(t: TestCarnet, input: Record<string, unknown>): Promise<void> {
  const r = await admin(t, 'POST', '/auth/admin/clients', input);
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

function cookieJar() {
  const jar = new Map<string, string>();
  return {
    take(response: Inject) {
      const set = response.headers['set-cookie'];
      for (const line of Array.isArray(set) ? set : set ? [set] : []) {
        const [pair] = String(line).split(';');
        const eq = (pair as string).indexOf('=');
        jar.set((pair as string).slice(0, eq), (pair as string).slice(eq + 1));
      }
    },
    header: () => [...jar.entries()].map(([k, v]) => `${k}=${v}`).join('; '),
  };
}

export function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[m[1] as string] = (m[2] as string).replace(/&amp;/g, '&');
  return out;
}

export interface CodeFlow {
  readonly username: string;
  readonly password: string;
  readonly totpSecret?: string;
  readonly scope: string;
  readonly clientId?: string;
  /** A confidential client's secret: the code is redeemed with client_secret_basic. */
  readonly clientSecret?: string;
  readonly patient?: string;
  /** More authorization request parameters (e.g. `patient_hint`). */
  readonly extra?: Record<string, string>;
  /** Deny at the approval screen. */
  readonly deny?: boolean;
  readonly clock?: () => Date;
}

export interface FlowResult {
  readonly token?: { access_token: string; refresh_token?: string; id_token?: string; scope: string; patient?: string };
  readonly location?: string;
  readonly pages: string[];
  readonly status: number;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The authorization-code flow with PKCE, through the login form, the second factor, patient choice and approval. */
export async function codeFlow(t: TestCarnet, flow: CodeFlow): Promise<FlowResult> {
  const server = t.carnet.server;
  const clientId = flow.clientId ?? 'test-app';
  const { verifier, challenge } = pkce();
  const jar = cookieJar();
  const pages: string[] = [];
  const q = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: flow.scope, state: 'st-123', aud: t.base,
    code_challenge: challenge, code_challenge_method: 'S256', nonce: 'n-1', ...(flow.extra ?? {}),
  });
  let response = await server.inject({ method: 'GET', url: `/auth/authorize?${q}` });
  jar.take(response);
  for (let step = 0; step < 6 && response.statusCode !== 302; step++) {
    const html = response.body;
    pages.push(html);
    if (response.statusCode >= 400 && !/name="request"/.test(html)) return { pages, status: response.statusCode };
    const fields = hiddenFields(html);
    let url: string;
    let form: Record<string, string>;
    if (html.includes('action="/auth/login"')) {
      if (step > 0) return { pages, status: response.statusCode };
      url = '/auth/login';
      form = { ...fields, username: flow.username, password: flow.password };
    } else if (html.includes('action="/auth/totp"')) {
      if (pages.filter((p) => p.includes('action="/auth/totp"')).length > 1) return { pages, status: response.statusCode };
      url = '/auth/totp';
      form = { ...fields, code: flow.totpSecret ? totp(flow.totpSecret, (flow.clock ?? (() => new Date()))()) : '000000' };
    } else if (html.includes('action="/auth/patient"')) {
      url = '/auth/patient';
      form = { ...fields, ...(flow.patient ? { patient: flow.patient } : {}) };
    } else if (html.includes('action="/auth/approve"')) {
      url = '/auth/approve';
      form = { ...fields, decision: flow.deny ? 'deny' : 'allow' };
    } else {
      return { pages, status: response.statusCode };
    }
    response = await server.inject({
      method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() }, payload: new URLSearchParams(form).toString(),
    });
    jar.take(response);
  }
  const location = String(response.headers.location ?? '');
  const code = new URL(location).searchParams.get('code');
  if (!code) return { location, pages, status: response.statusCode };
  const basic = flow.clientSecret ? { authorization: `Basic ${Buffer.from(`${clientId}:${flow.clientSecret}`).toString('base64')}` } : {};
  const token = await server.inject({
    method: 'POST', url: '/auth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic },
    payload: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier }).toString(),
  });
  assert.equal(token.statusCode, 200, token.body);
  return { token: token.json(), location, pages, status: 200 };
}

export async function tokenRequest(t: TestCarnet, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Inject> {
  return t.carnet.server.inject({
    method: 'POST', url: '/auth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(form).toString(),
  });
}

export async function clientSecretToken(t: TestCarnet, id: string, secret: string, scope: string): Promise<string> {
  const r = await tokenRequest(t, { grant_type: 'client_credentials', scope }, { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
  assert.equal(r.statusCode, 200, r.body);
  return r.json().access_token;
}

export interface BackendKey {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
  readonly kid: string;
}

export async function backendKey(kid: string, alg: 'RS384' | 'ES384' = 'ES384'): Promise<BackendKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey: privateKey as CryptoKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, kid };
}

export async function assertion(t: TestCarnet, clientId: string, key: BackendKey, overrides: { aud?: string; exp?: number; jti?: string; jku?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: key.jwk.alg as string, kid: key.kid, typ: 'JWT', ...(overrides.jku ? { jku: overrides.jku } : {}) })
    .setIssuer(clientId).setSubject(clientId).setAudience(overrides.aud ?? 'http://carnet.test/auth/token')
    .setExpirationTime(overrides.exp ?? now + 240).setJti(overrides.jti ?? randomBytes(12).toString('hex'))
    .sign(key.privateKey);
}

export async function assertionToken(t: TestCarnet, clientId: string, key: BackendKey, scope: string, overrides: Parameters<typeof assertion>[3] = {}): Promise<Inject> {
  return tokenRequest(t, {
    grant_type: 'client_credentials', scope,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion(t, clientId, key, overrides),
  });
}

/** Directory resources every access test needs: two organisations, practitioners and their roles. */
export async function seedDirectory(t: TestCarnet): Promise<void> {
  const put = async (resource: Record<string, unknown>) => {
    const r = await t.request('PUT', `/fhir/${resource.resourceType}/${resource.id}`, { body: resource });
    assert.ok(r.status === 200 || r.status === 201, r.text);
  };
  for (const org of ['org-a', 'org-b', 'org-pharm']) await put({ resourceType: 'Organization', id: org, name: org });
  const pros: [string, string][] = [['dr-a', 'org-a'], ['nurse-a', 'org-a'], ['dr-b', 'org-b'], ['pharm', 'org-pharm']];
  for (const [id, org] of pros) {
    await put({ resourceType: 'Practitioner', id, name: [{ family: id }], identifier: [{ system: 'urn:licence', value: `L-${id}` }] });
    await put({ resourceType: 'PractitionerRole', id: `${id}-role`, practitioner: { reference: `Practitioner/${id}` }, organization: { reference: `Organization/${org}` } });
  }
  await registerClient(t, {
    id: 'test-app', name: 'Test app', kind: 'public', redirectUris: [REDIRECT],
    scope: 'openid fhirUser profile offline_access online_access launch/patient patient/*.cruds user/*.cruds',
  });
}

export const PASSWORD = 'correct horse battery staple';

/** A professional account and a token for it (password, TOTP, PKCE, approval). */
export async function professionalToken(t: TestCarnet, username: string, role: string, practitioner: string, scope = 'openid fhirUser user/*.cruds'): Promise<string> {
  const user = await createUser(t, { username, password: PASSWORD, displayName: username, role, fhirUser: `Practitioner/${practitioner}`, practitionerRole: `PractitionerRole/${practitioner}-role` });
  const result = await codeFlow(t, { username, password: PASSWORD, totpSecret: user.totp?.secret as string, scope });
  assert.ok(result.token, `login of ${username} failed: ${result.status}`);
  return result.token.access_token;
}
