import { createECDH, hkdfSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { IssuerKey } from './card.js';

/**
 * The SMART Health Cards issuer keys (ES256, P-256), derived from CARNET_SECRET with HKDF, one per
 * **generation**: every API process signs with the same key without storing a private key anywhere, and
 * `/.well-known/jwks.json` publishes the public halves. Rotation (docs/documents.md#the-issuer-keys-and-their-rotation):
 * the active generation signs; retired generations stay published (each until its date, if it has one) so the
 * cards they signed still verify. Changing CARNET_SECRET changes every key, as losing the keys would.
 */
const ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** The derivation's label: generation 1 is the key Carnet always had (so rotation adds keys, it never replaces that one). */
function info(generation: number, round: number): string {
  return generation === 1 ? `smart health cards issuer key v1/${round}` : `smart health cards issuer key generation ${generation}/${round}`;
}

export async function issuerKey(secret: string, generation = 1): Promise<IssuerKey> {
  for (let round = 0; ; round++) {
    const d = Buffer.from(hkdfSync('sha256', secret, 'carnet', info(generation, round), 32));
    const scalar = BigInt(`0x${d.toString('hex')}`);
    if (scalar === 0n || scalar >= ORDER) continue; // outside the curve's scalars (probability ~2^-32)
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const point = ecdh.getPublicKey(); // 0x04 || x || y
    const b64 = (b: Buffer) => b.toString('base64url');
    const publicJwk: JWK = { kty: 'EC', crv: 'P-256', x: b64(point.subarray(1, 33)), y: b64(point.subarray(33, 65)) };
    const kid = await calculateJwkThumbprint(publicJwk);
    return { kid, privateJwk: { ...publicJwk, d: b64(d) }, publicJwk: { ...publicJwk, kid, use: 'sig', alg: 'ES256' } };
  }
}

/** CARNET_SHC_KEY_GENERATION and CARNET_SHC_RETIRED_KEYS, read (pure). */
export interface KeyGenerations {
  readonly active: number;
  /** Retired generations still published, each until its date (none: as long as it is listed). */
  readonly retired: readonly { readonly generation: number; readonly until?: Date }[];
}

/** Parses `2,1@2027-06-30` (generation, optionally `@` the last day it is published); throws with the reason. */
export function parseRetiredKeys(raw: string, active: number): KeyGenerations['retired'] {
  const retired: { generation: number; until?: Date }[] = [];
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(\d{1,4})(?:@(\d{4}-\d{2}-\d{2}))?$/.exec(part);
    if (!match) throw new Error(`"${part}" is not a generation, optionally @YYYY-MM-DD`);
    const generation = Number(match[1]);
    if (generation < 1 || generation === active) throw new Error(`generation ${generation}: a retired generation is 1 or more and not the active one (${active})`);
    if (retired.some((r) => r.generation === generation)) throw new Error(`generation ${generation} is listed twice`);
    const until = match[2] ? new Date(`${match[2]}T23:59:59.999Z`) : undefined;
    if (until && Number.isNaN(until.getTime())) throw new Error(`"${match[2]}" is not a date`);
    retired.push({ generation, ...(until ? { until } : {}) });
  }
  return retired;
}

/** The keys of the configuration: the signing key and the retired ones with their dates. */
export interface IssuerKeys {
  readonly active: IssuerKey;
  readonly retired: readonly { readonly key: IssuerKey; readonly until?: Date }[];
}

export async function issuerKeys(secret: string, generations: KeyGenerations): Promise<IssuerKeys> {
  const active = await issuerKey(secret, generations.active);
  const retired = await Promise.all(generations.retired.map(async (r) => ({ key: await issuerKey(secret, r.generation), ...(r.until ? { until: r.until } : {}) })));
  return { active, retired };
}

/** The JWKS at `now`: the active key, then the retired keys whose date has not passed (pure). */
export function publishedKeys(keys: IssuerKeys, now: Date): JWK[] {
  return [keys.active.publicJwk, ...keys.retired.filter((r) => !r.until || r.until.getTime() >= now.getTime()).map((r) => r.key.publicJwk)];
}
