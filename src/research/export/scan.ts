import type { Principal } from '../../access/principal.js';
import { parseScopes, reachOf } from '../../access/scopes.js';
import { readVisibility } from '../../consent/visibility-sql.js';
import { fhirDefinitions } from '../../fhir/definitions.js';
import { parseSearch } from '../../fhir/search/parse/request.js';
import { whereClause } from '../../fhir/search/sql/query.js';
import { databaseTerminology } from '../../fhir/search/execute.js';
import { resolveTerminology } from '../../fhir/search/terminology.js';
import type { SearchPlan } from '../../fhir/search/model.js';
import type { Queryable } from '../../storage/database.js';
import { SqlBuilder } from '../../storage/sql/builder.js';
import type { Visibility } from '../../storage/sql/visibility.js';
import type { StoredPrincipal } from './store.js';

/**
 * What an export reads, as SQL: one keyset page of one type, as of the export's transaction time. A page
 * is at most `limit` rows after a row id, so an export of any size holds one page in memory at a time.
 *
 * The snapshot: a resource whose current version is newer than the transaction time is exported as the
 * version it had then (from `resource_version`); one created after it is not exported; one deleted after
 * it is exported as it was (phase 1, which reads the rows deleted after the transaction time). So a
 * restarted export, or one read while the record keeps changing, is still the record as of that instant.
 */
export interface ScanScope {
  readonly transactionTime: string;
  readonly since?: string;
  readonly until?: string;
  /** The requester's read visibility (scopes, role, consents) — and the research opt-outs. */
  readonly visibility: Visibility;
  /** Patient ids the export is limited to (patient and group levels); undefined: every patient (system level). */
  readonly patients?: readonly string[];
  /** Patient-level and group-level exports hold patient data only. */
  readonly patientDataOnly: boolean;
  /** `_typeFilter` plans of this type (ORed), compiled against the current index. */
  readonly filters?: readonly SearchPlan[];
  /** Read each row's Person (the MPI's) too: a de-identified release shifts dates per person. */
  readonly persons?: boolean;
}

export interface ScannedRow {
  readonly rid: string;
  readonly patientId: string | null;
  /** The MPI Person of the row's patient, when the scope asks for it and the MPI knows one. */
  readonly personId?: string | null;
  readonly content: string;
}

export function principalOfStored(p: StoredPrincipal): Principal {
  return {
    kind: 'client', subject: p.clientId, clientId: p.clientId, role: p.role as Principal['role'], display: p.clientId,
    ...(p.organization ? { organization: p.organization } : {}), patients: [], scopes: parseScopes(p.scope), platform: p.platform, tokenId: '',
  };
}

/** The types a system principal may export (system/ scopes with read). */
export function exportableTypes(principal: Principal): string[] {
  return [...fhirDefinitions().resourceTypes].filter((t) => principal.scopes.resources.some((s) => s.context === 'system' && (s.type === '*' || s.type === t) && s.permissions.has('r'))
    && reachOf(principal.scopes, t, 'r') === 'all').sort();
}

/** The export's visibility: the requester's read decision as SQL, minus the persons who opted out. */
export function exportVisibility(principal: Principal, now: Date, optedOut: readonly string[]): Visibility {
  const read = readVisibility(principal, now, 'r');
  if (optedOut.length === 0) return read;
  return (a, sql) => `(${read(a, sql)}) AND (${a}.patient_id IS NULL OR NOT (${a}.patient_id = ANY(${sql.bind(optedOut, 'text[]')})))`;
}

/** Parses the `_typeFilter` queries of one type and resolves their terminology (`:in`, `:below`). */
export async function filterPlans(q: Queryable, type: string, queries: readonly string[] | undefined, baseUrl: string): Promise<SearchPlan[] | undefined> {
  if (!queries || queries.length === 0) return undefined;
  const source = databaseTerminology(q);
  const plans: SearchPlan[] = [];
  for (const query of queries) {
    const plan = parseSearch(type, new URLSearchParams(query), { baseUrl });
    plans.push({ ...plan, conditions: await Promise.all(plan.conditions.map((c) => resolveTerminology(c, source))) });
  }
  return plans;
}

