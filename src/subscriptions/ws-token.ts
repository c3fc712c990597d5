import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Websocket binding tokens (Backport IG `$get-ws-binding-token`), pure: a short-lived proof that the
 * owner of these subscriptions asked to receive them on a websocket. Signed (HMAC-SHA256, a key derived
 * from CARNET_SECRET), so any API process can check a token another issued, with nothing stored; it
 * names the subscriptions, their owner (agent key) and when it expires. Binding still checks, at the
 * time of binding, that each subscription is the owner's, a websocket one, and that the owner keeps its
 * access (standing.ts) — a token only says who asked, and until when.
 */
export interface BindingClaims {
  readonly subscriptions: readonly string[];
  /** `user:<id>` or `client:<id>`: who asked (the owner of every subscription named). */
  readonly owner: string;
  readonly expiresAt: Date;
}

const PREFIX = 'cws1';

export function bindingKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('carnet subscription websocket binding').digest();
}

function sign(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

export function issueBindingToken(key: Buffer, claims: BindingClaims): string {
  const body = Buffer.from(JSON.stringify({ s: claims.subscriptions, o: claims.owner, e: claims.expiresAt.getTime() })).toString('base64url');
  return `${PREFIX}.${body}.${sign(key, `${PREFIX}.${body}`)}`;
}

/** The token's claims, or why it is refused (malformed, not Carnet's, expired). */
export function verifyBindingToken(key: Buffer, token: string, now: Date): BindingClaims | { problem: string } {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return { problem: 'not a binding token from $get-ws-binding-token' };
  const expected = Buffer.from(sign(key, `${parts[0]}.${parts[1]}`));
  const given = Buffer.from(parts[2] as string);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { problem: 'the binding token is not valid' };
  let decoded: { s?: unknown; o?: unknown; e?: unknown };
  try {
    decoded = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as typeof decoded;
  } catch {
    return { problem: 'the binding token is not valid' };
  }
  const { s, o, e } = decoded;
  if (!Array.isArray(s) || !s.every((x) => typeof x === 'string') || typeof o !== 'string' || typeof e !== 'number') return { problem: 'the binding token is not valid' };
  if (e <= now.getTime()) return { problem: 'the binding token has expired: ask $get-ws-binding-token for a new one' };
  return { subscriptions: s as string[], owner: o, expiresAt: new Date(e) };
}
