import { errors } from './outcomes.js';
import { isTokenParam } from './tokens.js';

/**
 * A parsed search query: what conditional operations, conditional references and basic searches ask.
 * Pure; storage compiles it to SQL. Supports `_id` and every token parameter (identifier, code, status…);
 * the full search engine extends this plan.
 */
export interface TokenValue {
  /** undefined: any system; null: no system (`|code`). */
  readonly system: string | null | undefined;
  /** undefined: any code (`system|`). */
  readonly code: string | undefined;
}

export type Clause =
  | { readonly kind: 'id'; readonly ids: readonly string[] }
  | { readonly kind: 'token'; readonly param: string; readonly values: readonly TokenValue[] };

export interface Criteria {
  readonly resourceType: string;
  readonly clauses: readonly Clause[];
}

/** Result-control parameters that do not filter and are handled by the search interaction itself. */
export const RESULT_PARAMS = new Set(['_count', '_cursor', '_total', '_format', '_pretty']);

export function parseTokenValue(raw: string): TokenValue {
  const bar = raw.indexOf('|');
  if (bar < 0) return { system: undefined, code: raw };
  const system = raw.slice(0, bar);
  const code = raw.slice(bar + 1);
  return { system: system === '' ? null : system, code: code === '' ? undefined : code };
}

/** Splits on commas not escaped with a backslash, and unescapes. */
function splitValues(raw: string): string[] {
  return raw.split(/(?<!\\),/).map((v) => v.replace(/\\([,|$\\])/g, '$1'));
}

export function parseCriteria(resourceType: string, params: Iterable<[string, string]>): Criteria {
  const clauses: Clause[] = [];
  for (const [name, raw] of params) {
    if (RESULT_PARAMS.has(name)) continue;
    if (raw === '') throw errors.invalid(`Search parameter ${name} has an empty value`);
    if (name === '_id') {
      clauses.push({ kind: 'id', ids: splitValues(raw) });
    } else if (isTokenParam(resourceType, name)) {
      const values = splitValues(raw).map(parseTokenValue);
      if (values.some((v) => v.system === null && v.code === undefined)) {
        throw errors.invalid(`Search parameter ${name} has an empty token "|"`);
      }
      clauses.push({ kind: 'token', param: name, values });
    } else {
      throw errors.invalid(
        `Search parameter "${name}" is not supported for ${resourceType} (supported here: _id and token parameters)`,
      );
    }
  }
  return { resourceType, clauses };
}

/** Parses a query string such as `identifier=http://x|123&_id=a` (criteria of a conditional operation). */
export function parseCriteriaString(resourceType: string, query: string): Criteria {
  const params = new URLSearchParams(query);
  const list = [...params.entries()];
  if (list.length === 0) throw errors.invalid(`Conditional criteria for ${resourceType} are empty`);
  return parseCriteria(resourceType, list);
}
