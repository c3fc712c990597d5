import { createHash } from 'node:crypto';
import { formatScopes, intersectScopes, onlyContexts, parseScopes, withKnownTypes, type ParsedScopes } from '../access/scopes.js';
import { fhirDefinitions } from '../fhir/definitions.js';
import { isRole, requiresSecondFactor, type Role } from '../access/roles.js';
import { DEFAULT_MINOR_CONTROL_AGE, proxyNarrows } from '../access/minors.js';
import { parseLocalReference } from '../fhir/references.js';
import {
  addRevocation, findGrant, findUser, insertGrant, liveUserGrants, insertRefreshToken, redeemCode, refreshTokenGrant, revokeGrant, setRequestGrant,
  useRefreshToken, type ClientRow, type GrantRow, type UserRow,
} from '../storage/auth-store.js';
import type { UserGrantRow } from '../storage/auth-store.js';
import type { Database, Queryable } from '../storage/database.js';
import { readCurrent } from '../storage/resource-store.js';
import type { AuthenticatedClient } from './client-auth.js';
import { OAuthError } from './errors.js';
import { randomToken, sha256 } from './secrets.js';
import type { AccessClaims, TokenService } from './tokens.js';

/**
 * The authorization server's decisions: what a user or client is granted, and the token endpoint's grant
 * types (authorization_code with PKCE, client_credentials, refresh_token with rotation), revocation and
 * introspection. HTTP lives in src/http/oauth-plugin.ts.
 */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  readonly patient?: string;
  readonly need_patient_banner?: boolean;
  readonly smart_style_url?: string;
}

export interface AuthorityOptions {
  readonly fhirBaseUrl: string;
  readonly refreshDays: number;
  readonly clock: () => Date;
  /** From this age a minor controls their record and a proxy's access narrows (access/minors.ts). */
  readonly minorControlAge?: number;
}

/** One person a user's record access covers, and how: their own record, or as a proxy (narrowed or not). */
export interface ActingFor {
  readonly patient: string;
  readonly self: boolean;
  /** The RelatedPerson that makes the user a proxy for this person. */
  readonly relatedPerson?: string;
  readonly relationship?: { readonly code?: string; readonly display?: string; readonly text?: string };
  /** A minor past the control age (access/minors.ts): the proxy keeps the person and their appointments only. */
  readonly narrowed: boolean;
}

/**
 * Whom a user's record access covers: a patient's own Patient, then the persons their RelatedPersons (active,
 * in period) name — a proxy's, or a patient's who also acts for someone (a parent with a record of their own).
 */
export async function actingFor(db: Queryable, user: UserRow, baseUrl: string, at: Date, controlAge = DEFAULT_MINOR_CONTROL_AGE): Promise<ActingFor[]> {
  if (user.role !== 'patient' && user.role !== 'proxy') return [];
  const out: ActingFor[] = [];
  if (user.role === 'patient') {
    const ref = user.fhirUser ? parseLocalReference(user.fhirUser, baseUrl) : undefined;
    if (ref?.resourceType === 'Patient') out.push({ patient: ref.id, self: true, narrowed: false });
  }
  for (const link of user.proxyFor) {
    const ref = parseLocalReference(link, baseUrl);
    if (ref?.resourceType !== 'RelatedPerson') continue;
    const row = await readCurrent(db, 'RelatedPerson', ref.id);
    if (!row?.content || row.deleted) continue;
    const person = JSON.parse(row.content) as { active?: boolean; patient?: { reference?: string }; period?: { start?: string; end?: string };
      relationship?: { text?: string; coding?: { code?: string; display?: string }[] }[] };
    const now = at.getTime();
    if (person.active === false) continue;
    if (person.period?.end && Date.parse(person.period.end) < now) continue;
    const patient = person.patient?.reference ? parseLocalReference(person.patient.reference, baseUrl) : undefined;
    if (patient?.resourceType !== 'Patient' || out.some((o) => o.patient === patient.id)) continue;
    const target = await readCurrent(db, 'Patient', patient.id);
    const birthDate = target?.content ? (JSON.parse(target.content) as { birthDate?: string }).birthDate : undefined;
    const rel = person.relationship?.[0];
    const coding = rel?.coding?.[0];
    out.push({
      patient: patient.id, self: false, relatedPerson: `RelatedPerson/${ref.id}`, narrowed: proxyNarrows(birthDate, at, controlAge),
      ...(rel ? { relationship: { ...(coding?.code ? { code: coding.code } : {}), ...(coding?.display ? { display: coding.display } : {}), ...(rel.text ? { text: rel.text } : {}) } } : {}),
    });
  }
  return out;
}

