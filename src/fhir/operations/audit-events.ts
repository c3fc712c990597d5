import type { AuditEvent } from '@medplum/fhirtypes';
import { agentKey } from '../../access/principal.js';
import type { AuditRecord } from '../../audit/record.js';
import { auditEventByUid, insertAuditRecords, searchAuditEvents } from '../../storage/audit-store.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { bodyOfType, preferReturn } from '../interactions/respond.js';
import { searchParameters } from '../interactions/search.js';
import { assertValid } from '../validation.js';
import { auditBundle } from './access-log.js';
import { parseAuditEventQuery } from './audit-event-query.js';

/**
 * `AuditEvent` is Carnet's audit trail (table audit_event), not a resource of the store (IHE RESTful ATNA):
 * ITI-81 searches and reads it, and an AuditEvent another system records (ITI-20, `POST AuditEvent`)
 * joins it — sealed into the same hash chain, so one query sees what Carnet and every source recorded, and
 * nobody can change or remove it afterwards (update, patch and delete are refused: the trail is
 * append-only). Who may search and read is the route's policy (route-policies.ts `auditTrailReader`);
 * each search is itself audited by the router, naming the patients it asked about.
 */

/** GET AuditEvent?…, POST AuditEvent/_search, GET Patient/{id}/AuditEvent?… */
export const searchAuditTrail: Handler = async ({ request, ctx, reader, params }) => {
  const query = new URLSearchParams(searchParameters(request));
  const compartment = params.compartmentType === 'AuditEvent' ? params.id : undefined;
  if (compartment) query.append('patient', compartment);
  const q = parseAuditEventQuery(query);
  for (const patient of q.namedPatients) request.audit?.entity(`Patient/${patient}`, patient);
  request.audit?.decision('audit trail query (IHE ITI-81)');
  const rows = await searchAuditEvents(reader, q);
  const page = rows.slice(0, q.count);
  const last = page[page.length - 1];
  const selfBase = `${ctx.fhirBaseUrl}/${compartment ? `Patient/${compartment}/AuditEvent` : 'AuditEvent'}`;
  const shown = searchParameters(request);
  let next: string | undefined;
  if (rows.length > q.count && last) {
    const following = new URLSearchParams(shown);
    following.set('_cursor', String(last.id));
    next = `${selfBase}?${following.toString()}`;
  }
  const self = shown.toString() ? `${selfBase}?${shown.toString()}` : selfBase;
  return { status: 200, body: auditBundle(self, page, next, q.cursor === undefined && rows.length <= q.count ? page.length : undefined) };
};

/** GET AuditEvent/{id} */
export const readAuditEvent: Handler = async ({ request, reader, params }) => {
  const id = params.id as string;
  request.audit?.decision('audit trail read (IHE ITI-81)');
  const content = await auditEventByUid(reader, id);
  if (content === undefined) throw errors.notFound(`AuditEvent/${id} is not in the audit trail`);
  return { status: 200, body: content };
};

/** Local Patient references of an AuditEvent (its entities and agents): whose access log lists it. */
export function patientsOf(event: AuditEvent, fhirBaseUrl: string): string[] {
  const refs = [...(event.entity ?? []).map((e) => e.what?.reference), ...(event.agent ?? []).map((a) => a.who?.reference)];
  const ids = new Set<string>();
  for (const ref of refs) {
    const local = ref?.startsWith(`${fhirBaseUrl}/`) ? ref.slice(fhirBaseUrl.length + 1) : ref;
    const m = local ? /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(local) : null;
    if (m) ids.add(m[1] as string);
  }
  return [...ids].sort();
}

/** POST AuditEvent (ITI-20 over FHIR): the event joins the trail with a Carnet id; the id a client sent is ignored, as for any create. */
export const recordAuditEvent: Handler = async ({ request, ctx, reader }) => {
  const sent = bodyOfType(request, 'AuditEvent') as AuditEvent;
  if (request.headers.ifNoneExist) throw errors.invalid('An AuditEvent is recorded as sent: conditional create (If-None-Exist) is not supported');
  const principal = request.access?.principal;
  const id = ctx.newId();
  const event: AuditEvent = { ...sent, id, meta: { ...sent.meta, lastUpdated: ctx.clock().toISOString() } };
  delete (event.meta as { versionId?: string }).versionId;
  assertValid(event);
  const record: AuditRecord = {
    uid: id,
    // Searched and shown by when the source says it happened; the chain keeps the order it arrived in.
    recorded: new Date(event.recorded).toISOString(),
    action: event.action ?? 'E',
    // Who put it in the trail (the submitting client or user): the record's own agents are in its content.
    agent: principal ? agentKey(principal) : 'internal',
    patients: patientsOf(event, ctx.fhirBaseUrl),
    outcome: event.outcome ?? '0',
    breakGlass: false,
    content: JSON.stringify(event),
  };
  request.audit?.entity(`AuditEvent/${id}`);
  request.audit?.decision('an AuditEvent recorded by another system joins the trail (IHE ITI-20)');
  if (!ctx.audit) await insertAuditRecords(reader, [record]);
  else if (reader === ctx.db) await ctx.audit.record(record);
  else await ctx.audit.insert(reader, [record]);
  const headers = { Location: `${ctx.fhirBaseUrl}/AuditEvent/${id}` };
  return preferReturn(request) === 'minimal' ? { status: 201, headers } : { status: 201, body: event, headers };
};

/** PUT, PATCH and DELETE of an AuditEvent, and its history: the trail is append-only and unversioned. */
export const appendOnly: Handler = async ({ request }) => {
  throw errors.methodNotAllowed(`The audit trail is append-only: ${request.method} /${request.path} is not allowed`);
};
