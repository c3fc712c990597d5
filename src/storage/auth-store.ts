import { signalAfterCommit } from './commit-signals.js';
import type { Queryable } from './database.js';
import { SqlBuilder } from './sql/builder.js';
import { bool, int, intOrNull, iso, isoOrNull, json, text, textOrNull, texts, type Row } from './sql/rows.js';

/** SQL of the authorization server: users, clients, signing keys, grants, tokens, sessions. */

/** `{ [name]: value }` when the column holds a non-empty value, else nothing: optional fields stay absent. */
function optional<K extends string>(name: K, value: string | null): { [P in K]?: string } {
  return value ? ({ [name]: value } as { [P in K]?: string }) : {};
}

/** `{ [name]: value }` when the column is not NULL (an empty string is kept). */
function unlessNull<K extends string>(row: Row, column: string, name: K): { [P in K]?: string } {
  const value = textOrNull(row, column);
  return value === null ? {} : ({ [name]: value } as { [P in K]?: string });
}

/** `… WHERE column = value` for the one-row statements keyed by an id or a hash. */
async function byKey(db: Queryable, head: (b: SqlBuilder) => string, column: string, key: unknown, tail = ''): Promise<{ rows: Row[]; rowCount: number }> {
  const b = new SqlBuilder();
  const start = head(b);
  return db.query<Row>(`${start} ${b.where(b.eq(column, key))}${tail}`, b.params);
}

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
  const totpLastStep = intOrNull(row, 'totp_last_step');
  return {
    id: text(row, 'id'), username: text(row, 'username'), displayName: text(row, 'display_name'), role: text(row, 'role'),
    passwordHash: text(row, 'password_hash'),
    ...optional('fhirUser', textOrNull(row, 'fhir_user')),
    ...optional('organization', textOrNull(row, 'organization')),
    ...optional('practitionerRole', textOrNull(row, 'practitioner_role')),
    ...optional('licence', textOrNull(row, 'licence')),
    proxyFor: texts(row, 'proxy_for'),
    ...optional('totpSecret', textOrNull(row, 'totp_secret')),
    ...(totpLastStep !== null ? { totpLastStep } : {}),
    failedLogins: int(row, 'failed_logins'),
    ...optional('lockedUntil', isoOrNull(row, 'locked_until')),
    disabled: bool(row, 'disabled'),
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
  const { rows } = await byKey(db, () => 'SELECT * FROM auth_user', 'username', username.trim().toLowerCase());
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function findUser(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await byKey(db, () => 'SELECT * FROM auth_user', 'id', id);
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function listUsers(db: Queryable): Promise<UserRow[]> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_user ORDER BY username');
  return rows.map(toUser);
}

/** Counts a failed login; locks the account for `lockMinutes` once `maxFailures` is reached. Returns the new count. */
export async function recordLoginFailure(db: Queryable, id: string, now: Date, maxFailures: number, lockMinutes: number): Promise<{ failures: number; lockedUntil?: string }> {
  const { rows } = await byKey(db, (b) => `UPDATE auth_user SET failed_logins = failed_logins + 1,
       locked_until = CASE WHEN failed_logins + 1 >= ${b.bind(maxFailures, 'int')} THEN ${b.bind(now.toISOString(), 'timestamptz')} + make_interval(mins => ${b.bind(lockMinutes, 'int')}) ELSE locked_until END`,
  'id', id, ' RETURNING failed_logins, locked_until');
  const row = rows[0];
  return { failures: row ? int(row, 'failed_logins') : 0, ...optional('lockedUntil', row ? isoOrNull(row, 'locked_until') : null) };
}

export async function recordLoginSuccess(db: Queryable, id: string, now: Date, totpStep?: number): Promise<void> {
  await byKey(db, (b) => `UPDATE auth_user SET failed_logins = 0, locked_until = NULL, last_login = ${b.bind(now.toISOString())},
       totp_last_step = COALESCE(${b.bind(totpStep ?? null, 'bigint')}, totp_last_step)`, 'id', id);
}

export async function updateUser(db: Queryable, id: string, change: { disabled?: boolean; unlock?: boolean; passwordHash?: string; totpSecret?: string }): Promise<boolean> {
  const { rowCount } = await byKey(db, (b) => `UPDATE auth_user SET disabled = COALESCE(${b.bind(change.disabled ?? null, 'boolean')}, disabled),
       password_hash = COALESCE(${b.bind(change.passwordHash ?? null, 'text')}, password_hash), totp_secret = COALESCE(${b.bind(change.totpSecret ?? null, 'text')}, totp_secret)
       ${change.unlock ? ', failed_logins = 0, locked_until = NULL' : ''}`, 'id', id);
  // Subscription owners' standing is read from here: the processes' caches of it are emptied once this commits (subscriptions/standing.ts).
  if (change.disabled !== undefined) signalAfterCommit(db, 'owners');
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
  /** The research project whose client this is (docs/research.md): it may only export within the project. */
  readonly project?: string;
  readonly platform: boolean;
  readonly trusted: boolean;
  readonly disabled: boolean;
}

function toClient(row: Row): ClientRow {
  return {
    id: text(row, 'id'), name: text(row, 'name'), kind: text(row, 'kind') as ClientRow['kind'],
    ...unlessNull(row, 'secret_hash', 'secretHash'), ...unlessNull(row, 'jwks', 'jwks'), ...unlessNull(row, 'jwks_uri', 'jwksUri'),
    ...unlessNull(row, 'organization', 'organization'), ...unlessNull(row, 'project', 'project'),
    redirectUris: texts(row, 'redirect_uris'), scope: text(row, 'scope'),
    platform: bool(row, 'platform'), trusted: bool(row, 'trusted'), disabled: bool(row, 'disabled'),
  };
}

export async function insertClient(db: Queryable, client: Omit<ClientRow, 'disabled'>, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO auth_client (id, name, kind, secret_hash, jwks, jwks_uri, redirect_uris, scope, organization, platform, trusted, created_at, project)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [client.id, client.name, client.kind, client.secretHash ?? null, client.jwks ?? null, client.jwksUri ?? null, [...client.redirectUris],
      client.scope, client.organization ?? null, client.platform, client.trusted, now.toISOString(), client.project ?? null],
  );
}