/** The patients a user's record access covers: their own Patient, or those their RelatedPersons act for. */
export async function patientsOfUser(db: Queryable, user: UserRow, baseUrl: string, at: Date, controlAge = DEFAULT_MINOR_CONTROL_AGE): Promise<string[]> {
  return (await actingFor(db, user, baseUrl, at, controlAge)).map((a) => a.patient);
}

/** The token claims of whom a user acts for: every patient, and those narrowed. */
async function patientClaims(db: Queryable, user: UserRow, baseUrl: string, at: Date, controlAge: number): Promise<{ patients: string[]; narrowed: string[] }> {
  const acting = await actingFor(db, user, baseUrl, at, controlAge);
  return { patients: acting.map((a) => a.patient), narrowed: acting.filter((a) => a.narrowed).map((a) => a.patient) };
}

/** What a client asked for, its resource scopes limited to the R4 resource types. */
function requestedScopes(text: string): ParsedScopes {
  return withKnownTypes(parseScopes(text), fhirDefinitions().resourceTypes);
}

/** The scopes a user gets from what the app asked: within the client's registration, never system/. */
export function userScopes(requested: string, client: ClientRow, launchPatient: string | undefined): ParsedScopes {
  let scopes = onlyContexts(intersectScopes(requestedScopes(requested), parseScopes(client.scope)), launchPatient ? ['patient', 'user'] : ['user']);
  if (!launchPatient) scopes = { ...scopes, other: new Set([...scopes.other].filter((s) => s !== 'launch/patient')) };
  return scopes;
}

export function userClaims(user: UserRow, client: ClientRow, scopes: ParsedScopes, patients: readonly string[], launchPatient: string | undefined, narrowed: readonly string[] = []): AccessClaims {
  if (!isRole(user.role)) throw new OAuthError('access_denied', 'this account has no valid role');
  return {
    sub: user.id, client_id: client.id, scope: formatScopes(scopes), kind: 'user', role: user.role, name: user.displayName,
    ...(user.fhirUser ? { fhirUser: user.fhirUser } : {}),
    ...(user.organization ? { org: user.organization } : {}),
    ...(user.practitionerRole ? { practitionerRole: user.practitionerRole } : {}),
    ...(patients.length ? { patients } : {}),
    ...(narrowed.length ? { narrowed } : {}),
    ...(launchPatient ? { patient: launchPatient } : {}),
  };
}