export function pageQuery(type: string, phase: 0 | 1, afterRid: string, limit: number, scope: ScanScope, now: Date): { text: string; params: unknown[] } {
  const sql = new SqlBuilder();
  const t = sql.bind(scope.transactionTime, 'timestamptz');
  const where: string[] = [`r.resource_type = ${sql.bind(type)}`, `r.rid > ${sql.bind(afterRid, 'bigint')}`];
  where.push(phase === 0 ? `NOT r.deleted AND (r.last_updated <= ${t} OR v.deleted IS FALSE)` : `r.deleted AND r.last_updated > ${t} AND v.deleted IS FALSE`);
  const updated = `(CASE WHEN r.last_updated <= ${t} THEN r.last_updated ELSE v.last_updated END)`;
  if (scope.since) where.push(`${updated} > ${sql.bind(scope.since, 'timestamptz')}`);
  if (scope.until) where.push(`${updated} <= ${sql.bind(scope.until, 'timestamptz')}`);
  if (scope.patients) where.push(`r.patient_id = ANY(${sql.bind(scope.patients, 'text[]')})`);
  else if (scope.patientDataOnly) where.push('r.patient_id IS NOT NULL');
  where.push(`(${scope.visibility('r', sql)})`);
  if (scope.persons && type === 'Patient') {
    // One Patient per MPI Person in a de-identified release (its pseudonym is the Person's): the record with the
    // lowest id among the person's records this export may release.
    const others = scope.patients ? ` AND o.patient_id = ANY(${sql.bind(scope.patients, 'text[]')})` : '';
    where.push(`(pm.person_id IS NULL OR NOT EXISTS (SELECT 1 FROM mpi_record o JOIN resource ro ON ro.resource_type = 'Patient' AND ro.id = o.patient_id AND NOT ro.deleted
      WHERE o.person_id = pm.person_id AND o.patient_id < r.id${others} AND (${scope.visibility('ro', sql)})))`);
  }
  if (scope.filters && scope.filters.length > 0) {
    // A filter is the search engine's WHERE over a second alias of the same row (the current index).
    where.push(`(${scope.filters.map((plan) => `EXISTS (SELECT 1 FROM resource f WHERE f.rid = r.rid AND ${whereClause(plan, {}, 'f', sql, { now })})`).join(' OR ')})`);
  }
  const text = `SELECT r.rid, r.patient_id, ${scope.persons ? 'pm.person_id' : 'NULL AS person_id'}, CASE WHEN r.last_updated <= ${t} THEN r.content ELSE v.content END AS content
    FROM resource r${scope.persons ? ' LEFT JOIN mpi_record pm ON pm.patient_id = r.patient_id' : ''}
    LEFT JOIN LATERAL (SELECT rv.content, rv.last_updated, rv.deleted FROM resource_version rv
        WHERE r.last_updated > ${t} AND rv.resource_type = r.resource_type AND rv.id = r.id AND rv.last_updated <= ${t}
        ORDER BY rv.version_id DESC LIMIT 1) v ON TRUE
    WHERE ${where.join(' AND ')}
    ORDER BY r.rid LIMIT ${sql.bind(limit, 'int')}`;
  return { text, params: sql.params };
}

export async function readPage(q: Queryable, type: string, phase: 0 | 1, afterRid: string, limit: number, scope: ScanScope, now: Date): Promise<ScannedRow[]> {
  const { text, params } = pageQuery(type, phase, afterRid, limit, scope, now);
  const { rows } = await q.query<{ rid: string | number; patient_id: string | null; person_id: string | null; content: string }>(text, params);
  return rows.map((r) => ({ rid: String(r.rid), patientId: r.patient_id, personId: r.person_id, content: r.content }));
}

/**
 * The patients a Group's member filters select (research/export/cohort.ts): for each filter, the patients
 * of the resources of its type it matches — under the exporter's visibility, so a resource the client may
 * not see makes nobody a member — intersected. One statement; the result is the cohort's patient ids.
 */
export async function cohortPatients(q: Queryable, filters: readonly { type: string; plan: SearchPlan }[], visibility: Visibility, now: Date): Promise<string[]> {
  if (filters.length === 0) return [];
  const sql = new SqlBuilder();
  const selects = filters.map(({ type, plan }) => `SELECT r.patient_id FROM resource r WHERE r.resource_type = ${sql.bind(type)} AND NOT r.deleted
      AND r.patient_id IS NOT NULL AND (${visibility('r', sql)}) AND ${whereClause(plan, {}, 'r', sql, { now })}`);
  const { rows } = await q.query<{ patient_id: string }>(selects.join(' INTERSECT '), sql.params);
  return rows.map((r) => r.patient_id);
}
