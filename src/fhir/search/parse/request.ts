import { errors, FhirError, issue } from '../../outcomes.js';
import { fhirDefinitions } from '../../definitions.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../paging.js';
import type { Condition, IncludeSpec, SearchPlan, SortKey, SummaryMode, TotalMode } from '../model.js';
import { containedKey, searchRegistry } from '../registry.js';
import { parseCondition, type ParseContext } from './conditions.js';
import { splitValues, unescape } from './values.js';

/**
 * A whole search request (query parameters, in order) → a SearchPlan (pure). Result parameters shape the
 * answer; every other parameter is a condition, and repeated parameters are ANDed.
 */
export interface ParseOptions {
  readonly baseUrl: string;
  /** `Prefer: handling=lenient`: unknown parameters are ignored (and reported) instead of rejected. */
  readonly lenient?: boolean;
  /** Page size when `_count` is absent. */
  readonly defaultCount?: number;
}

/** Parameters that do not filter; `_cursor` is Carnet's own paging cursor. */
export const RESULT_PARAMS = new Set([
  '_count', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude', '_include:iterate', '_revinclude:iterate',
  '_include:recurse', '_revinclude:recurse', '_contained', '_containedType', '_cursor', '_format', '_pretty',
]);

/**
 * Bounds on the work one search may ask for (docs/api.md, "Limits"): each filtering parameter is a join or
 * an EXISTS, so 200 repetitions of `name=a` kept PostgreSQL busy for 19 s and froze embedded PGlite.
 * Real clients stay far below: a few parameters, OR lists of a value set's codes, a handful of includes.
 */
export const SEARCH_LIMITS = { parameters: 30, valuesPerParameter: 100, includes: 10 } as const;

function tooCostly(text: string): FhirError {
  return new FhirError('invalid', text, [issue('error', 'too-costly', text)]);
}

export function parseSearch(resourceType: string, params: Iterable<[string, string]>, options: ParseOptions): SearchPlan {
  const ctx: ParseContext = { baseUrl: options.baseUrl, lenient: Boolean(options.lenient), ignored: [] };
  const conditions: Condition[] = [];
  const include: IncludeSpec[] = [];
  const revinclude: IncludeSpec[] = [];
  let sort: SortKey[] = [];
  let count = options.defaultCount ?? DEFAULT_PAGE_SIZE;
  let total: TotalMode | undefined;
  let summary: SummaryMode | undefined;
  let elements: string[] | undefined;
  let contained: SearchPlan['contained'] = 'false';
  let cursor: string | undefined;
  let filters = 0;

  for (const [name, raw] of params) {
    // Criteria reach here from URLs, If-None-Exist headers and conditional references: one check for all.
    if (name.includes('\u0000') || raw.includes('\u0000')) throw errors.invalid('The NUL character (%00) is in no parameter name or search value');
    switch (name) {
      case '_count':
        count = parseCount(raw);
        continue;
      case '_sort':
        sort = parseSort(resourceType, raw);
        continue;
      case '_total':
        if (raw !== 'none' && raw !== 'estimate' && raw !== 'accurate') throw errors.invalid('_total takes none, estimate or accurate');
        total = raw;
        continue;
      case '_summary':
        if (!['true', 'text', 'data', 'count', 'false'].includes(raw)) throw errors.invalid('_summary takes true, text, data, count or false');
        summary = raw as SummaryMode;
        continue;
      case '_elements':
        elements = splitValues(raw).map((e) => unescape(e).trim()).filter(Boolean);
        continue;
      case '_include':
      case '_include:iterate':
      case '_include:recurse':
        include.push(parseInclude(raw, name, name !== '_include', false));
        continue;
      case '_revinclude':
      case '_revinclude:iterate':
      case '_revinclude:recurse':
        revinclude.push(parseInclude(raw, name, name !== '_revinclude', true));
        continue;
      case '_contained':
        if (raw !== 'true' && raw !== 'false' && raw !== 'both') throw errors.invalid('_contained takes true, false or both');
        contained = raw;
        continue;
      case '_containedType':
        if (raw !== 'container') throw errors.invalid('_containedType: Carnet returns the containing resources (container)');
        continue;
      case '_cursor':
        cursor = raw;
        continue;
      case '_format':
      case '_pretty':
        continue;
      default:
    }
    if (++filters > SEARCH_LIMITS.parameters) {
      throw tooCostly(`A search may have at most ${SEARCH_LIMITS.parameters} filtering parameters (repetitions count)`);
    }
    if (splitValues(raw).length > SEARCH_LIMITS.valuesPerParameter) {
      throw tooCostly(`${name}: at most ${SEARCH_LIMITS.valuesPerParameter} values separated by commas`);
    }
    const condition = parseCondition(resourceType, name, raw, ctx);
    if (condition) conditions.push(condition);
  }
  if (include.length + revinclude.length > SEARCH_LIMITS.includes) {
    throw tooCostly(`A search may have at most ${SEARCH_LIMITS.includes} _include and _revinclude parameters`);
  }
  return {
    resourceType,
    conditions: contained === 'false' ? conditions : (conditions.forEach(inContained), conditions),
    sort, count, total, summary, elements, include, revinclude, contained, cursor, ignored: ctx.ignored,
  };
}

