import type { Condition } from '../model.js';
import { NEAR_LATITUDE, NEAR_LONGITUDE } from '../extract/index.js';
import { normalizeText } from '../normalize.js';
import type { SqlBuilder } from '../../../storage/sql/builder.js';
import { datePredicate, testPredicate, type CompileOptions } from './predicates.js';
import { visibleSql } from '../../../storage/sql/visibility.js';

/**
 * A Condition as a SQL boolean over a resource row alias (pure). Parameter tests become EXISTS
 * sub-queries on the index tables, which PostgreSQL turns into semi-joins driven by the most selective
 * index; chains and `_has` nest the same way on other resource rows.
 */
export interface RowRef {
  /** Alias of the `resource` row. */
  readonly alias: string;
  /** Its resource type, when known (needed to match references to it). */
  readonly type: string;
}

export function conditionSql(c: Condition, row: RowRef, sql: SqlBuilder, options: CompileOptions): string {
  const r = row.alias;
  switch (c.kind) {
    case 'index': {
      const a = sql.alias('i');
      const tests = c.tests.map((t) => testPredicate(t, a, sql, options));
      const exists = `EXISTS (SELECT 1 FROM ${c.table} ${a} WHERE ${a}.rid = ${r}.rid AND ${a}.param = ${sql.bind(c.key)} AND (${tests.join(' OR ')}))`;
      return c.negate ? `NOT ${exists}` : exists;
    }
    case 'missing': {
      const a = sql.alias('m');
      const exists = `EXISTS (SELECT 1 FROM ${c.table} ${a} WHERE ${a}.rid = ${r}.rid AND ${a}.param = ${sql.bind(c.key)})`;
      return c.missing ? `NOT ${exists}` : exists;
    }
    case 'composite':
      return or(c.alternatives.map((components) => {
        const aliases = components.map(() => sql.alias('c'));
        const [first, ...others] = components;
        const a0 = aliases[0] as string;
        const joins = others.map((comp, i) => {
          const ai = aliases[i + 1] as string;
          return `JOIN ${comp.table} ${ai} ON ${ai}.rid = ${a0}.rid AND ${ai}.grp = ${a0}.grp AND ${ai}.param = ${sql.bind(comp.key)}`;
        });
        const tests = components.map((comp, i) => testPredicate(comp.test, aliases[i] as string, sql, options));
        return `EXISTS (SELECT 1 FROM ${first?.table} ${a0} ${joins.join(' ')} WHERE ${a0}.rid = ${r}.rid AND ${a0}.param = ${sql.bind(first?.key)} AND ${tests.join(' AND ')})`;
      }));
    case 'id': {
      const match = c.ids.length === 1 ? `${r}.id = ${sql.bind(c.ids[0])}` : `${r}.id = ANY(${sql.bind(c.ids, 'text[]')})`;
      return c.negate ? `NOT (${match})` : match;
    }
    case 'last-updated':
      return or(c.values.map((v) => datePredicate(v, `${r}.last_updated`, `(${r}.last_updated + interval '1 millisecond')`, sql, options)));
    case 'chain': {
      const a = sql.alias('x');
      const targets = c.targets.map(({ type, inner }) => {
        const r2 = sql.alias('r');
        const where = inner.map((ic) => conditionSql(ic, { alias: r2, type }, sql, options));
        return `SELECT ${sql.bind(`${type}/`, 'text')} || ${r2}.id FROM resource ${r2} WHERE ${r2}.resource_type = ${sql.bind(type)} AND NOT ${r2}.deleted${visibleSql(options.visibility, r2, sql)} AND ${where.join(' AND ')}`;
      });
      return `EXISTS (SELECT 1 FROM search_reference ${a} WHERE ${a}.rid = ${r}.rid AND ${a}.param = ${sql.bind(c.key)} AND ${a}.target IN (${targets.join(' UNION ALL ')}))`;
    }
    case 'has': {
      const a = sql.alias('h');
      const r2 = sql.alias('r');
      const inner = c.inner.map((ic) => conditionSql(ic, { alias: r2, type: c.sourceType }, sql, options));
      return `EXISTS (SELECT 1 FROM search_reference ${a} JOIN resource ${r2} ON ${r2}.rid = ${a}.rid
        WHERE ${a}.target = ${sql.bind(`${row.type}/`, 'text')} || ${r}.id AND ${a}.param = ${sql.bind(c.key)}
          AND ${r2}.resource_type = ${sql.bind(c.sourceType)} AND NOT ${r2}.deleted${visibleSql(options.visibility, r2, sql)} AND ${inner.join(' AND ')})`;
    }
    case 'fulltext': {
      const query = toTsQuery(c.query);
      if (!query) return 'FALSE';
      const a = sql.alias('f');
      return `EXISTS (SELECT 1 FROM search_text ${a} WHERE ${a}.rid = ${r}.rid AND ${a}.${c.field} @@ to_tsquery('simple', ${sql.bind(query)}))`;
    }
    case 'list': {
      const l = sql.alias('l');
      const a = sql.alias('x');
      return `EXISTS (SELECT 1 FROM resource ${l} JOIN search_reference ${a} ON ${a}.rid = ${l}.rid AND ${a}.param = ${sql.bind(c.itemKey)}
        WHERE ${l}.resource_type = 'List' AND ${l}.id = ANY(${sql.bind(c.listIds, 'text[]')}) AND NOT ${l}.deleted${visibleSql(options.visibility, l, sql)}
          AND ${a}.target = ${sql.bind(`${row.type}/`, 'text')} || ${r}.id)`;
    }
    case 'compartment': {
      const a = sql.alias('x');
      const member = `EXISTS (SELECT 1 FROM search_reference ${a} WHERE ${a}.rid = ${r}.rid AND ${a}.param = ANY(${sql.bind(c.keys, 'int[]')}) AND ${a}.target = ${sql.bind(c.target)})`;
      return c.selfId !== undefined ? `(${r}.id = ${sql.bind(c.selfId)} OR ${member})` : member;
    }
    case 'near': {
      const lat = sql.alias('n');
      const lon = sql.alias('n');
      const dLat = c.km / 111.0;
      const dLon = c.km / (111.0 * Math.max(Math.cos((c.latitude * Math.PI) / 180), 0.01));
      const pLat = sql.bind(c.latitude, 'float8');
      const pLon = sql.bind(c.longitude, 'float8');
      // A bounding box the index can use, then the great-circle distance (haversine, Earth radius 6371 km).
      return `EXISTS (SELECT 1 FROM search_number ${lat} JOIN search_number ${lon} ON ${lon}.rid = ${lat}.rid AND ${lon}.param = ${sql.bind(NEAR_LONGITUDE)}
        WHERE ${lat}.rid = ${r}.rid AND ${lat}.param = ${sql.bind(NEAR_LATITUDE)}
          AND ${lat}.lo BETWEEN ${sql.bind(c.latitude - dLat, 'numeric')} AND ${sql.bind(c.latitude + dLat, 'numeric')}
          AND ${lon}.lo BETWEEN ${sql.bind(c.longitude - dLon, 'numeric')} AND ${sql.bind(c.longitude + dLon, 'numeric')}
          AND 2 * 6371 * asin(sqrt(power(sin(radians(${lat}.lo::float8 - ${pLat}) / 2), 2)
            + cos(radians(${pLat})) * cos(radians(${lat}.lo::float8)) * power(sin(radians(${lon}.lo::float8 - ${pLon}) / 2), 2))) <= ${sql.bind(c.km, 'float8')})`;
    }
    case 'any':
      return or(c.conditions.map((inner) => conditionSql(inner, row, sql, options)));
    case 'none':
      return 'FALSE';
    case 'terminology':
    case 'patient-links':
      throw new Error(`${c.kind} conditions must be resolved before compiling`);
  }
}

function or(parts: string[]): string {
  if (parts.length === 0) return 'FALSE';
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`;
}

/**
 * `_text`/`_content` syntax → a PostgreSQL tsquery (pure): words are ANDed and match as prefixes,
 * `OR` between words, `-word` excludes, "quoted words" must follow each other. Words are normalised like
 * the indexed text, so the result contains only letters, digits and tsquery operators.
 */
export function toTsQuery(input: string): string | undefined {
  const tokens = input.match(/-?"[^"]*"|\S+/g) ?? [];
  const parts: string[] = [];
  let joiner = ' & ';
  for (const token of tokens) {
    if (token === 'OR' || token === 'or') {
      joiner = ' | ';
      continue;
    }
    const negate = token.startsWith('-') && token.length > 1;
    const words = normalizeText(negate ? token.slice(1) : token).split(' ').filter(Boolean);
    if (words.length === 0) continue;
    const term = words.length === 1 ? `${words[0]}:*` : `(${words.join(' <-> ')})`;
    parts.push((parts.length > 0 ? joiner : '') + (negate ? `!${term}` : term));
    joiner = ' & ';
  }
  return parts.length > 0 ? parts.join('') : undefined;
}
