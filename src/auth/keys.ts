import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK } from 'jose';
import type { Log } from '../fhir/context.js';
import { dropSigningKeys, insertSigningKey, retireSigningKeys, signingKeys } from '../storage/auth-store.js';
import type { Database } from '../storage/database.js';
import type { SecretBox } from './secrets.js';

/**
 * Token signing keys (RS256, which every OpenID Connect client supports), stored with the private half
 * encrypted under CARNET_SECRET. The newest key signs; a key older than the rotation period is replaced,
 * and retired keys stay in the published JWKS until every token they signed has expired.
 */
export const SIGNING_ALG = 'RS256';

interface ActiveKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
}

export class KeyRing {
  private active: ActiveKey | undefined;
  private publicKeys = new Map<string, JWK>();
  private loadedAt = 0;

  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    private readonly log: Log,
    private readonly options: { readonly rotationDays: number; readonly maxTokenSeconds: number; readonly clock: () => Date },
  ) {}

  /** Loads the keys, creating or rotating the signing key when due. */
  async refresh(force = false): Promise<void> {
    const now = this.options.clock();
    if (!force && this.active && now.getTime() - this.loadedAt < 60_000) return;
    await this.db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('carnet:signing-keys'))");
      let rows = await signingKeys(tx);
      const current = rows.find((r) => !r.retiredAt && this.box.decrypt(r.privateJwk) !== undefined);
      const due = !current || now.getTime() - Date.parse(current.createdAt) > this.options.rotationDays * 86_400_000;
      if (due) {
        if (rows.some((r) => !r.retiredAt) && !current) this.log.warn({}, 'the signing key cannot be decrypted with CARNET_SECRET: a new key is made');
        const kid = await this.createKey(tx, now);
        await retireSigningKeys(tx, kid, now);
        this.log.info({ kid }, 'token signing key rotated');
      }
      // A retired key is published as long as tokens it signed may be presented.
      await dropSigningKeys(tx, new Date(now.getTime() - this.options.maxTokenSeconds * 1000 - 60_000));
      rows = await signingKeys(tx);
      const signer = rows.find((r) => !r.retiredAt);
      if (!signer) throw new Error('no signing key');
      const privateJwk = JSON.parse(this.box.decrypt(signer.privateJwk) as string) as JWK;
      this.active = { kid: signer.kid, privateKey: (await importJWK(privateJwk, SIGNING_ALG)) as CryptoKey };
      this.publicKeys = new Map(rows.map((r) => [r.kid, JSON.parse(r.publicJwk) as JWK]));
    });
    this.loadedAt = now.getTime();
  }

  /** Replaces the signing key now (the previous one stays published until its tokens expire). */
  async rotate(): Promise<string> {
    const now = this.options.clock();
    const kid = await this.db.transaction(async (tx) => {
      const made = await this.createKey(tx, now);
      await retireSigningKeys(tx, made, now);
      return made;
    });
    await this.refresh(true);
    return kid;
  }

  private async createKey(tx: Parameters<typeof insertSigningKey>[0], now: Date): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048, extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const published = { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' };
    await insertSigningKey(tx, {
      kid, alg: SIGNING_ALG, publicJwk: JSON.stringify(published),
      privateJwk: this.box.encrypt(JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG })), createdAt: now.toISOString(),
    });
    return kid;
  }

  async signer(): Promise<ActiveKey> {
    await this.refresh();
    return this.active as ActiveKey;
  }

  /** The public key of `kid` (reloading once when it is unknown: another process may have rotated). */
  async publicKey(kid: string | undefined): Promise<JWK | undefined> {
    if (!kid) return undefined;
    if (!this.publicKeys.has(kid) && Date.now() - this.loadedAt > 1000) await this.refresh(true);
    return this.publicKeys.get(kid);
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    await this.refresh();
    return { keys: [...this.publicKeys.values()] };
  }
}
