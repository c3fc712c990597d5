import { createHmac, hkdfSync } from 'node:crypto';
import { compactDecrypt, CompactEncrypt } from 'jose';

/**
 * A health link's files are JWE compact serialisations, `alg: dir`, `enc: A256GCM`, `cty` the file's content
 * type, encrypted with the link's 32-byte key — the one in the `shlink:/` payload, which Carnet does not keep.
 */
export async function encryptFile(plain: string, key: Uint8Array, contentType: string): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(plain)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: contentType }).encrypt(key);
}

/** What a receiver does with the key of the link (tests, and any Carnet that receives a link). */
export async function decryptFile(jwe: string, key: Uint8Array): Promise<{ contentType: string | undefined; text: string }> {
  const { plaintext, protectedHeader } = await compactDecrypt(jwe, key);
  return { contentType: protectedHeader.cty, text: new TextDecoder().decode(plaintext) };
}

/** The MAC of a manifest's `location` tickets, keyed from CARNET_SECRET for this purpose only. */
export function healthLinkMac(secret: string): (value: string) => string {
  const key = Buffer.from(hkdfSync('sha256', secret, 'carnet', 'smart health links location v1', 32));
  return (value) => createHmac('sha256', key).update(value).digest('base64url');
}
