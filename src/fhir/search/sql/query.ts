import type { Cursor } from '../cursor.js';
import type { Condition, SearchPlan, SortKey } from '../model.js';
import { inContained } from '../parse/request.js';
import { SqlBuilder } from '../../../storage/sql/builder.js';
import { conditionSql } from './conditions.js';
import type { CompileOptions } from './predicates.js';
import { visibleSql, type Visibility } from '../../../storage/sql/visibility.js';

/**
 * Compiles a resolved SearchPlan into the SQL of one page, its count, and its includes (pure). Pages are
 * keyset-paged: a page starts strictly after (or before) the row a cursor names in the sort order, with
 * the row id as the final tie-breaker, so pages stay correct while data changes.
 */
export interface CompiledQuery {
  readonly text: string;
  readonly params: unknown[];
}

export const ROW_COLUMNS = 'rid, resource_type, id, version_id, last_updated, content';

/** Extra conditions not expressed as search parameters (a compartment, consent filters later). */
export interface QueryScope {
  readonly extra?: readonly Condition[];
}

interface SortColumn {
  readonly expr: string;
  readonly cast: string;
  readonly descending: boolean;
}

function sortColumn(key: SortKey, r: string, sql: SqlBuilder): SortColumn {
  if (key.by !== 'param') {
    return key.by === 'id'
      ? { expr: `${r}.id COLLATE "C"`, cast: 'text', descending: key.descending }
      : { expr: `${r}.last_updated`, cast: 'timestamptz', descending: key.descending };
  }
  const { param, descending } = key;
  const agg = descending ? 'max' : 'min';
  const sub = (table: string, column: string, cast: string): SortColumn => ({
    expr: `(SELECT ${agg}(s.${column}) FROM ${table} s WHERE s.rid = ${r}.rid AND s.param = ${sql.bind(param.key)})`,
    cast, descending,
  });
  switch (param.type) {
    case 'string': return sub('search_string', 'norm COLLATE "C"', 'text');
    case 'token': return sub('search_token', 'code COLLATE "C"', 'text');
    case 'date': return sub('search_date', descending ? 'hi' : 'lo', 'timestamptz');
    case 'number': return sub('search_number', descending ? 'hi' : 'lo', 'numeric');
    case 'quantity': return sub('search_quantity', descending ? 'hi' : 'lo', 'numeric');
    case 'reference': return sub('search_reference', 'target COLLATE "C"', 'text');
    case 'uri': return sub('search_uri', 'uri COLLATE "C"', 'text');
    default: throw new Error(`cannot sort on ${param.type}`);
  }
}

/** The WHERE clause selecting the plan's resources (without paging). */
export function whereClause(plan: SearchPlan, scope: QueryScope, r: string, sql: SqlBuilder, options: CompileOptions): string {
  const row = { alias: r, type: plan.resourceType };
  const typed = () => [`${r}.resource_type = ${sql.bind(plan.resourceType)}`, ...[...plan.conditions, ...(scope.extra ?? [])].map((c) => conditionSql(c, row, sql, options))];
  const visible = visibleSql(options.visibility, r, sql);
  if (plan.contained === 'false') return `${[`NOT ${r}.deleted`, ...typed()].join(' AND ')}${visible}`;
  const inside = plan.conditions.map((c) => conditionSql(inContained(c), row, sql, options));
  const containers = [...inside, ...(scope.extra ?? []).map((c) => conditionSql(c, row, sql, options))];
  const containerClause = containers.length > 0 ? containers.join(' AND ') : 'FALSE';
  if (plan.contained === 'true') return `NOT ${r}.deleted${visible} AND ${containerClause}`;
  return `NOT ${r}.deleted${visible} AND ((${typed().join(' AND ')}) OR (${containerClause}))`;
}

/**
 * Rows strictly after `cursor` in the ordering of `columns` (nulls last, then row id ascending); with
 * `reverse`, the mirror ordering (for previous pages).
 */
function keysetCondition(columns: readonly SortColumn[], cursor: Cursor, sql: SqlBuilder, ridExpr: string, reverse: boolean): string {
  const after = (i: number): string => {
    if (i === columns.length) return `${ridExpr} ${reverse ? '<' : '>'} ${sql.bind(cursor.rid, 'bigint')}`;
    const column = columns[i] as SortColumn;
    const value = cursor.values[i] ?? null;
    const descending = reverse ? !column.descending : column.descending;
    const nullsLast = !reverse;
    const e = `q.s${i}`;
    if (value === null) return nullsLast ? `(${e} IS NULL AND ${after(i + 1)})` : `(${e} IS NOT NULL OR (${e} IS NULL AND ${after(i + 1)}))`;
    const v = sql.bind(value, column.cast);
    const beyond = `${e} ${descending ? '<' : '>'} ${v}`;
    return nullsLast ? `(${beyond} OR ${e} IS NULL OR (${e} = ${v} AND ${after(i + 1)}))` : `(${beyond} OR (${e} = ${v} AND ${after(i + 1)}))`;
  };
  return after(0);
}

