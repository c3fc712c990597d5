import { errors as joseErrors, importJWK, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { parseScopes } from '../access/scopes.js';
import type { Principal } from '../access/principal.js';
import { isRole } from '../access/roles.js';
import { revocationsSince } from '../storage/auth-store.js';
import type { Database } from '../storage/database.js';
import { KeyRing, SIGNING_ALG } from './keys.js';
import { randomToken } from './secrets.js';

/**
 * Access tokens are signed JWTs (RFC 9068 profile): the principal travels in the token, so a request is
 * authenticated without a database round trip. Revocation (of a token or of a whole grant) is recorded in
 * the database; each process keeps the list in memory, refreshed at most every second.
 */
export interface AccessClaims {
  readonly sub: string;
  readonly client_id: string;
  readonly scope: string;
  readonly kind: 'user' | 'client';
  readonly role: string;
  readonly name: string;
  readonly fhirUser?: string;
  readonly org?: string;
  readonly practitionerRole?: string;
  readonly patients?: readonly string[];
  /** Of `patients`, the minors past the control age, for whom a proxy's access narrows (access/minors.ts). */
  readonly narrowed?: readonly string[];
  readonly patient?: string;
  readonly platform?: boolean;
  readonly grant?: string;
  /** A research project's client (docs/research.md). */
  readonly project?: string;
}

/** How many verified tokens a process remembers (a few MB at most). */
const VERIFIED_CACHE_SIZE = 10_000;

export class TokenService {
  private revoked = new Set<string>();
  /** Imported verification keys by kid (importing a JWK costs more than verifying a signature). */
  private readonly verifiers = new Map<string, Promise<CryptoKey | Uint8Array>>();
  private revokedSeenUntil: string | undefined;
  private revokedCheckedAt = 0;
  /**
   * Tokens already verified, by their exact text: a client sends the same token on every request until it
   * expires, and checking its signature again costs more than the rest of a read. The text includes the
   * signature, so a hit is the same signed token; expiry and revocation are still checked on every use.
   */
  private readonly verified = new Map<string, AccessClaims & JWTPayload>();

  constructor(
    readonly keys: KeyRing,
    private readonly db: Database,
    readonly issuer: string,
    readonly audience: string,
    readonly accessSeconds: number,
    private readonly clock: () => Date,
  ) {}

  async issueAccessToken(claims: AccessClaims): Promise<{ token: string; jti: string; expiresIn: number }> {
    const { kid, privateKey } = await this.keys.signer();
    const jti = randomToken(16);
    const now = Math.floor(this.clock().getTime() / 1000);
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'at+jwt' })
      .setIssuer(this.issuer).setAudience(this.audience).setIssuedAt(now).setExpirationTime(now + this.accessSeconds).setJti(jti)
      .sign(privateKey);
    return { token, jti, expiresIn: this.accessSeconds };
  }

  async issueIdToken(claims: Record<string, unknown>, clientId: string, seconds: number): Promise<string> {
    const { kid, privateKey } = await this.keys.signer();
    const now = Math.floor(this.clock().getTime() / 1000);
    return new SignJWT(claims).setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'JWT' })
      .setIssuer(this.issuer).setAudience(clientId).setIssuedAt(now).setExpirationTime(now + seconds).sign(privateKey);
  }

  /** The verified claims of an access token, or undefined (bad signature, expired, wrong audience, revoked). */
  async verify(token: string): Promise<(AccessClaims & JWTPayload) | undefined> {
    const known = this.verified.get(token);
    if (known) {
      const now = Math.floor(this.clock().getTime() / 1000);
      if (typeof known.exp !== 'number' || known.exp <= now) {
        this.verified.delete(token);
        return undefined;
      }
      return (await this.isRevoked(known.jti, known.grant)) ? undefined : known;
    }
    try {
      const { payload } = await jwtVerify(token, async (header) => {
        const kid = header.kid ?? '';
        let key = this.verifiers.get(kid);
        if (!key) {
          const jwk = await this.keys.publicKey(kid);
          if (!jwk) throw new joseErrors.JWKSNoMatchingKey();
          key = importJWK(jwk, SIGNING_ALG);
          this.verifiers.set(kid, key);
        }
        return key;
      }, { issuer: this.issuer, audience: this.audience, algorithms: [SIGNING_ALG], typ: 'at+jwt', currentDate: this.clock() });
      const claims = payload as AccessClaims & JWTPayload;
      if (await this.isRevoked(claims.jti, claims.grant)) return undefined;
      this.remember(token, claims);
      return claims;
    } catch {
      return undefined;
    }
  }

  private remember(token: string, claims: AccessClaims & JWTPayload): void {
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(token, claims);
  }

  /** Marks a revocation known to this process at once (other processes learn it within a second). */
  noteRevoked(key: string): void {
    this.revoked.add(key);
  }

  private async isRevoked(jti: string | undefined, grant: string | undefined): Promise<boolean> {
    const now = this.clock();
    if (Date.now() - this.revokedCheckedAt > 1000) {
      this.revokedCheckedAt = Date.now();
      const rows = await revocationsSince(this.db, this.revokedSeenUntil, now);
      for (const row of rows) this.revoked.add(row.key);
      if (rows.length) this.revokedSeenUntil = rows[rows.length - 1]?.revokedAt;
    }
    return (jti !== undefined && this.revoked.has(`jti:${jti}`)) || (grant !== undefined && this.revoked.has(`grant:${grant}`));
  }
}

const principals = new WeakMap<object, Principal | undefined>();

/** The principal an access token stands for (computed once per verified token). */
export function principalOf(claims: AccessClaims & JWTPayload): Principal | undefined {
  if (principals.has(claims)) return principals.get(claims);
  const principal = principalOfClaims(claims);
  principals.set(claims, principal);
  return principal;
}

function principalOfClaims(claims: AccessClaims & JWTPayload): Principal | undefined {
  if (!isRole(claims.role) || typeof claims.sub !== 'string') return undefined;
  return {
    kind: claims.kind === 'client' ? 'client' : 'user',
    subject: claims.sub,
    clientId: claims.client_id,
    role: claims.role,
    display: claims.name ?? claims.sub,
    ...(claims.fhirUser ? { fhirUser: claims.fhirUser } : {}),
    ...(claims.org ? { organization: claims.org } : {}),
    ...(claims.practitionerRole ? { practitionerRole: claims.practitionerRole } : {}),
    patients: [...(claims.patients ?? [])],
    ...(claims.narrowed?.length ? { narrowed: [...claims.narrowed] } : {}),
    ...(claims.patient ? { launchPatient: claims.patient } : {}),
    scopes: parseScopes(claims.scope),
    platform: claims.platform === true,
    ...(claims.project ? { project: claims.project } : {}),
    tokenId: claims.jti ?? '',
    ...(claims.grant ? { grantId: claims.grant } : {}),
  };
}
