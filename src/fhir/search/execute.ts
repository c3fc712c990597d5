import type { CodeSystem, ValueSet } from '@medplum/fhirtypes';
import type { Queryable } from '../../storage/database.js';
import type { RecordRow } from '../../storage/everything-store.js';
import { latestByUri } from '../../storage/lookup-store.js';
import { currentContent } from '../../storage/resource-store.js';
import { fhirDefinitions } from '../definitions.js';
import { parseLocalReference } from '../references.js';
import { decodeSearchCursor, encodeSearchCursor, sortFingerprint, type Cursor } from './cursor.js';
import type { IncludeSpec, SearchPlan } from './model.js';
import { searchRegistry } from './registry.js';
import {
  countQuery, includeQuery, pageQuery, revincludeQuery, type CompiledQuery, type QueryScope,
} from './sql/query.js';
import { resolveTerminology, type LinkedPatients, type TerminologySource } from './terminology.js';
import type { Visibility } from '../../storage/sql/visibility.js';

/**
 * Runs a SearchPlan against the database: one statement for the page, one for the total when asked, and
 * one per include step — never one per result (no N+1).
 */
export interface SearchRow extends Omit<RecordRow, 'patientId'> {
  readonly sortValues: readonly (string | null)[];
  /** The patient compartment of the row (what the audit trail records as the patients a search touched). */
  readonly patientId?: string | null;
}

export interface SearchOutcome {
  readonly matches: readonly SearchRow[];
  readonly included: readonly SearchRow[];
  readonly total: number | undefined;
  readonly next: string | undefined;
  readonly previous: string | undefined;
  readonly warnings: readonly string[];
}

export interface ExecuteOptions {
  readonly now: Date;
  readonly scope?: QueryScope;
  /** What the requester may see (access control and consent), applied to every row the search touches. */
  readonly visibility?: Visibility;
  /** The master patient index's links, for `:mdm`. */
  readonly linkedPatients?: LinkedPatients;
}

/** Included resources beyond this are dropped with a warning: a search answer must stay bounded. */
export const MAX_INCLUDED = 1000;
const MAX_ITERATIONS = 4;

type Row = Record<string, unknown>;

function toRow(row: Row, sortCount: number): SearchRow {
  const lastUpdated = row.last_updated instanceof Date ? row.last_updated.toISOString() : new Date(String(row.last_updated)).toISOString();
  const sortValues: (string | null)[] = [];
  for (let i = 0; i < sortCount; i++) sortValues.push((row[`s${i}`] as string | null | undefined) ?? null);
  return {
    rid: String(row.rid), resourceType: row.resource_type as string, id: row.id as string, versionId: Number(row.version_id),
    lastUpdated, content: row.content as string, sortValues, patientId: (row.patient_id as string | null | undefined) ?? null,
  };
}

async function run(db: Queryable, query: CompiledQuery): Promise<Row[]> {
  return (await db.query<Row>(query.text, query.params)).rows;
}

export async function executeSearch(db: Queryable, input: SearchPlan, options: ExecuteOptions): Promise<SearchOutcome> {
  const source = databaseTerminology(db);
  const plan: SearchPlan = { ...input, conditions: await Promise.all(input.conditions.map((c) => resolveTerminology(c, source, options.linkedPatients))) };
  const scope = options.scope ?? {};
  const compile = { now: options.now, ...(options.visibility ? { visibility: options.visibility } : {}) };
  const warnings: string[] = [];

  if (plan.summary === 'count') {
    const [row] = await run(db, countQuery(plan, scope, compile));
    return { matches: [], included: [], total: Number(row?.n ?? 0), next: undefined, previous: undefined, warnings };
  }

  const fingerprint = sortFingerprint(plan.resourceType, plan.sort);
  const cursor: Cursor | undefined = plan.cursor ? decodeSearchCursor(plan.cursor, fingerprint, plan.sort.length) : undefined;
  const limit = plan.count;
  let page: SearchRow[] = [];
  let more = false;
  if (limit > 0) {
    const rows = (await run(db, pageQuery(plan, scope, cursor, limit + 1, compile))).map((r) => toRow(r, plan.sort.length));
    more = rows.length > limit;
    page = rows.slice(0, limit);
    if (cursor?.direction === 'prev') page.reverse();
  }
  const first = page[0];
  const last = page[page.length - 1];
  const at = (row: SearchRow, direction: 'next' | 'prev') => encodeSearchCursor({ direction, values: row.sortValues, rid: row.rid }, fingerprint);
  const backwards = cursor?.direction === 'prev';
  const next = last && (backwards || more) ? at(last, 'next') : undefined;
  const previous = first && cursor && (!backwards || more) ? at(first, 'prev') : undefined;

  let total: number | undefined;
  if (plan.total === 'accurate' || (limit === 0 && plan.total !== 'none' && plan.total !== 'estimate')) {
    total = Number((await run(db, countQuery(plan, scope, compile)))[0]?.n ?? 0);
  } else if (plan.total === 'estimate') {
    total = await estimate(db, countQuery(plan, scope, compile));
  } else if (plan.total === undefined && !cursor && !more) {
    total = page.length;
  }

  const included = await includes(db, plan, page, warnings, options.visibility);
  return { matches: page, included, total, next, previous, warnings };
}

