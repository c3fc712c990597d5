/**
 * SMART Health Links (the SMART Health Cards and Links IG, STU 1; docs/documents.md#smart-health-links) —
 * the pure rules: what a link asks for, its `shlink:/` payload, its state, a recipient's manifest request
 * and the manifest's files. No I/O and no clock of its own: the caller passes `now`.
 */

/** File content types of a manifest (the IG's `contentType`). */
export const SHL_TYPES = { fhir: 'application/fhir+json', card: 'application/smart-health-card' } as const;
/** What a link may carry: the person's IPS, and/or health cards of their immunizations or laboratory results. */
export type LinkContent = 'ips' | 'immunization' | 'laboratory';
const CONTENTS: readonly LinkContent[] = ['ips', 'immunization', 'laboratory'];

export interface LinkLimits {
  /** Wrong passcodes a link tolerates before it stops answering (404, as an unknown link). */
  readonly passcodeAttempts: number;
  /** The expiry when none is asked, and the longest one may be (days). */
  readonly defaultDays: number;
  readonly maxDays: number;
  /** How long a manifest's `location` URL stays valid (seconds; the IG: at most one hour). */
  readonly locationSeconds: number;
}
export const DEFAULT_LINK_LIMITS: LinkLimits = { passcodeAttempts: 10, defaultDays: 30, maxDays: 365, locationSeconds: 3600 };

export class LinkError extends Error {}

/** What the creator asked, as read from the operation's parameters (strings as sent). */
export interface LinkAsk {
  readonly label?: string;
  readonly passcode?: string;
  readonly expires?: string;
  readonly content: readonly string[];
  readonly longTerm?: boolean;
  readonly direct?: boolean;
}

/** A checked request: what to put behind the link and how it is protected. */
export interface LinkPlan {
  readonly label?: string;
  readonly passcode?: string;
  readonly expiresAt: Date;
  readonly content: readonly LinkContent[];
  /** The payload's `flag`: L (long-term), P (passcode), U (direct file), in alphabetical order. */
  readonly flag: string;
}

/** Checks the creator's request (400 reasons as LinkError messages). */
export function planLink(ask: LinkAsk, now: Date, limits: LinkLimits = DEFAULT_LINK_LIMITS): LinkPlan {
  const content = ask.content.length === 0 ? ['ips' as const] : ask.content;
  const unknown = content.filter((c) => !CONTENTS.includes(c as LinkContent));
  if (unknown.length > 0) throw new LinkError(`content: a health link carries ips, immunization or laboratory, not ${unknown.join(', ')}`);
  const unique = [...new Set(content as LinkContent[])];
  if (ask.label !== undefined && (ask.label.length === 0 || [...ask.label].length > 80)) throw new LinkError('label: 1 to 80 characters (the IG’s limit)');
  if (ask.passcode !== undefined && (ask.passcode.length < 4 || ask.passcode.length > 64)) throw new LinkError('passcode: 4 to 64 characters');
  if (ask.direct && ask.passcode !== undefined) throw new LinkError('direct: a link whose URL is the file itself (flag U) cannot take a passcode');
  if (ask.direct && unique.length !== 1) throw new LinkError('direct: a link whose URL is the file itself (flag U) carries exactly one content');
  let expiresAt = new Date(now.getTime() + limits.defaultDays * 86_400_000);
  if (ask.expires !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(ask.expires) || Number.isNaN(Date.parse(ask.expires))) throw new LinkError(`expires: "${ask.expires}" is not a date or an instant with its offset`);
    expiresAt = new Date(Date.parse(ask.expires));
    if (expiresAt.getTime() <= now.getTime()) throw new LinkError('expires: the moment has passed');
  }
  if (expiresAt.getTime() > now.getTime() + limits.maxDays * 86_400_000) throw new LinkError(`expires: at most ${limits.maxDays} days from now`);
  const flag = [ask.longTerm ? 'L' : '', ask.passcode !== undefined ? 'P' : '', ask.direct ? 'U' : ''].join('');
  return { ...(ask.label !== undefined ? { label: ask.label } : {}), ...(ask.passcode !== undefined ? { passcode: ask.passcode } : {}), expiresAt, content: unique, flag };
}

/** The payload a `shlink:/` carries (IG: url, key, exp, flag, label, v). */
export interface ShlPayload {
  readonly url: string;
  readonly key: string;
  readonly exp?: number;
  readonly flag?: string;
  readonly label?: string;
  readonly v?: number;
}

export function encodeShlink(payload: ShlPayload): string {
  const ordered = { url: payload.url, key: payload.key, ...(payload.exp !== undefined ? { exp: payload.exp } : {}), ...(payload.flag ? { flag: payload.flag } : {}), ...(payload.label ? { label: payload.label } : {}), v: payload.v ?? 1 };
  return `shlink:/${Buffer.from(JSON.stringify(ordered), 'utf8').toString('base64url')}`;
}

