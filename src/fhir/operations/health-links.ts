import { randomBytes } from 'node:crypto';
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { roleClass } from '../../access/roles.js';
import { agentKey } from '../../access/principal.js';
import { hashSecret } from '../../auth/passwords.js';
import { randomToken, sha256 } from '../../auth/secrets.js';
import { SHC } from '../../documents/health-cards/card.js';
import { encryptFile } from '../../documents/health-links/jwe.js';
import { encodeShlink, LinkError, linkStatus, planLink, SHL_TYPES, type LinkContent } from '../../documents/health-links/link.js';
import { insertLink, linkById, linksOfPatients, revokeLink, type StoredLink } from '../../documents/health-links/store.js';
import { linkedPatientIds } from '../../mpi/store/link-store.js';
import { readCurrent } from '../../storage/resource-store.js';
import { checkRead } from '../access.js';
import { errors } from '../outcomes.js';
import type { Handler, HandlerInput } from '../router/types.js';
import { healthCardsIssue } from './health-cards.js';
import { patientSummary } from './summary.js';

/**
 * SMART Health Links to the person's record (docs/documents.md#smart-health-links):
 * `POST Patient/[id]/$health-link` creates one — decided like a read of the Patient, its content read with
 * the creator's access (what they may not see is not behind the link) — `GET Patient/[id]/$health-links`
 * lists them, `POST Patient/[id]/$health-link-revoke` ends one. Recipients use the manifest URL
 * (src/http/health-links-plugin.ts).
 */
export const SHL_PATH = '/shl';

async function patientOf({ request, ctx, reader, params }: HandlerInput): Promise<{ id: string; patientIds: string[] }> {
  const id = params.id as string;
  const row = await readCurrent(reader, 'Patient', id);
  if (!row) throw errors.notFound(`Patient/${id} does not exist`);
  if (row.deleted) throw errors.gone(`Patient/${id} was deleted`);
  await checkRead(request, ctx, reader, row);
  return { id, patientIds: ctx.mpi ? await linkedPatientIds(reader, id) : [id] };
}

function creator(input: HandlerInput): { key: string; name?: string } {
  const p = input.request.access?.principal;
  return p ? { key: agentKey(p), ...(p.display ? { name: p.display } : {}) } : { key: 'carnet' };
}

/** Links the caller may manage: the person (or a proxy) and platform or privacy officers all of them, anyone else those they made. */
function managesAll(input: HandlerInput): boolean {
  const p = input.request.access?.principal;
  return !p || p.platform || p.role === 'privacy-officer' || roleClass(p.role) === 'own-record';
}

/** The files behind the link, each as its plain text, read through the same operations with the creator's access. */
async function contentFiles(input: HandlerInput, contents: readonly LinkContent[]): Promise<{ files: { contentType: string; text: string }[]; warnings: string[] }> {
  const files: { contentType: string; text: string }[] = [];
  const warnings: string[] = [];
  for (const content of contents) {
    if (content === 'ips') {
      const r = await patientSummary({ ...input, request: { ...input.request, query: new URLSearchParams(), body: undefined } });
      files.push({ contentType: SHL_TYPES.fhir, text: JSON.stringify(r.body) });
      continue;
    }
    const body: Parameters = { resourceType: 'Parameters', parameter: [{ name: 'credentialType', valueUri: content === 'immunization' ? SHC.immunization : SHC.laboratory }] };
    const r = await healthCardsIssue({ ...input, request: { ...input.request, query: new URLSearchParams(), body } });
    const jws = ((r.body as Parameters).parameter ?? []).find((p) => p.name === 'verifiableCredential')?.valueString;
    if (jws) files.push({ contentType: SHL_TYPES.card, text: JSON.stringify({ verifiableCredential: [jws] }) });
    else warnings.push(`content ${content}: the record holds nothing for such a card (or nothing the creator may see); no card is behind the link`);
  }
  return { files, warnings };
}

function value(p: ParametersParameter | undefined): string | undefined {
  return p?.valueDateTime ?? p?.valueInstant ?? p?.valueDate ?? p?.valueString ?? p?.valueCode;
}

