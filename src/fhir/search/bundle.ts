import type { BundleLink, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { pageLink } from '../paging.js';
import type { SearchOutcome, SearchRow } from './execute.js';
import type { SearchPlan } from './model.js';
import { shapeResource } from './shape.js';

/**
 * The `searchset` Bundle of a search, as JSON text (pure). Stored resources are spliced in as the exact
 * bytes stored, without parsing and re-serialising them, unless `_summary`/`_elements` ask for a subset.
 */
export interface BundleContext {
  readonly fhirBaseUrl: string;
  /** The searched path below the base: `Observation`, `Patient/1/Observation`. */
  readonly path: string;
  /** The request's parameters (a POST form included), for the paging links. */
  readonly query: URLSearchParams;
}

function resourceJson(row: SearchRow, plan: SearchPlan | undefined): string {
  if (!plan || ((plan.summary === undefined || plan.summary === 'false') && !plan.elements?.length)) return row.content;
  return JSON.stringify(shapeResource(JSON.parse(row.content) as Resource, plan.summary, plan.elements));
}

function entryJson(ctx: BundleContext, row: SearchRow, mode: 'match' | 'include', plan: SearchPlan | undefined): string {
  const fullUrl = JSON.stringify(`${ctx.fhirBaseUrl}/${row.resourceType}/${row.id}`);
  return `{"fullUrl":${fullUrl},"resource":${resourceJson(row, plan)},"search":{"mode":"${mode}"}}`;
}

export function searchLinks(ctx: BundleContext, outcome: Pick<SearchOutcome, 'next' | 'previous'>): BundleLink[] {
  const base = `${ctx.fhirBaseUrl}/${ctx.path}`;
  const links: BundleLink[] = [{ relation: 'self', url: pageLink(base, ctx.query, {}) }];
  if (ctx.query.has('_cursor')) links.push({ relation: 'first', url: pageLink(base, ctx.query, { _cursor: undefined }) });
  if (outcome.previous) links.push({ relation: 'previous', url: pageLink(base, ctx.query, { _cursor: outcome.previous }) });
  if (outcome.next) links.push({ relation: 'next', url: pageLink(base, ctx.query, { _cursor: outcome.next }) });
  return links;
}

export function warningOutcome(messages: readonly string[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: messages.map((text) => ({ severity: 'warning', code: 'processing', details: { text }, diagnostics: text })),
  };
}

export function searchBundleJson(ctx: BundleContext, plan: SearchPlan, outcome: SearchOutcome): string {
  const messages = [...plan.ignored.map((p) => `The search parameter "${p}" is not supported and was ignored`), ...outcome.warnings];
  const entries = [
    ...outcome.matches.map((row) => entryJson(ctx, row, 'match', plan)),
    ...outcome.included.map((row) => entryJson(ctx, row, 'include', undefined)),
    ...(messages.length > 0 ? [`{"resource":${JSON.stringify(warningOutcome(messages))},"search":{"mode":"outcome"}}`] : []),
  ];
  const head = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(outcome.total !== undefined ? { total: outcome.total } : {}),
    link: searchLinks(ctx, outcome),
  };
  const headJson = JSON.stringify(head);
  return `${headJson.slice(0, -1)},"entry":[${entries.join(',')}]}`;
}
