import { hash, verify } from '@node-rs/argon2';

/**
 * Password and client-secret hashing: argon2id (RFC 9106) with the OWASP-recommended parameters
 * (19 MiB, 2 passes, 1 lane). The encoded hash carries its parameters, so they can be raised later.
 */
const OPTIONS = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashSecret(secret: string): Promise<string> {
  return hash(secret, OPTIONS as unknown as Parameters<typeof hash>[1]);
}

export async function verifySecret(encoded: string, secret: string): Promise<boolean> {
  try {
    return await verify(encoded, secret);
  } catch {
    return false;
  }
}

/** A hash to verify against when the account does not exist, so that timing does not tell. */
let decoy: Promise<string> | undefined;
export async function verifyDecoy(secret: string): Promise<void> {
  decoy ??= hashSecret('carnet decoy password');
  await verifySecret(await decoy, secret);
}
