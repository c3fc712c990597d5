import type { SqlBuilder } from './builder.js';

/**
 * Which stored resources the requester may see, as a SQL condition over a `resource` row (access control
 * and consent decide it; search only applies it). It is applied to every resource row a search touches —
 * the matches, chain targets, `_has` sources, `_list`s, included resources and `$everything` — inside the
 * query, before paging and counting: a hidden resource never shifts a count or a page, and never leaks
 * through an include, a chain or a reverse chain.
 */
export type Visibility = (alias: string, sql: SqlBuilder) => string;

/** The condition for row `alias`, or '' when everything is visible. */
export function visibleSql(visibility: Visibility | undefined, alias: string, sql: SqlBuilder): string {
  return visibility ? ` AND (${visibility(alias, sql)})` : '';
}