export async function findClient(db: Queryable, id: string): Promise<ClientRow | undefined> {
  const { rows } = await byKey(db, () => 'SELECT * FROM auth_client', 'id', id);
  return rows[0] ? toClient(rows[0]) : undefined;
}

export async function listClients(db: Queryable): Promise<ClientRow[]> {
  const { rows } = await db.query<Row>('SELECT * FROM auth_client ORDER BY id');
  return rows.map(toClient);
}

export async function updateClientKeys(db: Queryable, id: string, jwks: string): Promise<void> {
  await byKey(db, (b) => `UPDATE auth_client SET jwks = ${b.bind(jwks)}`, 'id', id);
}

/** Keeps a first-party client's registration in step with the configuration (its redirect URIs and scopes follow the base URL). */
export async function updateClientRegistration(db: Queryable, id: string, redirectUris: readonly string[], scope: string): Promise<void> {
  await byKey(db, (b) => `UPDATE auth_client SET redirect_uris = ${b.bind([...redirectUris])}, scope = ${b.bind(scope)}`, 'id', id);
  signalAfterCommit(db, 'owners');
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
    kid: text(row, 'kid'), alg: text(row, 'alg'), publicJwk: text(row, 'public_jwk'), privateJwk: text(row, 'private_jwk'),
    createdAt: iso(row, 'created_at'), ...optional('retiredAt', isoOrNull(row, 'retired_at')),
  }));
}

export async function insertSigningKey(db: Queryable, key: SigningKeyRow): Promise<void> {
  await db.query('INSERT INTO auth_signing_key (kid, alg, public_jwk, private_jwk, created_at) VALUES ($1, $2, $3, $4, $5)', [key.kid, key.alg, key.publicJwk, key.privateJwk, key.createdAt]);
}

export async function retireSigningKeys(db: Queryable, exceptKid: string, now: Date): Promise<void> {
  const b = new SqlBuilder();
  await db.query(`UPDATE auth_signing_key SET retired_at = ${b.bind(now.toISOString())} ${b.where(`kid <> ${b.bind(exceptKid)}`, 'retired_at IS NULL')}`, b.params);
}

