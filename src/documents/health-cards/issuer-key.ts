import { createECDH, hkdfSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { IssuerKey } from './card.js';

/**
 * The SMART Health Cards issuer key (ES256, P-256), derived from CARNET_SECRET with HKDF: every API process
 * signs with the same key without storing a private key anywhere, and `/.well-known/jwks.json` publishes its
 * public half. Changing CARNET_SECRET changes the key, and cards signed before no longer verify — the same
 * consequence a lost issuer key would have; see docs/documents.md.
 */
const ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

export async function issuerKey(secret: string): Promise<IssuerKey> {
  for (let round = 0; ; round++) {
    const d = Buffer.from(hkdfSync('sha256', secret, 'carnet', `smart health cards issuer key v1/${round}`, 32));
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