function parseCount(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw errors.invalid(`_count must be a non-negative integer (got "${raw}")`);
  return Math.min(n, MAX_PAGE_SIZE);
}

function parseSort(resourceType: string, raw: string): SortKey[] {
  return splitValues(raw).map((item) => {
    const descending = item.startsWith('-');
    const code = descending ? item.slice(1) : item;
    if (code === '_id') return { by: 'id', descending };
    if (code === '_lastUpdated') return { by: 'last-updated', descending };
    const param = searchRegistry().param(resourceType, code);
    if (!param) throw errors.invalid(`_sort: unknown search parameter "${code}" for ${resourceType}`);
    if (param.type === 'composite' || param.storage !== 'index') throw errors.invalid(`_sort: ${code} cannot be sorted on`);
    return { by: 'param', param, descending };
  });
}

/** `Type:param[:targetType]`, `Type:*`, `*`. */
function parseInclude(raw: string, name: string, iterate: boolean, reverse: boolean): IncludeSpec {
  const registry = searchRegistry();
  const types = fhirDefinitions().resourceTypes;
  if (raw === '*') {
    if (reverse) throw errors.invalid(`${name}: * is only for _include`);
    return { sourceType: '*', keys: [], targetType: undefined, iterate };
  }
  const [sourceType, code, targetType] = raw.split(':');
  if (!sourceType || !types.has(sourceType) || !code) throw errors.invalid(`${name} takes Type:parameter[:targetType] (got "${raw}")`);
  if (targetType !== undefined && !types.has(targetType)) throw errors.invalid(`${name}: unknown target type ${targetType}`);
  const refs = [...registry.params(sourceType).values()].filter((p) => p.type === 'reference');
  if (code === '*') return { sourceType, keys: refs.map((p) => p.key), targetType, iterate };
  const param = refs.find((p) => p.code === code);
  if (!param) throw errors.invalid(`${name}: ${code} is not a reference parameter of ${sourceType}`);
  return { sourceType, keys: [param.key], targetType, iterate };
}

/**
 * The same condition applied to the values of contained resources (`_contained=true|both`): their index rows
 * are kept under keys of their own.
 */
export function inContained(c: Condition): Condition {
  switch (c.kind) {
    case 'index':
    case 'missing':
      return { ...c, key: containedKey(c.key) };
    case 'any':
      return { ...c, conditions: c.conditions.map(inContained) };
    default:
      throw errors.invalid('_contained: only plain parameters (no _id, chains, _has or composites) are searched in contained resources');
  }
}