/** PostgreSQL's own row estimate for the count query (cheap, approximate by design). */
async function estimate(db: Queryable, count: CompiledQuery): Promise<number> {
  const text = count.text.replace(/^SELECT count\(\*\)::int AS n/, 'SELECT 1');
  const [row] = await run(db, { text: `EXPLAIN (FORMAT JSON) ${text}`, params: count.params });
  const raw = row ? Object.values(row)[0] : undefined;
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan?: { 'Plan Rows'?: number } }[] | undefined;
  return Math.round(plan?.[0]?.Plan?.['Plan Rows'] ?? 0);
}

function keysFor(spec: IncludeSpec, resourceType: string): readonly number[] {
  if (spec.sourceType !== '*') return spec.sourceType === resourceType ? spec.keys : [];
  return [...searchRegistry().params(resourceType).values()].filter((p) => p.type === 'reference').map((p) => p.key);
}

/** `_include` and `_revinclude`, then their `:iterate` forms on what was included, a few rounds deep. */
async function includes(db: Queryable, plan: SearchPlan, page: readonly SearchRow[], warnings: string[], visibility: Visibility | undefined): Promise<SearchRow[]> {
  if (page.length === 0 || (plan.include.length === 0 && plan.revinclude.length === 0)) return [];
  const seen = new Set(page.map((r) => r.rid));
  const out: SearchRow[] = [];
  let frontier: readonly SearchRow[] = page;
  for (let round = 0; round < MAX_ITERATIONS && frontier.length > 0 && out.length < MAX_INCLUDED; round++) {
    const found: SearchRow[] = [];
    const add = (rows: Row[]) => {
      for (const raw of rows) {
        const row = toRow(raw, 0);
        if (!seen.has(row.rid)) (seen.add(row.rid), found.push(row));
      }
    };
    const specs = (list: readonly IncludeSpec[]) => list.filter((s) => round === 0 || s.iterate);
    const byType = new Map<string, SearchRow[]>();
    for (const row of frontier) byType.set(row.resourceType, [...(byType.get(row.resourceType) ?? []), row]);
    for (const spec of specs(plan.include)) {
      for (const [type, rows] of byType) {
        const keys = keysFor(spec, type);
        if (keys.length > 0) add(await run(db, includeQuery(rows.map((r) => r.rid), keys, spec.targetType, visibility)));
      }
    }
    for (const spec of specs(plan.revinclude)) {
      const targets = frontier.filter((r) => spec.targetType === undefined || r.resourceType === spec.targetType).map((r) => `${r.resourceType}/${r.id}`);
      if (targets.length > 0) add(await run(db, revincludeQuery(targets, spec.keys, visibility)));
    }
    out.push(...found);
    frontier = found;
  }
  if (out.length > MAX_INCLUDED) {
    warnings.push(`Only the first ${MAX_INCLUDED} included resources are returned; narrow the search or lower _count`);
    return out.slice(0, MAX_INCLUDED);
  }
  return out;
}

/** ValueSets and CodeSystems stored in Carnet (by canonical URL or `ValueSet/id`), then FHIR's own. */
export function databaseTerminology(db: Queryable): TerminologySource {
  const byUrl = async <T>(type: 'ValueSet' | 'CodeSystem', raw: string): Promise<T | undefined> => {
    const local = parseLocalReference(raw);
    if (local?.resourceType === type) {
      const content = await currentContent(db, type, local.id);
      return content ? (JSON.parse(content) as T) : undefined;
    }
    const content = await latestByUri(db, type, searchRegistry().param(type, 'url')?.key as number, raw.split('|')[0] as string);
    return content ? (JSON.parse(content) as T) : undefined;
  };
  return {
    valueSet: (url) => byUrl<ValueSet>('ValueSet', url),
    codeSystem: async (url) => (await byUrl<CodeSystem>('CodeSystem', url)) ?? fhirDefinitions().codeSystem(url),
    builtinValueSet: (url) => fhirDefinitions().valueSetCodes(url),
  };
}
