import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { findClient, findGrant, refreshTokenGrant, rememberAssertion, type ClientRow } from '../storage/auth-store.js';
import type { Database } from '../storage/database.js';
import { OAuthError } from './errors.js';
import { verifySecret } from './passwords.js';
import { sha256 } from './secrets.js';

/**
 * Client authentication at the token, revocation and introspection endpoints: client_secret_basic,
 * client_secret_post, private_key_jwt (SMART Backend Services: a JWT signed with a key the client
 * registered as a JWKS or a JWKS URL), or none for public clients (which must then use PKCE). A public
 * client refreshing may send its refresh token alone, without client_id: the token names its grant, and so
 * its client (this is what fhirclient does, RFC 6749 §6 asks client_id of no public client).
 */
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGS = ['RS384', 'ES384', 'RS256', 'ES256', 'PS384'];

export interface AuthenticatedClient {
  readonly client: ClientRow;
  readonly method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded.
  const part = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return { id: part(decoded.slice(0, colon)), secret: part(decoded.slice(colon + 1)) };
}

export class ClientAuthenticator {
  private readonly remoteKeys = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly db: Database, private readonly tokenUrl: string, private readonly clock: () => Date) {}

  async authenticate(form: Record<string, string>, authorization: string | undefined, allowPublic: boolean): Promise<AuthenticatedClient> {
    const basic = basicCredentials(authorization);
    if (basic) return { client: await this.bySecret(basic.id, basic.secret), method: 'client_secret_basic' };
    if (form.client_assertion_type || form.client_assertion) {
      if (form.client_assertion_type !== ASSERTION_TYPE || !form.client_assertion) throw new OAuthError('invalid_client', `client_assertion_type must be ${ASSERTION_TYPE}`, 401);
      return { client: await this.byAssertion(form.client_assertion, form.client_id), method: 'private_key_jwt' };
    }
    if (form.client_id && form.client_secret) return { client: await this.bySecret(form.client_id, form.client_secret), method: 'client_secret_post' };
    if (!form.client_id && allowPublic && form.grant_type === 'refresh_token' && form.refresh_token) {
      return { client: await this.publicClientOfRefreshToken(form.refresh_token), method: 'none' };
    }
    if (form.client_id && allowPublic) {
      const client = await findClient(this.db, form.client_id);
      if (!client || client.disabled || client.kind !== 'public') throw new OAuthError('invalid_client', 'unknown client, or the client must authenticate', 401);
      return { client, method: 'none' };
    }
    throw new OAuthError('invalid_client', 'client authentication is required', 401);
  }

  /**
   * The public client a refresh token was issued to, looked up without using the token (rotation and reuse
   * detection happen afterwards, in the refresh grant). A confidential or backend client's token still needs
   * that client's authentication.
   */
  private async publicClientOfRefreshToken(refreshToken: string): Promise<ClientRow> {
    const refresh = await refreshTokenGrant(this.db, sha256(refreshToken));
    const grant = refresh ? await findGrant(this.db, refresh.grantId) : undefined;
    if (!grant) throw new OAuthError('invalid_grant', 'unknown refresh token');
    const client = await findClient(this.db, grant.clientId);
    if (!client || client.disabled || client.kind !== 'public') throw new OAuthError('invalid_client', 'client authentication is required', 401);
    return client;
  }

  private async bySecret(id: string, secret: string): Promise<ClientRow> {
    const client = await findClient(this.db, id);
    if (!client || client.disabled || client.kind !== 'confidential' || !client.secretHash || !(await verifySecret(client.secretHash, secret))) {
      throw new OAuthError('invalid_client', 'client authentication failed', 401);
    }
    return client;
  }

  private async byAssertion(assertion: string, clientIdParam: string | undefined): Promise<ClientRow> {
    let claimed: string | undefined;
    let jku: string | undefined;
    try {
      claimed = decodeJwt(assertion).iss;
      jku = decodeProtectedHeader(assertion).jku;
    } catch {
      throw new OAuthError('invalid_client', 'client_assertion is not a JWT', 401);
    }
    if (!claimed || (clientIdParam && clientIdParam !== claimed)) throw new OAuthError('invalid_client', 'client_assertion iss must be the client_id', 401);
    const client = await findClient(this.db, claimed);
    if (!client || client.disabled || client.kind !== 'backend' || (!client.jwks && !client.jwksUri)) {
      throw new OAuthError('invalid_client', 'client authentication failed', 401);
    }
    // SMART Backend Services: a `jku` header, when present, must be the JWKS URL the client registered; keys
    // are never fetched from a URL the assertion names itself.
    if (jku !== undefined && jku !== client.jwksUri) throw new OAuthError('invalid_client', 'the jku header is not the JWKS URL registered for this client', 401);
    const now = this.clock();
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, this.keysOf(client), {
        issuer: client.id, subject: client.id, audience: this.tokenUrl, algorithms: ASSERTION_ALGS, currentDate: now, requiredClaims: ['exp', 'jti'],
      }));
    } catch (error) {
      throw new OAuthError('invalid_client', `client_assertion rejected: ${(error as Error).message}`, 401);
    }
    const exp = (payload.exp as number) * 1000;
    if (exp - now.getTime() > 5 * 60_000) throw new OAuthError('invalid_client', 'client_assertion must expire within five minutes', 401);
    if (!(await rememberAssertion(this.db, client.id, String(payload.jti), new Date(exp), now))) {
      throw new OAuthError('invalid_client', 'client_assertion jti was already used', 401);
    }
    return client;
  }

  private keysOf(client: ClientRow): JWTVerifyGetKey {
    if (client.jwks) return createLocalJWKSet(JSON.parse(client.jwks) as Parameters<typeof createLocalJWKSet>[0]);
    const url = client.jwksUri as string;
    let keys = this.remoteKeys.get(url);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(url), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 });
      this.remoteKeys.set(url, keys);
    }
    return keys;
  }
}
