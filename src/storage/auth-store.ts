import type { Queryable } from './database.js';

/** SQL of the authorization server: users, clients, signing keys, grants, tokens, sessions. */

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v === null || v === undefined ? undefined : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

export interface UserRow {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly role: string;
  readonly passwordHash: string;
  readonly fhirUser?: string;
  readonly organization?: string;
  readonly practitionerRole?: string;
  readonly licence?: string;
  readonly proxyFor: readonly string[];
  readonly totpSecret?: string;
  readonly totpLastStep?: number;
  readonly failedLogins: number;
  readonly lockedUntil?: string;
  readonly disabled: boolean;
}

function toUser(row: Row): UserRow {
  const opt = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
  return {
    id: row.id as string, username: row.username as string, displayName: row.display_name as string, role: row.role as string,
    passwordHash: row.password_hash as string,
    ...(opt(row.fhir_user) ? { fhirUser: opt(row.fhir_user) as string } : {}),
    ...(opt(row.organization) ? { organization: opt(row.organization) as string } : {}),
    ...(opt(row.practitioner_role) ? { practitionerRole: opt(row.practitioner_role) as string } : {}),
    ...(opt(row.licence) ? { licence: opt(row.licence) as string } : {}),
    proxyFor: (row.proxy_for as string[] | null) ?? [],
    ...(opt(row.totp_secret) ? { totpSecret: opt(row.totp_secret) as string } : {}),
    ...(row.totp_last_step !== null && row.totp_last_step !== undefined ? { totpLastStep: Number(row.totp_last_step) } : {}),
    failedLogins: Number(row.failed_logins),
    ...(iso(row.locked_until) ? { lockedUntil: iso(row.locked_until) as string } : {}),
    disabled: Boolean(row.disabled),
  };
}

export type NewUser = Omit<UserRow, 'failedLogins' | 'disabled' | 'totpLastStep' | 'lockedUntil'>;

export async function insertUser(db: Queryable, user: NewUser, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO auth_user (id, username, display_name, role, password_hash, fhir_user, organization, practitioner_role, licence, proxy_for, totp_secret, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [user.id, user.username.toLowerCase(), user.displayName, user.role, user.passwordHash, user.fhirUser ?? null, user.organization ?? null,
      user.practitionerRole ?? null, user.licence ?? null, [...user.proxyFor], user.totpSecret ?? null, now.toISOString()],
  );
}