export function pageQuery(plan: SearchPlan, scope: QueryScope, cursor: Cursor | undefined, limit: number, options: CompileOptions): CompiledQuery {
  const sql = new SqlBuilder();
  const reverse = cursor?.direction === 'prev';
  const where = whereClause(plan, scope, 'r', sql, options);
  if (plan.sort.length === 0) {
    const keyset = cursor ? ` AND r.rid ${reverse ? '<' : '>'} ${sql.bind(cursor.rid, 'bigint')}` : '';
    return {
      text: `SELECT r.rid::text AS rid, r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.patient_id FROM resource r
        WHERE ${where}${keyset} ORDER BY r.rid ${reverse ? 'DESC' : 'ASC'} LIMIT ${sql.bind(limit, 'int')}`,
      params: sql.params,
    };
  }
  const columns = plan.sort.map((key) => sortColumn(key, 'r', sql));
  const select = columns.map((c, i) => `${c.expr} AS s${i}`).join(', ');
  const keyset = cursor ? `WHERE ${keysetCondition(columns, cursor, sql, 'q.rid', reverse)}` : '';
  const order = columns.map((c, i) => {
    const descending = reverse ? !c.descending : c.descending;
    return `q.s${i} ${descending ? 'DESC' : 'ASC'} NULLS ${reverse ? 'FIRST' : 'LAST'}`;
  });
  const sortValues = columns.map((c, i) => (c.cast === 'timestamptz' ? `to_char(q.s${i} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS s${i}` : `q.s${i}::text AS s${i}`));
  return {
    text: `SELECT q.rid::text AS rid, q.resource_type, q.id, q.version_id, q.last_updated, q.content, q.patient_id, ${sortValues.join(', ')} FROM (
        SELECT r.rid, r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.patient_id, ${select} FROM resource r WHERE ${where}
      ) q ${keyset}
      ORDER BY ${order.join(', ')}, q.rid ${reverse ? 'DESC' : 'ASC'} LIMIT ${sql.bind(limit, 'int')}`,
    params: sql.params,
  };
}

export function countQuery(plan: SearchPlan, scope: QueryScope, options: CompileOptions): CompiledQuery {
  const sql = new SqlBuilder();
  const where = whereClause(plan, scope, 'r', sql, options);
  return { text: `SELECT count(*)::int AS n FROM resource r WHERE ${where}`, params: sql.params };
}

/** Resources that rows `rids` refer to through any of `keys` (one `_include` step). */
export function includeQuery(rids: readonly string[], keys: readonly number[], targetType: string | undefined, visibility?: Visibility): CompiledQuery {
  const sql = new SqlBuilder();
  const typeFilter = targetType ? ` AND r.resource_type = ${sql.bind(targetType)}` : '';
  return {
    text: `SELECT r.rid::text AS rid, r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.patient_id
      FROM (SELECT DISTINCT a.target FROM search_reference a
              WHERE a.rid = ANY(${sql.bind(rids, 'bigint[]')}) AND a.param = ANY(${sql.bind(keys, 'int[]')}) AND a.target IS NOT NULL) t
      JOIN resource r ON r.resource_type = split_part(t.target, '/', 1) AND r.id = split_part(t.target, '/', 2)
      WHERE NOT r.deleted${typeFilter}${visibleSql(visibility, 'r', sql)}`,
    params: sql.params,
  };
}

/** Resources that refer to any of `targets` (`Type/id`) through any of `keys` (one `_revinclude` step). */
export function revincludeQuery(targets: readonly string[], keys: readonly number[], visibility?: Visibility): CompiledQuery {
  const sql = new SqlBuilder();
  const where = `a.target = ANY(${sql.bind(targets, 'text[]')}) AND a.param = ANY(${sql.bind(keys, 'int[]')}) AND NOT r.deleted`;
  return {
    text: `SELECT DISTINCT r.rid::text AS rid, r.resource_type, r.id, r.version_id, r.last_updated, r.content, r.patient_id
      FROM search_reference a JOIN resource r ON r.rid = a.rid
      WHERE ${where}${visibleSql(visibility, 'r', sql)}`,
    params: sql.params,
  };
}
