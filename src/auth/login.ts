import { auditRecord, type AuditFacts } from '../audit/event.js';
import type { AuditSink } from '../audit/record.js';
import type { AuthConfig } from '../config/config.js';
import { findUserByName, recordLoginFailure, recordLoginSuccess, type UserRow } from '../storage/auth-store.js';
import type { Database } from '../storage/database.js';
import { verifyDecoy, verifySecret } from './passwords.js';
import type { SecretBox } from './secrets.js';
import { verifyTotp } from './totp.js';

/**
 * Password and second-factor checks for the login pages: argon2id passwords, TOTP, per-account lockout
 * after repeated failures, per-address throttling, and an AuditEvent for every login and failed login.
 */
export type LoginFailure = 'invalid' | 'locked' | 'throttled' | 'disabled';

const ADDRESS_WINDOW_MS = 15 * 60_000;
const ADDRESS_MAX_FAILURES = 30;

export class LoginService {
  private readonly failuresByAddress = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    private readonly audit: AuditSink,
    private readonly config: AuthConfig,
    private readonly clock: () => Date,
    private readonly newId: () => string,
  ) {}

  private throttled(address: string): boolean {
    const entry = this.failuresByAddress.get(address);
    if (!entry || this.clock().getTime() - entry.since > ADDRESS_WINDOW_MS) return false;
    return entry.count >= ADDRESS_MAX_FAILURES;
  }

  private countFailure(address: string): void {
    const entry = this.failuresByAddress.get(address);
    const now = this.clock().getTime();
    if (!entry || now - entry.since > ADDRESS_WINDOW_MS) this.failuresByAddress.set(address, { count: 1, since: now });
    else entry.count++;
    if (this.failuresByAddress.size > 10_000) this.failuresByAddress.clear();
  }

  async checkPassword(username: string, password: string, address: string, clientId: string): Promise<UserRow | LoginFailure> {
    if (this.throttled(address)) {
      await this.record('login-failed', `username:${username.slice(0, 64)}`, address, clientId, 'too many failed logins from this address');
      return 'throttled';
    }
    const user = await findUserByName(this.db, username);
    const now = this.clock();
    if (!user) {
      await verifyDecoy(password);
      this.countFailure(address);
      await this.record('login-failed', `username:${username.slice(0, 64)}`, address, clientId, 'unknown username or wrong password');
      return 'invalid';
    }
    if (user.disabled) {
      await this.record('login-failed', `user:${user.id}`, address, clientId, 'the account is disabled');
      return 'disabled';
    }
    if (user.lockedUntil && Date.parse(user.lockedUntil) > now.getTime()) {
      await this.record('login-failed', `user:${user.id}`, address, clientId, `the account is locked until ${user.lockedUntil}`);
      return 'locked';
    }
    if (!(await verifySecret(user.passwordHash, password))) {
      this.countFailure(address);
      const { failures, lockedUntil } = await recordLoginFailure(this.db, user.id, now, this.config.loginMaxFailures, this.config.loginLockMinutes);
      await this.record('login-failed', `user:${user.id}`, address, clientId, `wrong password (${failures} in a row)${lockedUntil ? `; locked until ${lockedUntil}` : ''}`);
      return lockedUntil ? 'locked' : 'invalid';
    }
    return user;
  }

  /** The TOTP step a code matches (once), or undefined; a wrong code counts as a failed login. */
  async checkSecondFactor(user: UserRow, code: string, address: string, clientId: string): Promise<number | undefined> {
    const secret = user.totpSecret ? this.box.decrypt(user.totpSecret) : undefined;
    const step = secret ? verifyTotp(secret, code, this.clock(), user.totpLastStep) : undefined;
    if (step === undefined) {
      this.countFailure(address);
      const { failures, lockedUntil } = await recordLoginFailure(this.db, user.id, this.clock(), this.config.loginMaxFailures, this.config.loginLockMinutes);
      await this.record('login-failed', `user:${user.id}`, address, clientId, `wrong second-factor code (${failures} in a row)${lockedUntil ? `; locked until ${lockedUntil}` : ''}`);
    }
    return step;
  }

  async succeeded(user: UserRow, address: string, clientId: string, totpStep?: number): Promise<void> {
    await recordLoginSuccess(this.db, user.id, this.clock(), totpStep);
    await this.record('login', `user:${user.id}`, address, clientId, totpStep !== undefined ? 'password and TOTP' : 'password', user);
  }

  private async record(event: 'login' | 'login-failed', agent: string, address: string, clientId: string, description: string, user?: UserRow): Promise<void> {
    const facts: AuditFacts = {
      uid: this.newId(), recorded: this.clock().toISOString(), event, action: 'E', outcome: event === 'login' ? '0' : '4',
      outcomeDesc: description,
      agent: { key: agent, address, clientId, ...(user ? { display: user.displayName, role: user.role, ...(user.fhirUser ? { who: user.fhirUser } : {}) } : {}) },
      patients: [], entities: [],
    };
    await this.audit.record(auditRecord(facts));
  }
}