export async function findUserByName(db: Queryable, username: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_user WHERE username = $1', [username.trim().toLowerCase()]);
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function findUser(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_user WHERE id = $1', [id]);
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function listUsers(db: Queryable): Promise<UserRow[]> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_user ORDER BY username');
  return rows.map(toUser);
}

/** Counts a failed login; locks the account for `lockMinutes` once `maxFailures` is reached. Returns the new count. */
export async function recordLoginFailure(db: Queryable, id: string, now: Date, maxFailures: number, lockMinutes: number): Promise<{ failures: number; lockedUntil?: string }> {
  const { rows } = await db.query<Row>(
    `UPDATE auth_user SET failed_logins = failed_logins + 1,
       locked_until = CASE WHEN failed_logins + 1 >= $3 THEN $2::timestamptz + make_interval(mins => $4) ELSE locked_until END
     WHERE id = $1 RETURNING failed_logins, locked_until`,
    [id, now.toISOString(), maxFailures, lockMinutes],
  );
  const lockedUntil = iso(rows[0]?.locked_until);
  return { failures: Number(rows[0]?.failed_logins ?? 0), ...(lockedUntil ? { lockedUntil } : {}) };
}

export async function recordLoginSuccess(db: Queryable, id: string, now: Date, totpStep?: number): Promise<void> {
  await db.query(
    'UPDATE auth_user SET failed_logins = 0, locked_until = NULL, last_login = $2, totp_last_step = COALESCE($3, totp_last_step) WHERE id = $1',
    [id, now.toISOString(), totpStep ?? null],
  );
}

export async function updateUser(db: Queryable, id: string, change: { disabled?: boolean; unlock?: boolean; passwordHash?: string; totpSecret?: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE auth_user SET disabled = COALESCE($2, disabled), password_hash = COALESCE($3, password_hash), totp_secret = COALESCE($4, totp_secret),
       failed_logins = CASE WHEN $5 THEN 0 ELSE failed_logins END, locked_until = CASE WHEN $5 THEN NULL ELSE locked_until END
     WHERE id = $1`,
    [id, change.disabled ?? null, change.passwordHash ?? null, change.totpSecret ?? null, Boolean(change.unlock)],
  );
  return rowCount > 0;
}

export interface ClientRow {
  readonly id: string;
  readonly name: string;
  readonly kind: 'public' | 'confidential' | 'backend';
  readonly secretHash?: string;
  readonly jwks?: string;
  readonly jwksUri?: string;
  readonly redirectUris: readonly string[];
  readonly scope: string;
  readonly organization?: string;
  readonly platform: boolean;
  readonly trusted: boolean;
  readonly disabled: boolean;
}

function toClient(row: Row): ClientRow {
  const opt = <K extends string>(key: string, name: K) => (row[key] === null || row[key] === undefined ? {} : ({ [name]: String(row[key]) } as Record<K, string>));
  return {
    id: row.id as string, name: row.name as string, kind: row.kind as ClientRow['kind'],
    ...opt('secret_hash', 'secretHash'), ...opt('jwks', 'jwks'), ...opt('jwks_uri', 'jwksUri'), ...opt('organization', 'organization'),
    redirectUris: (row.redirect_uris as string[] | null) ?? [], scope: row.scope as string,
    platform: Boolean(row.platform), trusted: Boolean(row.trusted), disabled: Boolean(row.disabled),
  };
}

export async function insertClient(db: Queryable, client: Omit<ClientRow, 'disabled'>, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO auth_client (id, name, kind, secret_hash, jwks, jwks_uri, redirect_uris, scope, organization, platform, trusted, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [client.id, client.name, client.kind, client.secretHash ?? null, client.jwks ?? null, client.jwksUri ?? null, [...client.redirectUris],
      client.scope, client.organization ?? null, client.platform, client.trusted, now.toISOString()],
  );
}

export async function findClient(db: Queryable, id: string): Promise<ClientRow | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_client WHERE id = $1', [id]);
  return rows[0] ? toClient(rows[0]) : undefined;
}

export async function listClients(db: Queryable): Promise<ClientRow[]> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_client ORDER BY id');
  return rows.map(toClient);
}

export async function updateClientKeys(db: Queryable, id: string, jwks: string): Promise<void> {
  await db.query('UPDATE auth_client SET jwks = $2 WHERE id = $1', [id, jwks]);
}

/** Keeps a first-party client's registration in step with the configuration (its redirect URIs and scopes follow the base URL). */
export async function updateClientRegistration(db: Queryable, id: string, redirectUris: readonly string[], scope: string): Promise<void> {
  await db.query('UPDATE auth_client SET redirect_uris = $2, scope = $3 WHERE id = $1', [id, [...redirectUris], scope]);
}

export interface SigningKeyRow {
  readonly kid: string;
  readonly alg: string;
  readonly publicJwk: string;
  readonly privateJwk: string;
  readonly createdAt: string;
  readonly retiredAt?: string;
}

export async function signingKeys(db: Queryable): Promise<SigningKeyRow[]> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_signing_key ORDER BY created_at DESC');
  return rows.map((row) => ({
    kid: row.kid as string, alg: row.alg as string, publicJwk: row.public_jwk as string, privateJwk: row.private_jwk as string,
    createdAt: iso(row.created_at) as string, ...(iso(row.retired_at) ? { retiredAt: iso(row.retired_at) as string } : {}),
  }));
}

export async function insertSigningKey(db: Queryable, key: SigningKeyRow): Promise<void> {
  await db.query('INSERT INTO auth_signing_key (kid, alg, public_jwk, private_jwk, created_at) VALUES ($1, $2, $3, $4, $5)', [key.kid, key.alg, key.publicJwk, key.privateJwk, key.createdAt]);
}

export async function retireSigningKeys(db: Queryable, exceptKid: string, now: Date): Promise<void> {
  await db.query('UPDATE auth_signing_key SET retired_at = $2 WHERE kid <> $1 AND retired_at IS NULL', [exceptKid, now.toISOString()]);
}

export async function dropSigningKeys(db: Queryable, retiredBefore: Date): Promise<void> {
  await db.query('DELETE FROM auth_signing_key WHERE retired_at < $1', [retiredBefore.toISOString()]);
}

// Authorization requests, grants and tokens

export interface AuthRequestRow {
  readonly id: string;
  readonly clientId: string;
  readonly params: Record<string, string>;
  readonly userId?: string;
  readonly patient?: string;
  readonly step: string;
  readonly authTime?: string;
  readonly grantId?: string;
  readonly expiresAt: string;
}

function toRequest(row: Row): AuthRequestRow {
  return {
    id: row.id as string, clientId: row.client_id as string, params: JSON.parse(row.params as string) as Record<string, string>,
    ...(row.user_id ? { userId: row.user_id as string } : {}), ...(row.patient ? { patient: row.patient as string } : {}),
    step: row.step as string, ...(iso(row.auth_time) ? { authTime: iso(row.auth_time) as string } : {}),
    ...(row.grant_id ? { grantId: row.grant_id as string } : {}), expiresAt: iso(row.expires_at) as string,
  };
}

export async function insertAuthRequest(db: Queryable, r: { id: string; clientId: string; params: Record<string, string>; now: Date; expiresAt: Date }): Promise<void> {
  await db.query(
    "INSERT INTO auth_request (id, client_id, params, step, created_at, expires_at) VALUES ($1, $2, $3, 'login', $4, $5)",
    [r.id, r.clientId, JSON.stringify(r.params), r.now.toISOString(), r.expiresAt.toISOString()],
  );
}

export async function findAuthRequest(db: Queryable, id: string, now: Date): Promise<AuthRequestRow | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_request WHERE id = $1 AND expires_at > $2', [id, now.toISOString()]);
  return rows[0] ? toRequest(rows[0]) : undefined;
}

export async function advanceAuthRequest(db: Queryable, id: string, change: { step: string; userId?: string; patient?: string; authTime?: string; codeHash?: string }): Promise<void> {
  await db.query(
    `UPDATE auth_request SET step = $2, user_id = COALESCE($3, user_id), patient = COALESCE($4, patient), auth_time = COALESCE($5::timestamptz, auth_time),
       code_hash = COALESCE($6, code_hash) WHERE id = $1`,
    [id, change.step, change.userId ?? null, change.patient ?? null, change.authTime ?? null, change.codeHash ?? null],
  );
}

/** Redeems a code once: returns its request and marks it redeemed; a second redemption returns it with `reused`. */
export async function redeemCode(db: Queryable, codeHash: string, now: Date): Promise<{ request: AuthRequestRow; reused: boolean } | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_request WHERE code_hash = $1 FOR UPDATE', [codeHash]);
  const row = rows[0];
  if (!row) return undefined;
  const request = toRequest(row);
  if (request.step === 'redeemed') return { request, reused: true };
  if (request.step !== 'code' || Date.parse(request.expiresAt) <= now.getTime()) return undefined;
  await db.query("UPDATE auth_request SET step = 'redeemed' WHERE id = $1", [request.id]);
  return { request, reused: false };
}

export async function setRequestGrant(db: Queryable, requestId: string, grantId: string): Promise<void> {
  await db.query('UPDATE auth_request SET grant_id = $2 WHERE id = $1', [requestId, grantId]);
}

export interface GrantRow {
  readonly id: string;
  readonly clientId: string;
  readonly userId?: string;
  readonly scope: string;
  readonly patient?: string;
  readonly claims: Record<string, unknown>;
  readonly expiresAt: string;
  readonly revokedAt?: string;
}

export async function insertGrant(db: Queryable, g: Omit<GrantRow, 'revokedAt'>, now: Date): Promise<void> {
  await db.query(
    'INSERT INTO auth_grant (id, client_id, user_id, scope, patient, claims, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [g.id, g.clientId, g.userId ?? null, g.scope, g.patient ?? null, JSON.stringify(g.claims), now.toISOString(), g.expiresAt],
  );
}

export async function findGrant(db: Queryable, id: string): Promise<GrantRow | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_grant WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id as string, clientId: row.client_id as string, ...(row.user_id ? { userId: row.user_id as string } : {}), scope: row.scope as string,
    ...(row.patient ? { patient: row.patient as string } : {}), claims: JSON.parse(row.claims as string) as Record<string, unknown>,
    expiresAt: iso(row.expires_at) as string, ...(iso(row.revoked_at) ? { revokedAt: iso(row.revoked_at) as string } : {}),
  };
}

export async function revokeGrant(db: Queryable, id: string, now: Date, accessExpiry: Date): Promise<void> {
  await db.query('UPDATE auth_grant SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1', [id, now.toISOString()]);
  await addRevocation(db, `grant:${id}`, now, accessExpiry);
}

export async function insertRefreshToken(db: Queryable, tokenHash: string, grantId: string, now: Date, expiresAt: Date): Promise<void> {
  await db.query('INSERT INTO auth_refresh_token (token_hash, grant_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)', [tokenHash, grantId, now.toISOString(), expiresAt.toISOString()]);
}

/** Uses a refresh token once: `reused` when it had been used before (a stolen token: the grant must die). */
export async function useRefreshToken(db: Queryable, tokenHash: string, now: Date): Promise<{ grantId: string; reused: boolean; expired: boolean } | undefined> {
  const { rows } = await db.query<Row>('SELECT grant_id, used_at, expires_at FROM auth_refresh_token WHERE token_hash = $1 FOR UPDATE', [tokenHash]);
  const row = rows[0];
  if (!row) return undefined;
  const grantId = row.grant_id as string;
  if (row.used_at) return { grantId, reused: true, expired: false };
  if (Date.parse(iso(row.expires_at) as string) <= now.getTime()) return { grantId, reused: false, expired: true };
  await db.query('UPDATE auth_refresh_token SET used_at = $2 WHERE token_hash = $1', [tokenHash, now.toISOString()]);
  return { grantId, reused: false, expired: false };
}

export async function refreshTokenGrant(db: Queryable, tokenHash: string): Promise<{ grantId: string; used: boolean; expiresAt: string } | undefined> {
  const { rows } = await db.query<Row>('SELECT grant_id, used_at, expires_at FROM auth_refresh_token WHERE token_hash = $1', [tokenHash]);
  return rows[0] ? { grantId: rows[0].grant_id as string, used: Boolean(rows[0].used_at), expiresAt: iso(rows[0].expires_at) as string } : undefined;
}

export async function addRevocation(db: Queryable, key: string, now: Date, expiresAt: Date): Promise<void> {
  await db.query(
    'INSERT INTO auth_revocation (key, revoked_at, expires_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING',
    [key, now.toISOString(), expiresAt.toISOString()],
  );
}

/** Revocations recorded since `since` (and not yet expired), for the in-memory revocation list. */
export async function revocationsSince(db: Queryable, since: string | undefined, now: Date): Promise<{ key: string; revokedAt: string }[]> {
  const { rows } = await db.query<Row>(
    'SELECT key, revoked_at FROM auth_revocation WHERE expires_at > $1 AND ($2::timestamptz IS NULL OR revoked_at >= $2) ORDER BY revoked_at',
    [now.toISOString(), since ?? null],
  );
  return rows.map((row) => ({ key: row.key as string, revokedAt: iso(row.revoked_at) as string }));
}

/** Records a client assertion's jti; false when it was used before (a replay). */
export async function rememberAssertion(db: Queryable, clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
  await db.query('DELETE FROM auth_assertion WHERE expires_at < $1', [now.toISOString()]);
  const { rowCount } = await db.query(
    'INSERT INTO auth_assertion (client_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [clientId, jti, expiresAt.toISOString()],
  );
  return rowCount > 0;
}

// Browser sessions

export async function insertSession(db: Queryable, idHash: string, userId: string, now: Date, expiresAt: Date): Promise<void> {
  await db.query('INSERT INTO auth_session (id_hash, user_id, auth_time, expires_at) VALUES ($1, $2, $3, $4)', [idHash, userId, now.toISOString(), expiresAt.toISOString()]);
}

export async function findSession(db: Queryable, idHash: string, now: Date): Promise<{ userId: string; authTime: string } | undefined> {
  const { rows } = await db.query<Row>('SELECT user_id, auth_time FROM auth_session WHERE id_hash = $1 AND expires_at > $2', [idHash, now.toISOString()]);
  return rows[0] ? { userId: rows[0].user_id as string, authTime: iso(rows[0].auth_time) as string } : undefined;
}

export async function deleteSession(db: Queryable, idHash: string): Promise<void> {
  await db.query('DELETE FROM auth_session WHERE id_hash = $1', [idHash]);
}