export async function dropSigningKeys(db: Queryable, retiredBefore: Date): Promise<void> {
  const b = new SqlBuilder();
  await db.query(`DELETE FROM auth_signing_key ${b.where(`retired_at < ${b.bind(retiredBefore.toISOString())}`)}`, b.params);
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
    id: text(row, 'id'), clientId: text(row, 'client_id'), params: json<Record<string, string>>(row, 'params'),
    ...optional('userId', textOrNull(row, 'user_id')), ...optional('patient', textOrNull(row, 'patient')),
    step: text(row, 'step'), ...optional('authTime', isoOrNull(row, 'auth_time')),
    ...optional('grantId', textOrNull(row, 'grant_id')), expiresAt: iso(row, 'expires_at'),
  };
}

export async function insertAuthRequest(db: Queryable, r: { id: string; clientId: string; params: Record<string, string>; now: Date; expiresAt: Date }): Promise<void> {
  await db.query(
    "INSERT INTO auth_request (id, client_id, params, step, created_at, expires_at) VALUES ($1, $2, $3, 'login', $4, $5)",
    [r.id, r.clientId, JSON.stringify(r.params), r.now.toISOString(), r.expiresAt.toISOString()],
  );
}

export async function findAuthRequest(db: Queryable, id: string, now: Date): Promise<AuthRequestRow | undefined> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT * FROM auth_request ${b.where(b.eq('id', id), `expires_at > ${b.bind(now.toISOString())}`)}`, b.params);
  return rows[0] ? toRequest(rows[0]) : undefined;
}

export async function advanceAuthRequest(db: Queryable, id: string, change: { step: string; userId?: string; patient?: string; authTime?: string; codeHash?: string }): Promise<void> {
  await byKey(db, (b) => `UPDATE auth_request SET step = ${b.bind(change.step)}, user_id = COALESCE(${b.bind(change.userId ?? null, 'text')}, user_id),
       patient = COALESCE(${b.bind(change.patient ?? null, 'text')}, patient), auth_time = COALESCE(${b.bind(change.authTime ?? null, 'timestamptz')}, auth_time),
       code_hash = COALESCE(${b.bind(change.codeHash ?? null, 'text')}, code_hash)`, 'id', id);
}

/** Redeems a code once: returns its request and marks it redeemed; a second redemption returns it with `reused`. */
export async function redeemCode(db: Queryable, codeHash: string, now: Date): Promise<{ request: AuthRequestRow; reused: boolean } | undefined> {
  const { rows } = await byKey(db, () => 'SELECT * FROM auth_request', 'code_hash', codeHash, ' FOR UPDATE');
  const row = rows[0];
  if (!row) return undefined;
  const request = toRequest(row);
  if (request.step === 'redeemed') return { request, reused: true };
  if (request.step !== 'code' || Date.parse(request.expiresAt) <= now.getTime()) return undefined;
  await byKey(db, () => "UPDATE auth_request SET step = 'redeemed'", 'id', request.id);
  return { request, reused: false };
}

export async function setRequestGrant(db: Queryable, requestId: string, grantId: string): Promise<void> {
  await byKey(db, (b) => `UPDATE auth_request SET grant_id = ${b.bind(grantId)}`, 'id', requestId);
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
  const { rows } = await byKey(db, () => 'SELECT * FROM auth_grant', 'id', id);
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: text(row, 'id'), clientId: text(row, 'client_id'), ...optional('userId', textOrNull(row, 'user_id')), scope: text(row, 'scope'),
    ...optional('patient', textOrNull(row, 'patient')), claims: json<Record<string, unknown>>(row, 'claims'),
    expiresAt: iso(row, 'expires_at'), ...optional('revokedAt', isoOrNull(row, 'revoked_at')),
  };
}

/** One of a person's live grants, with the app it was given to (the portal's "Applications"). */
export interface UserGrantRow {
  readonly id: string;
  readonly clientId: string;
  readonly clientName: string;
  /** A first-party app of Carnet (no approval screen). */
  readonly trusted: boolean;
  readonly scope: string;
  readonly patient?: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** The user's grants neither revoked nor expired, newest first. */
export async function liveUserGrants(db: Queryable, userId: string, now: Date): Promise<UserGrantRow[]> {
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(
    `SELECT g.id, g.client_id, c.name, c.trusted, g.scope, g.patient, g.created_at, g.expires_at
     FROM auth_grant g JOIN auth_client c ON c.id = g.client_id
     ${b.where(b.eq('g.user_id', userId), 'g.revoked_at IS NULL', `g.expires_at > ${b.bind(now.toISOString(), 'timestamptz')}`)}
     ORDER BY g.created_at DESC, g.id`,
    b.params,
  );
  return rows.map((row) => ({
    id: text(row, 'id'), clientId: text(row, 'client_id'), clientName: text(row, 'name'), trusted: bool(row, 'trusted'), scope: text(row, 'scope'),
    ...optional('patient', textOrNull(row, 'patient')), createdAt: iso(row, 'created_at'), expiresAt: iso(row, 'expires_at'),
  }));
}

export async function revokeGrant(db: Queryable, id: string, now: Date, accessExpiry: Date): Promise<void> {
  await byKey(db, (b) => `UPDATE auth_grant SET revoked_at = COALESCE(revoked_at, ${b.bind(now.toISOString(), 'timestamptz')})`, 'id', id);
  await addRevocation(db, `grant:${id}`, now, accessExpiry);
  signalAfterCommit(db, 'owners');
}

export async function insertRefreshToken(db: Queryable, tokenHash: string, grantId: string, now: Date, expiresAt: Date): Promise<void> {
  await db.query('INSERT INTO auth_refresh_token (token_hash, grant_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)', [tokenHash, grantId, now.toISOString(), expiresAt.toISOString()]);
}

/** Uses a refresh token once: `reused` when it had been used before (a stolen token: the grant must die). */
export async function useRefreshToken(db: Queryable, tokenHash: string, now: Date): Promise<{ grantId: string; reused: boolean; expired: boolean } | undefined> {
  const { rows } = await byKey(db, () => 'SELECT grant_id, used_at, expires_at FROM auth_refresh_token', 'token_hash', tokenHash, ' FOR UPDATE');
  const row = rows[0];
  if (!row) return undefined;
  const grantId = text(row, 'grant_id');
  if (isoOrNull(row, 'used_at') !== null) return { grantId, reused: true, expired: false };
  if (Date.parse(iso(row, 'expires_at')) <= now.getTime()) return { grantId, reused: false, expired: true };
  await byKey(db, (b) => `UPDATE auth_refresh_token SET used_at = ${b.bind(now.toISOString())}`, 'token_hash', tokenHash);
  return { grantId, reused: false, expired: false };
}

export async function refreshTokenGrant(db: Queryable, tokenHash: string): Promise<{ grantId: string; used: boolean; expiresAt: string } | undefined> {
  const { rows } = await byKey(db, () => 'SELECT grant_id, used_at, expires_at FROM auth_refresh_token', 'token_hash', tokenHash);
  const row = rows[0];
  return row ? { grantId: text(row, 'grant_id'), used: isoOrNull(row, 'used_at') !== null, expiresAt: iso(row, 'expires_at') } : undefined;
}

export async function addRevocation(db: Queryable, key: string, now: Date, expiresAt: Date): Promise<void> {
  await db.query(
    'INSERT INTO auth_revocation (key, revoked_at, expires_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING',
    [key, now.toISOString(), expiresAt.toISOString()],
  );
}

/** Revocations recorded since `since` (and not yet expired), for the in-memory revocation list. */
export async function revocationsSince(db: Queryable, since: string | undefined, now: Date): Promise<{ key: string; revokedAt: string }[]> {
  const b = new SqlBuilder();
  const where = b.where(`expires_at > ${b.bind(now.toISOString())}`, since !== undefined && `revoked_at >= ${b.bind(since, 'timestamptz')}`);
  const { rows } = await db.query<Row>(`SELECT key, revoked_at FROM auth_revocation ${where} ORDER BY revoked_at`, b.params);
  return rows.map((row) => ({ key: text(row, 'key'), revokedAt: iso(row, 'revoked_at') }));
}

/** Records a client assertion's jti; false when it was used before (a replay). */
export async function rememberAssertion(db: Queryable, clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
  const b = new SqlBuilder();
  await db.query(`DELETE FROM auth_assertion ${b.where(`expires_at < ${b.bind(now.toISOString())}`)}`, b.params);
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
  const b = new SqlBuilder();
  const { rows } = await db.query<Row>(`SELECT user_id, auth_time FROM auth_session ${b.where(b.eq('id_hash', idHash), `expires_at > ${b.bind(now.toISOString())}`)}`, b.params);
  const row = rows[0];
  return row ? { userId: text(row, 'user_id'), authTime: iso(row, 'auth_time') } : undefined;
}

export async function deleteSession(db: Queryable, idHash: string): Promise<void> {
  await byKey(db, () => 'DELETE FROM auth_session', 'id_hash', idHash);
}