function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export class Authority {
  constructor(private readonly db: Database, private readonly tokens: TokenService, private readonly options: AuthorityOptions) {}

  private get now(): Date {
    return this.options.clock();
  }

  private get controlAge(): number {
    return this.options.minorControlAge ?? DEFAULT_MINOR_CONTROL_AGE;
  }

  /** Whom a user acts for (the portal's switch between people, GET /auth/persons). */
  async actingFor(userId: string): Promise<ActingFor[]> {
    const user = await findUser(this.db, userId);
    return user && !user.disabled ? actingFor(this.db, user, this.options.fhirBaseUrl, this.now, this.controlAge) : [];
  }

  /** client_credentials: a system acting for itself (SMART Backend Services). */
  async clientCredentials(auth: AuthenticatedClient, form: Record<string, string>): Promise<TokenResponse> {
    const { client } = auth;
    if (client.kind === 'public') throw new OAuthError('unauthorized_client', 'a public client cannot use client_credentials');
    // SMART Backend Services: scope is required; an empty one asks for nothing and gets nothing.
    if (form.scope === undefined) throw new OAuthError('invalid_request', 'scope is required');
    const requested = requestedScopes(form.scope);
    const scopes = onlyContexts(intersectScopes(requested, parseScopes(client.scope)), ['system']);
    if (scopes.resources.length === 0) throw new OAuthError('invalid_scope', 'none of the requested scopes is permitted to this client (system/… scopes)');
    const claims: AccessClaims = {
      sub: client.id, client_id: client.id, scope: formatScopes({ ...scopes, other: new Set() }), kind: 'client', role: 'system', name: client.name,
      ...(client.organization ? { org: client.organization } : {}), ...(client.platform ? { platform: true } : {}),
      ...(client.project ? { project: client.project } : {}),
    };
    const { token, expiresIn } = await this.tokens.issueAccessToken(claims);
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: claims.scope };
  }

  /** authorization_code: redeems a code once, with its PKCE verifier and redirect URI. */
  async authorizationCode(auth: AuthenticatedClient, form: Record<string, string>): Promise<TokenResponse> {
    if (!form.code) throw new OAuthError('invalid_request', 'code is required');
    const redeemed = await this.db.transaction(async (tx) => redeemCode(tx, sha256(form.code as string), this.now));
    if (!redeemed) throw new OAuthError('invalid_grant', 'the authorization code is invalid or expired');
    const { request, reused } = redeemed;
    if (reused) {
      // RFC 6749 §4.1.2: a code used twice revokes what it granted.
      if (request.grantId) await this.revokeGrantNow(request.grantId);
      throw new OAuthError('invalid_grant', 'the authorization code was already used');
    }
    const params = request.params;
    if (request.clientId !== auth.client.id) throw new OAuthError('invalid_grant', 'the code was issued to another client');
    if (form.redirect_uri !== params.redirect_uri) throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
    if (!form.code_verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(form.code_verifier) || pkceChallenge(form.code_verifier) !== params.code_challenge) {
      throw new OAuthError('invalid_grant', 'the PKCE code_verifier does not match the code_challenge');
    }
    const user = request.userId ? await findUser(this.db, request.userId) : undefined;
    if (!user || user.disabled) throw new OAuthError('invalid_grant', 'the user is not active');
    const { patients, narrowed } = await patientClaims(this.db, user, this.options.fhirBaseUrl, this.now, this.controlAge);
    const launchPatient = request.patient;
    const scopes = userScopes(params.scope ?? '', auth.client, launchPatient);
    const claims = userClaims(user, auth.client, scopes, patients, launchPatient, narrowed);
    const grant = await this.newGrant(auth.client, user.id, claims, launchPatient);
    await setRequestGrant(this.db, request.id, grant.id);
    return this.issue(grant, claims, scopes, { nonce: params.nonce, authTime: request.authTime, withRefresh: true });
  }

  /** refresh_token: rotates the refresh token; a reused one revokes the whole grant (it was stolen). */
  async refresh(auth: AuthenticatedClient, form: Record<string, string>): Promise<TokenResponse> {
    if (!form.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required');
    const used = await this.db.transaction((tx) => useRefreshToken(tx, sha256(form.refresh_token as string), this.now));
    if (!used) throw new OAuthError('invalid_grant', 'unknown refresh token');
    const grant = await findGrant(this.db, used.grantId);
    if (!grant || grant.clientId !== auth.client.id) throw new OAuthError('invalid_grant', 'unknown refresh token');
    if (used.reused) {
      await this.revokeGrantNow(grant.id);
      throw new OAuthError('invalid_grant', 'the refresh token was already used: every token of this grant is revoked');
    }
    if (used.expired || grant.revokedAt || Date.parse(grant.expiresAt) <= this.now.getTime()) throw new OAuthError('invalid_grant', 'the refresh token has expired or was revoked');
    let claims = grant.claims as unknown as AccessClaims;
    if (claims.kind === 'user') {
      const user = await findUser(this.db, grant.userId ?? '');
      if (!user || user.disabled) throw new OAuthError('invalid_grant', 'the user is not active');
      // Recomputed at each refresh: a link ended, or a minor's control-age birthday, takes effect now.
      const { patients, narrowed } = await patientClaims(this.db, user, this.options.fhirBaseUrl, this.now, this.controlAge);
      const { narrowed: _stale, ...rest } = claims;
      claims = { ...rest, patients, ...(narrowed.length ? { narrowed } : {}) };
    }
    let scopes = parseScopes(grant.scope);
    if (form.scope) {
      // A refresh may narrow the scopes, never widen them.
      scopes = intersectScopes(requestedScopes(form.scope), scopes);
      claims = { ...claims, scope: formatScopes(scopes) };
    }
    return this.issue(grant, claims, scopes, { withRefresh: true });
  }

  private async newGrant(client: ClientRow, userId: string | undefined, claims: AccessClaims, patient: string | undefined): Promise<GrantRow> {
    const grant: Omit<GrantRow, 'revokedAt'> = {
      id: randomToken(16), clientId: client.id, ...(userId ? { userId } : {}), scope: claims.scope, ...(patient ? { patient } : {}),
      claims: claims as unknown as Record<string, unknown>,
      expiresAt: new Date(this.now.getTime() + this.options.refreshDays * 86_400_000).toISOString(),
    };
    await insertGrant(this.db, grant, this.now);
    return grant;
  }

  private async issue(grant: Omit<GrantRow, 'revokedAt'>, claims: AccessClaims, scopes: ParsedScopes, o: { nonce?: string | undefined; authTime?: string | undefined; withRefresh: boolean }): Promise<TokenResponse> {
    const { token, expiresIn } = await this.tokens.issueAccessToken({ ...claims, grant: grant.id });
    let refresh: string | undefined;
    if (o.withRefresh && (scopes.other.has('offline_access') || scopes.other.has('online_access'))) {
      refresh = randomToken(32);
      await insertRefreshToken(this.db, sha256(refresh), grant.id, this.now, new Date(grant.expiresAt));
    }
    let idToken: string | undefined;
    if (scopes.other.has('openid') && claims.kind === 'user') {
      idToken = await this.tokens.issueIdToken({
        sub: claims.sub, name: claims.name,
        ...(scopes.other.has('fhirUser') && claims.fhirUser ? { fhirUser: `${this.options.fhirBaseUrl}/${claims.fhirUser}` } : {}),
        ...(o.nonce ? { nonce: o.nonce } : {}),
        ...(o.authTime ? { auth_time: Math.floor(Date.parse(o.authTime) / 1000) } : {}),
      }, grant.clientId, 3600);
    }
    return {
      access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: claims.scope,
      ...(refresh ? { refresh_token: refresh } : {}), ...(idToken ? { id_token: idToken } : {}),
      ...(claims.patient ? { patient: claims.patient, need_patient_banner: true } : {}),
    };
  }

  async revokeGrantNow(grantId: string): Promise<void> {
    await revokeGrant(this.db, grantId, this.now, new Date(this.now.getTime() + this.tokens.accessSeconds * 1000 + 60_000));
    this.tokens.noteRevoked(`grant:${grantId}`);
  }

  /** The apps a person has authorised (their live grants), for them to see and withdraw. */
  userGrants(userId: string): Promise<UserGrantRow[]> {
    return liveUserGrants(this.db, userId, this.now);
  }

  /**
   * A person withdraws one of their grants: its refresh tokens stop working and its access tokens are
   * refused from now on. Only their own and only a live one: another's, or one already revoked, is `false`
   * (answered as absent — nobody learns which grants exist).
   */
  async revokeUserGrant(userId: string, grantId: string): Promise<boolean> {
    const grant = await findGrant(this.db, grantId);
    if (!grant || grant.userId !== userId || grant.revokedAt || Date.parse(grant.expiresAt) <= this.now.getTime()) return false;
    await this.revokeGrantNow(grant.id);
    return true;
  }

  /** RFC 7009: revokes a refresh token (its whole grant) or an access token; unknown tokens are not an error. */
  async revoke(auth: AuthenticatedClient, token: string): Promise<void> {
    const refresh = await refreshTokenGrant(this.db, sha256(token));
    if (refresh) {
      const grant = await findGrant(this.db, refresh.grantId);
      if (grant && grant.clientId === auth.client.id) await this.revokeGrantNow(grant.id);
      return;
    }
    const claims = await this.tokens.verify(token);
    if (!claims || claims.client_id !== auth.client.id || !claims.jti) return;
    await addRevocation(this.db, `jti:${claims.jti}`, this.now, new Date((claims.exp ?? 0) * 1000 + 60_000));
    this.tokens.noteRevoked(`jti:${claims.jti}`);
  }

  /** RFC 7662 introspection of an access or refresh token. */
  async introspect(token: string): Promise<Record<string, unknown>> {
    const claims = await this.tokens.verify(token);
    if (claims) {
      return {
        active: true, scope: claims.scope, client_id: claims.client_id, sub: claims.sub, exp: claims.exp, iat: claims.iat, iss: claims.iss,
        token_type: 'Bearer', ...(claims.patient ? { patient: claims.patient } : {}),
        ...(claims.fhirUser ? { fhirUser: `${this.options.fhirBaseUrl}/${claims.fhirUser}` } : {}), role: claims.role,
      };
    }
    const refresh = await refreshTokenGrant(this.db, sha256(token));
    if (refresh && !refresh.used && Date.parse(refresh.expiresAt) > this.now.getTime()) {
      const grant = await findGrant(this.db, refresh.grantId);
      if (grant && !grant.revokedAt) {
        return { active: true, scope: grant.scope, client_id: grant.clientId, sub: grant.userId ?? grant.clientId, exp: Math.floor(Date.parse(refresh.expiresAt) / 1000), token_type: 'refresh_token' };
      }
    }
    return { active: false };
  }
}

export function mustUseSecondFactor(role: string): boolean {
  return isRole(role) && requiresSecondFactor(role as Role);
}
