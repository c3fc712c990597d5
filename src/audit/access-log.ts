import { randomUUID } from 'node:crypto';
import type { Parameters as FhirParameters } from '@medplum/fhirtypes';
import { mayBreakGlass, roleClass } from '../access/roles.js';
import { reachOf } from '../access/scopes.js';
import { errors } from '../fhir/outcomes.js';
import { parseLocalReference } from '../fhir/references.js';
import type { Handler } from '../fhir/router/types.js';
import { readAudit, searchAudit } from '../storage/audit-store.js';
import { readCurrent } from '../storage/resource-store.js';

/**
 * The access log (`GET /fhir/AuditEvent?patient=…`, `GET /fhir/AuditEvent/[id]`): a patient or proxy
 * lists every access to the records they hold, newest first; a privacy officer any patient's or all.
 * And break-the-glass (`POST /fhir/Patient/[id]/$break-the-glass`).
 */
const PARAMS = new Set(['patient', 'date', '_count', '_cursor', '_format', '_pretty']);
const MAX_COUNT = 500;

function reviewer(role: string, platform: boolean): boolean {
  return role === 'privacy-officer' || platform;
}

function dateBound(value: string): { since?: string; until?: string } {
  const match = /^(ge|gt|le|lt|eq)?(\d{4}(-\d{2}(-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?)$/.exec(value);
  if (!match) throw errors.invalid(`date: "${value}" is not a date with an optional ge/gt/le/lt prefix`);
  const instant = new Date(Date.parse(match[2] as string)).toISOString();
  const prefix = match[1] ?? 'ge';
  return prefix === 'le' || prefix === 'lt' ? { until: instant } : { since: instant };
}

export const auditSearch: Handler = async ({ request, ctx, reader }) => {
  for (const name of request.query.keys()) if (!PARAMS.has(name)) throw errors.invalid(`The access log does not take the parameter "${name}"`);
  const principal = request.access?.principal;
  const asked = request.query.getAll('patient').flatMap((v) => v.split(',')).map((v) => parseLocalReference(v.includes('/') ? v : `Patient/${v}`, ctx.fhirBaseUrl)?.id ?? v);
  let patients: string[] | undefined = asked.length ? asked : undefined;
  if (principal && !reviewer(principal.role, principal.platform)) {
    if (roleClass(principal.role) !== 'own-record') throw errors.forbidden('The access log is for patients, their proxies and privacy officers');
    const own = principal.launchPatient && reachOf(principal.scopes, 'AuditEvent', 's') === 'patient' ? [principal.launchPatient] : principal.patients;
    if (patients?.some((p) => !own.includes(p))) throw errors.forbidden('A patient or proxy sees the access log of their own records only');
    patients ??= [...own];
    if (patients.length === 0) throw errors.forbidden('This account holds no patient record');
  }
  const count = Math.min(Number(request.query.get('_count') ?? 50), MAX_COUNT);
  if (!Number.isInteger(count) || count < 1) throw errors.invalid('_count must be a positive integer');
  const bounds = request.query.getAll('date').map(dateBound);
  const cursor = request.query.get('_cursor');
  if (cursor !== null && !/^\d+$/.test(cursor)) throw errors.invalid('_cursor is not a cursor this server gave');
  const rows = await searchAudit(reader, {
    ...(patients ? { patients } : {}),
    ...Object.assign({}, ...bounds),
    ...(cursor ? { beforeId: Number(cursor) } : {}),
    limit: count + 1,
  });
  for (const p of patients ?? []) request.audit?.patients.add(p);
  const page = rows.slice(0, count);
  const self = `${ctx.fhirBaseUrl}/AuditEvent?${request.query.toString()}`;
  const links = [{ relation: 'self', url: self }];
  const last = page[page.length - 1];
  if (rows.length > count && last) {
    const next = new URLSearchParams(request.query);
    next.set('_cursor', String(last.id));
    links.push({ relation: 'next', url: `${ctx.fhirBaseUrl}/AuditEvent?${next.toString()}` });
  }
  const entries = page.map((r) => `{"fullUrl":${JSON.stringify(`${ctx.fhirBaseUrl}/AuditEvent/${r.uid}`)},"resource":${r.content},"search":{"mode":"match"}}`);
  const total = !cursor && rows.length <= count ? `,"total":${page.length}` : '';
  return { status: 200, body: `{"resourceType":"Bundle","type":"searchset"${total},"link":${JSON.stringify(links)},"entry":[${entries.join(',')}]}` };
};

export const auditRead: Handler = async ({ request, reader, params }) => {
  const row = await readAudit(reader, params.id as string);
  const principal = request.access?.principal;
  const visible = row && (!principal || reviewer(principal.role, principal.platform)
    || (roleClass(principal.role) === 'own-record' && row.patients.some((p) => principal.patients.includes(p))));
  if (!row || !visible) throw errors.notFound(`AuditEvent/${params.id} does not exist`);
  return { status: 200, body: row.content };
};

export const auditWrite: Handler = async () => {
  throw errors.methodNotAllowed('AuditEvents are recorded by Carnet itself: the audit trail is append-only');
};

/** POST Patient/[id]/$break-the-glass — an emergency override with a stated reason, limited in time. */
export const breakTheGlass: Handler = async ({ request, ctx, reader, params }) => {
  const principal = request.access?.principal;
  if (!principal) throw errors.forbidden('Break-the-glass is for professionals');
  if (!mayBreakGlass(principal.role) || principal.kind !== 'user') throw errors.forbidden('Only a physician, nurse or pharmacist may break the glass');
  if (reachOf(principal.scopes, 'Patient', 'r') !== 'all') throw errors.forbidden('Break-the-glass needs a user/ scope that reads Patient');
  const body = request.body as FhirParameters | undefined;
  if (body?.resourceType !== 'Parameters') throw errors.invalid('Send a Parameters resource with a "reason" (valueString)');
  const reason = body.parameter?.find((p) => p.name === 'reason')?.valueString?.trim() ?? '';
  if (reason.length < 10) throw errors.invalid('State the reason for the emergency access (at least 10 characters)');
  const maxMinutes = ctx.breakGlassMinutes ?? 240;
  const askedMinutes = body.parameter?.find((p) => p.name === 'minutes')?.valueInteger;
  const minutes = Math.min(askedMinutes ?? maxMinutes, maxMinutes);
  if (!Number.isInteger(minutes) || minutes < 1) throw errors.invalid('minutes must be a positive integer');
  const id = params.id as string;
  const patient = await readCurrent(reader, 'Patient', id);
  if (!patient || patient.deleted) throw errors.notFound(`Patient/${id} does not exist`);
  const now = ctx.clock();
  const expires = new Date(now.getTime() + minutes * 60_000);
  const grant = randomUUID();
  await reader.query('INSERT INTO break_glass (id, actor, patient_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [grant, principal.subject, id, reason, now.toISOString(), expires.toISOString()]);
  if (request.audit) {
    request.audit.entity(`Patient/${id}`, id);
    request.audit.decision(`break-the-glass granted until ${expires.toISOString()}`, 'ETREAT', true);
    request.audit.breakGlassReason = reason;
    request.audit.breakGlassExpires = expires.toISOString();
  }
  ctx.log.warn({ actor: principal.subject, grant }, 'break-the-glass access granted');
  const out: FhirParameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'grant', valueString: grant }, { name: 'patient', valueReference: { reference: `Patient/${id}` } },
      { name: 'expires', valueInstant: expires.toISOString() }, { name: 'reason', valueString: reason },
    ],
  };
  return { status: 200, body: out };
};