/** Reads a `shlink:/…`, bare or behind a viewer (`https://viewer.example/#shlink:/…`), as a receiver does. */
export function decodeShlink(text: string): ShlPayload {
  const at = text.indexOf('shlink:/');
  if (at < 0) throw new LinkError('not a SMART Health Link (no shlink:/)');
  let payload: ShlPayload;
  try {
    payload = JSON.parse(Buffer.from(text.slice(at + 'shlink:/'.length), 'base64url').toString('utf8')) as ShlPayload;
  } catch {
    throw new LinkError('the shlink:/ payload is not base64url JSON');
  }
  if (typeof payload.url !== 'string' || typeof payload.key !== 'string' || Buffer.from(payload.key, 'base64url').length !== 32) throw new LinkError('the payload needs a url and a 32-byte key');
  return payload;
}

/** A stored link as the rules need it. */
export interface LinkState {
  readonly revokedAt?: Date;
  readonly expiresAt: Date;
  readonly passcodeHash?: string;
  readonly attemptsLeft: number;
  readonly flag: string;
}

export type LinkStatus = 'active' | 'revoked' | 'expired' | 'locked';

export function linkStatus(link: LinkState, now: Date): LinkStatus {
  if (link.revokedAt) return 'revoked';
  if (link.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (link.passcodeHash !== undefined && link.attemptsLeft <= 0) return 'locked';
  return 'active';
}

/** A recipient's manifest request (IG: POST { recipient, passcode?, embeddedLengthMax? }). */
export interface ManifestRequest {
  readonly recipient: string;
  readonly passcode?: string;
  readonly embeddedLengthMax?: number;
}

export function parseManifestRequest(body: unknown): ManifestRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new LinkError('the manifest request is a JSON object { "recipient": … }');
  const { recipient, passcode, embeddedLengthMax } = body as Record<string, unknown>;
  if (typeof recipient !== 'string' || recipient.trim().length === 0 || recipient.length > 200) throw new LinkError('recipient: the requester’s name (1 to 200 characters) is required');
  if (passcode !== undefined && typeof passcode !== 'string') throw new LinkError('passcode: a string');
  if (embeddedLengthMax !== undefined && (typeof embeddedLengthMax !== 'number' || !Number.isInteger(embeddedLengthMax) || embeddedLengthMax < 0)) throw new LinkError('embeddedLengthMax: a non-negative integer');
  return { recipient: recipient.trim(), ...(passcode !== undefined ? { passcode } : {}), ...(embeddedLengthMax !== undefined ? { embeddedLengthMax } : {}) };
}

/** What a manifest request is answered, before any file is read. */
export type Admission =
  | { readonly kind: 'absent' } // unknown, revoked, expired or locked: 404, the same answer for each
  | { readonly kind: 'passcode-needed' } // the link has a passcode and none was sent (401, nothing counted)
  | { readonly kind: 'check-passcode' }
  | { readonly kind: 'admit' };

export function admit(link: LinkState | undefined, request: { passcode?: string }, now: Date): Admission {
  if (!link || linkStatus(link, now) !== 'active') return { kind: 'absent' };
  if (link.passcodeHash === undefined) return { kind: 'admit' };
  return request.passcode === undefined ? { kind: 'passcode-needed' } : { kind: 'check-passcode' };
}

/** A stored file of a link: its content type and its JWE (compact serialisation). */
export interface LinkFile {
  readonly contentType: string;
  readonly jwe: string;
  readonly lastUpdated: string;
}

export interface ManifestFile {
  readonly contentType: string;
  readonly embedded?: string;
  readonly location?: string;
  readonly lastUpdated: string;
}

/**
 * The manifest's files: embedded when the recipient set no bound or the file fits it, otherwise a
 * short-lived `location` (`locationOf(index)`). `status` is `can-change` for a long-term link.
 */
export function manifest(files: readonly LinkFile[], flag: string, embeddedLengthMax: number | undefined, locationOf: (index: number) => string): { status: string; files: ManifestFile[] } {
  return {
    status: flag.includes('L') ? 'can-change' : 'finalized',
    files: files.map((f, i) => (embeddedLengthMax === undefined || f.jwe.length <= embeddedLengthMax
      ? { contentType: f.contentType, embedded: f.jwe, lastUpdated: f.lastUpdated }
      : { contentType: f.contentType, location: locationOf(i), lastUpdated: f.lastUpdated })),
  };
}

/** The `location` ticket: `<expiry epoch seconds>.<mac>`, the MAC over the link, the file and the expiry. */
export function ticketFor(token: string, index: number, now: Date, limits: LinkLimits, mac: (value: string) => string): string {
  const exp = Math.floor(now.getTime() / 1000) + limits.locationSeconds;
  return `${exp}.${mac(`${token}|${index}|${exp}`)}`;
}

export function ticketValid(ticket: string, token: string, index: number, now: Date, mac: (value: string) => string, equal: (a: string, b: string) => boolean): boolean {
  const match = /^(\d{1,12})\.([\w-]{20,100})$/.exec(ticket);
  if (!match) return false;
  const exp = Number(match[1]);
  return exp * 1000 > now.getTime() && equal(match[2] as string, mac(`${token}|${index}|${exp}`));
}
