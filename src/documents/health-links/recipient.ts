import { auditRecord, type AuditOutcome } from '../../audit/event.js';
import type { AuditSink } from '../../audit/record.js';
import { verifySecret, verifyDecoy } from '../../auth/passwords.js';
import { safeEqual, sha256 } from '../../auth/secrets.js';
import type { Database } from '../../storage/database.js';
import { admit, LinkError, linkStatus, manifest, parseManifestRequest, ticketFor, ticketValid, type LinkLimits } from './link.js';
import { countAccess, linkByToken, linkFiles, spendAttempt, type StoredLink } from './store.js';

/**
 * What a recipient of a SMART Health Link can do, without any account (the link is the credential): ask
 * for the manifest (POST, with the passcode of a P link), fetch a file at a manifest's `location`, or GET a
 * U link's one file. Every request to a known link is audited under the person's patients — their access
 * log shows who asked (the recipient's name as given), when, and what was answered — before it is answered.
 * Transport-free: src/http/health-links-plugin.ts adapts it to HTTP.
 */
export interface RecipientDeps {
  readonly db: Database;
  readonly audit?: AuditSink;
  readonly clock: () => Date;
  readonly newId: () => string;
  readonly limits: LinkLimits;
  readonly mac: (value: string) => string;
  /** The public origin of the manifest URLs (the `url` of the links). */
  readonly baseUrl: string;
}

export interface RecipientAnswer {
  readonly status: number;
  readonly body: unknown;
  /** `application/json` (manifest, errors) or `application/jose` (a file). */
  readonly contentType: string;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const json = (status: number, body: unknown): RecipientAnswer => ({ status, body, contentType: 'application/json' });
const absent = (): RecipientAnswer => json(404, { error: 'no-such-link', error_description: 'No active SMART Health Link at this URL (unknown, expired, revoked or locked)' });

async function record(deps: RecipientDeps, link: StoredLink, facts: { recipient: string; address?: string; result: string; outcome: AuditOutcome }): Promise<void> {
  await deps.audit?.record(auditRecord({
    uid: deps.newId(), recorded: deps.clock().toISOString(), event: 'health-link-access', action: 'R', outcome: facts.outcome,
    agent: { key: `health-link:${link.id}`, display: facts.recipient, ...(facts.address ? { address: facts.address } : {}) },
    patients: link.patientIds, entities: [`urn:carnet:health-link:${link.id}`],
    details: { recipient: facts.recipient, link: link.id, result: facts.result, ...(link.label ? { label: link.label } : {}) },
  }));
}

async function findLink(deps: RecipientDeps, token: string): Promise<StoredLink | undefined> {
  return TOKEN.test(token) ? linkByToken(deps.db, sha256(token)) : undefined;
}

/** POST <url> { recipient, passcode?, embeddedLengthMax? } — the manifest. */
export async function manifestRequest(deps: RecipientDeps, token: string, body: unknown, address?: string): Promise<RecipientAnswer> {
  let ask;
  try {
    ask = parseManifestRequest(body);
  } catch (error) {
    if (error instanceof LinkError) return json(400, { error: 'invalid_request', error_description: error.message });
    throw error;
  }
  const link = await findLink(deps, token);
  const now = deps.clock();
  const admission = admit(link, ask, now);
  if (!link || admission.kind === 'absent') {
    if (link) await record(deps, link, { recipient: ask.recipient, ...(address ? { address } : {}), result: 'refused: the link is no longer active', outcome: '4' });
    else if (ask.passcode !== undefined) await verifyDecoy(ask.passcode); // the same time whether the link exists or not
    return absent();
  }
  if (link.flag.includes('U')) return json(400, { error: 'invalid_request', error_description: 'This link is a direct file (flag U): GET it with ?recipient=' });
  if (admission.kind === 'passcode-needed') {
    await record(deps, link, { recipient: ask.recipient, ...(address ? { address } : {}), result: 'refused: no passcode', outcome: '4' });
    return json(401, { error: 'passcode-required', remainingAttempts: link.attemptsLeft });
  }
  if (admission.kind === 'check-passcode' && !(await verifySecret(link.passcodeHash as string, ask.passcode as string))) {
    const left = await spendAttempt(deps.db, link.id);
    await record(deps, link, { recipient: ask.recipient, ...(address ? { address } : {}), result: left > 0 ? `refused: wrong passcode (${left} attempts left)` : 'refused: wrong passcode, the link is now locked', outcome: '4' });
    return left > 0 ? json(401, { error: 'invalid-passcode', remainingAttempts: left }) : absent();
  }
  const files = await linkFiles(deps.db, link.id);
  const answer = manifest(files, link.flag, ask.embeddedLengthMax, (i) => `${deps.baseUrl}/shl/${token}/files/${i}?ticket=${ticketFor(token, i, now, deps.limits, deps.mac)}`);
  await countAccess(deps.db, link.id, now);
  await record(deps, link, { recipient: ask.recipient, ...(address ? { address } : {}), result: `manifest: ${answer.files.map((f) => `${f.contentType} ${f.embedded ? 'embedded' : 'location'}`).join(', ')}`, outcome: '0' });
  return json(200, answer);
}

/** GET <location> — one file of a manifest, while the ticket lasts and the link is active. */
export async function locationRequest(deps: RecipientDeps, token: string, index: number, ticket: string, address?: string): Promise<RecipientAnswer> {
  const now = deps.clock();
  if (!TOKEN.test(token) || !Number.isInteger(index) || !ticketValid(ticket, token, index, now, deps.mac, safeEqual)) return absent();
  const link = await findLink(deps, token);
  if (!link || linkStatus(link, now) !== 'active') return absent();
  const file = (await linkFiles(deps.db, link.id))[index];
  if (!file) return absent();
  await record(deps, link, { recipient: 'the holder of a manifest location', ...(address ? { address } : {}), result: `file ${index}: ${file.contentType}`, outcome: '0' });
  return { status: 200, body: file.jwe, contentType: 'application/jose' };
}

/** GET <url>?recipient=… — a U link's one file (no manifest, no passcode). */
export async function directRequest(deps: RecipientDeps, token: string, recipient: string | undefined, address?: string): Promise<RecipientAnswer> {
  if (!recipient || recipient.trim().length === 0 || recipient.length > 200) return json(400, { error: 'invalid_request', error_description: 'recipient: the requester’s name is required (?recipient=…)' });
  const link = await findLink(deps, token);
  const now = deps.clock();
  if (!link || !link.flag.includes('U') || admit(link, {}, now).kind !== 'admit') {
    if (link) await record(deps, link, { recipient, ...(address ? { address } : {}), result: 'refused: not an active direct link', outcome: '4' });
    return absent();
  }
  const file = (await linkFiles(deps.db, link.id))[0];
  if (!file) return absent();
  await countAccess(deps.db, link.id, now);
  await record(deps, link, { recipient, ...(address ? { address } : {}), result: `direct file: ${file.contentType}`, outcome: '0' });
  return { status: 200, body: file.jwe, contentType: 'application/jose' };
}