export const healthLinkCreate: Handler = async (input) => {
  const { request, ctx } = input;
  const config = ctx.healthLinks;
  if (!config) throw errors.notSupported('this server hosts no SMART Health Links');
  const body = request.body as Resource | undefined;
  if (!body || body.resourceType !== 'Parameters') throw errors.invalid('$health-link takes a Parameters body (label, passcode, expires, content, longTerm, direct)');
  const given = (body as Parameters).parameter ?? [];
  const known = new Set(['label', 'passcode', 'expires', 'content', 'longTerm', 'direct']);
  for (const p of given) if (!known.has(p.name)) throw errors.invalid(`$health-link does not take the parameter "${p.name}"`);
  const one = (name: string) => given.find((p) => p.name === name);
  const now = ctx.clock();
  let plan;
  try {
    plan = planLink({
      ...(value(one('label')) !== undefined ? { label: value(one('label')) as string } : {}),
      ...(value(one('passcode')) !== undefined ? { passcode: value(one('passcode')) as string } : {}),
      ...(value(one('expires')) !== undefined ? { expires: value(one('expires')) as string } : {}),
      content: given.filter((p) => p.name === 'content').map((p) => value(p) ?? ''),
      longTerm: one('longTerm')?.valueBoolean === true, direct: one('direct')?.valueBoolean === true,
    }, now, config.limits);
  } catch (error) {
    if (error instanceof LinkError) throw errors.invalid(error.message);
    throw error;
  }
  const { id, patientIds } = await patientOf(input);
  const { files, warnings } = await contentFiles(input, plan.content);
  if (files.length === 0) throw errors.coded('unprocessable', 'Nothing to share: the record holds nothing for the content asked (or nothing the creator may see)');

  const key = randomBytes(32);
  const token = randomToken(32);
  const url = `${config.baseUrl}${SHL_PATH}/${token}`;
  const encrypted = await Promise.all(files.map(async (f) => ({ contentType: f.contentType, jwe: await encryptFile(f.text, key, f.contentType) })));
  const linkId = ctx.newId();
  const who = creator(input);
  const passcodeHash = plan.passcode !== undefined ? await hashSecret(plan.passcode) : undefined;
  await ctx.db.transaction((tx) => insertLink(tx, {
    id: linkId, tokenHash: sha256(token), patientId: id, patientIds, createdBy: who.key, ...(who.name ? { createdByName: who.name } : {}),
    ...(plan.label !== undefined ? { label: plan.label } : {}), flag: plan.flag, contents: plan.content, ...(passcodeHash ? { passcodeHash } : {}),
    attemptsLeft: config.limits.passcodeAttempts, expiresAt: plan.expiresAt, createdAt: now, files: encrypted,
  }));
  request.audit?.entity(`urn:carnet:health-link:${linkId}`, id);
  const shlink = encodeShlink({ url, key: key.toString('base64url'), exp: Math.floor(plan.expiresAt.getTime() / 1000), flag: plan.flag, ...(plan.label !== undefined ? { label: plan.label } : {}) });
  const parameter: ParametersParameter[] = [
    { name: 'shlink', valueString: shlink },
    ...(config.viewer ? [{ name: 'viewerUrl', valueUrl: `${config.viewer}#${shlink}` }] : []),
    { name: 'link', valueString: linkId },
    { name: 'expires', valueInstant: plan.expiresAt.toISOString() },
    ...(plan.flag ? [{ name: 'flag', valueString: plan.flag }] : []),
    { name: 'files', valueInteger: files.length },
    ...(warnings.length > 0 ? [{ name: 'outcome', resource: { resourceType: 'OperationOutcome' as const, issue: warnings.map((w) => ({ severity: 'warning' as const, code: 'informational' as const, diagnostics: w })) } }] : []),
  ];
  return { status: 201, body: { resourceType: 'Parameters', parameter } };
};

function describe(link: StoredLink, now: Date): ParametersParameter {
  const part: ParametersParameter[] = [
    { name: 'id', valueString: link.id },
    { name: 'status', valueCode: linkStatus(link, now) },
    ...(link.label !== undefined ? [{ name: 'label', valueString: link.label }] : []),
    ...link.contents.map((c) => ({ name: 'content', valueCode: c })),
    ...(link.flag ? [{ name: 'flag', valueString: link.flag }] : []),
    { name: 'passcode', valueBoolean: link.passcodeHash !== undefined },
    ...(link.passcodeHash !== undefined ? [{ name: 'remainingAttempts', valueInteger: link.attemptsLeft }] : []),
    { name: 'created', valueInstant: link.createdAt.toISOString() },
    { name: 'createdBy', valueString: link.createdByName ?? link.createdBy },
    { name: 'expires', valueInstant: link.expiresAt.toISOString() },
    ...(link.revokedAt ? [{ name: 'revoked', valueInstant: link.revokedAt.toISOString() }] : []),
    { name: 'accesses', valueInteger: link.accesses },
    ...(link.lastAccessAt ? [{ name: 'lastAccess', valueInstant: link.lastAccessAt.toISOString() }] : []),
  ];
  return { name: 'link', part };
}

export const healthLinkList: Handler = async (input) => {
  const { patientIds, id } = await patientOf(input);
  const links = await linksOfPatients(input.reader, patientIds, managesAll(input) ? undefined : creator(input).key);
  for (const link of links) input.request.audit?.entity(`urn:carnet:health-link:${link.id}`, id);
  const now = input.ctx.clock();
  return { status: 200, body: { resourceType: 'Parameters', parameter: links.map((l) => describe(l, now)) } };
};

export const healthLinkRevoke: Handler = async (input) => {
  const body = input.request.body as Parameters | undefined;
  const linkId = body?.resourceType === 'Parameters' ? body.parameter?.find((p) => p.name === 'link')?.valueString : input.request.query.get('link') ?? undefined;
  if (!linkId) throw errors.invalid('$health-link-revoke needs the parameter "link" (the id $health-link answered)');
  const { patientIds, id } = await patientOf(input);
  const link = await linkById(input.reader, linkId);
  // Another person's link, or one the caller may not manage, is answered as absent.
  if (!link || !patientIds.includes(link.patientId) || (!managesAll(input) && link.createdBy !== creator(input).key)) throw errors.notFound(`No health link ${linkId} of Patient/${id}`);
  const now = input.ctx.clock();
  const revoked = await revokeLink(input.ctx.db, link.id, creator(input).key, now);
  input.request.audit?.entity(`urn:carnet:health-link:${link.id}`, id);
  const after = await linkById(input.ctx.db, link.id) as StoredLink;
  return { status: 200, body: { resourceType: 'Parameters', parameter: [{ name: 'result', valueCode: revoked ? 'revoked' : 'already-revoked' }, describe(after, now)] } };
};
