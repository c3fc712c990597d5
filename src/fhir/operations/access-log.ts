import { roleClass } from '../../access/roles.js';
import { reachOf } from '../../access/scopes.js';
import { errors } from '../outcomes.js';
import type { Handler } from '../router/types.js';
import { searchAudit } from '../../storage/audit-store.js';
import type { Queryable } from '../../storage/database.js';
import type { Principal } from '../../access/principal.js';
import { contextPatients, narrowedFor } from '../../access/person-scope.js';
import { linkedPatientIds } from '../../mpi/store/link-store.js';

/**
 * The access log of a record (`GET /fhir/Patient/[id]/$access-log`): every access to it, newest first —
 * for the patient, their proxies and privacy officers. (Carnet's audit trail is its own append-only table,
 * not AuditEvent resources of the store.)
 */
const PARAMS = new Set(['date', '_count', '_cursor', '_format', '_pretty']);
const MAX_COUNT = 500;

function dateBound(value: string): { since?: string; until?: string } {
  const match = /^(ge|gt|le|lt)?(\d{4}(-\d{2}(-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?)$/.exec(value);
  if (!match) throw errors.invalid(`date: "${value}" is not a date with an optional ge/gt/le/lt prefix`);
  const instant = new Date(Date.parse(match[2] as string)).toISOString();
  const prefix = match[1] ?? 'ge';
  return prefix === 'le' || prefix === 'lt' ? { until: instant } : { since: instant };
}

/** Who may read the access log of `patientId` (a decision with its reason, for the trail). */
function mayReadLog(principal: Principal | undefined, patientId: string): string | undefined {
  if (!principal) return undefined;
  if (principal.role === 'privacy-officer' || principal.platform) return undefined;
  if (roleClass(principal.role) !== 'own-record') return 'The access log is for the patient, their proxies and privacy officers';
  const reach = reachOf(principal.scopes, 'Patient', 'r');
  if (!reach) return 'no granted scope reads Patient';
  const own = reach === 'patient' ? contextPatients(principal) : principal.patients;
  if (!own.includes(patientId)) return 'A patient or proxy reads the access log of their own records only';
  return narrowedFor(principal, patientId) ? 'From the control age a minor controls their record: their access log is theirs' : undefined;
}

/** A page of audit records as a searchset Bundle (stored JSON served as is). */
export function auditBundle(self: string, records: readonly { uid: string; content: string }[], next: string | undefined, total: number | undefined): string {
  const links = [{ relation: 'self', url: self }, ...(next ? [{ relation: 'next', url: next }] : [])];
  const entries = records.map((r) => `{"fullUrl":${JSON.stringify(`urn:uuid:${r.uid}`)},"resource":${r.content},"search":{"mode":"match"}}`);
  return `{"resourceType":"Bundle","type":"searchset"${total === undefined ? '' : `,"total":${total}`},"link":${JSON.stringify(links)},"entry":[${entries.join(',')}]}`;
}

export interface LogPage {
  readonly patients?: readonly string[];
  readonly query: URLSearchParams;
  /** The whole trail's search (privacy officers) also takes agent, action, outcome and break-glass. */
  readonly filters?: boolean;
}

const FILTERS = new Set(['agent', 'action', 'outcome', 'break-glass']);

function filtersOf(query: URLSearchParams): { agent?: string; action?: string; outcome?: string; breakGlass?: boolean } {
  const agent = query.get('agent')?.trim();
  const action = query.get('action')?.trim();
  const outcome = query.get('outcome')?.trim();
  if (outcome && !/^(0|4|8|12)$/.test(outcome)) throw errors.invalid('outcome: 0 (success), 4 (denied or failed), 8 (error) or 12');
  const glass = query.get('break-glass');
  if (glass !== null && glass !== 'true' && glass !== 'false') throw errors.invalid('break-glass: true or false');
  return { ...(agent ? { agent } : {}), ...(action ? { action } : {}), ...(outcome ? { outcome } : {}), ...(glass === 'true' ? { breakGlass: true } : {}) };
}

/** Reads one page of the audit trail from query parameters (date, _count, _cursor). */
export async function auditPage(reader: Queryable, q: LogPage, selfBase: string): Promise<string> {
  for (const name of q.query.keys()) if (!PARAMS.has(name) && name !== 'patient' && !(q.filters && FILTERS.has(name))) throw errors.invalid(`The access log does not take the parameter "${name}"`);
  const count = Math.min(Number(q.query.get('_count') ?? 50), MAX_COUNT);
  if (!Number.isInteger(count) || count < 1) throw errors.invalid('_count must be a positive integer');
  const cursor = q.query.get('_cursor');
  if (cursor !== null && !/^\d+$/.test(cursor)) throw errors.invalid('_cursor is not a cursor this server gave');
  const rows = await searchAudit(reader, {
    ...(q.patients ? { patients: q.patients } : {}),
    ...Object.assign({}, ...q.query.getAll('date').map(dateBound)),
    ...(cursor ? { beforeId: Number(cursor) } : {}),
    ...(q.filters ? filtersOf(q.query) : {}),
    limit: count + 1,
  });
  const page = rows.slice(0, count);
  const last = page[page.length - 1];
  let next: string | undefined;
  if (rows.length > count && last) {
    const params = new URLSearchParams(q.query);
    params.set('_cursor', String(last.id));
    next = `${selfBase}?${params.toString()}`;
  }
  const self = q.query.toString() ? `${selfBase}?${q.query.toString()}` : selfBase;
  return auditBundle(self, page, next, !cursor && rows.length <= count ? page.length : undefined);
}

/** GET Patient/[id]/$access-log */
export const accessLog: Handler = async ({ request, ctx, reader, params }) => {
  const id = params.id as string;
  for (const name of request.query.keys()) if (!PARAMS.has(name)) throw errors.invalid(`$access-log does not take the parameter "${name}"`);
  const refusal = mayReadLog(request.access?.principal, id);
  if (refusal) throw errors.forbidden(refusal);
  request.audit?.entity(`Patient/${id}`, id);
  request.audit?.decision('access log of the patient\'s own record');
  // One person, one record: the log of every source record of the person, whichever one is named.
  const patients = ctx.mpi ? await linkedPatientIds(reader, id) : [id];
  const body = await auditPage(reader, { patients, query: request.query }, `${ctx.fhirBaseUrl}/Patient/${id}/$access-log`);
  return { status: 200, body };
};
