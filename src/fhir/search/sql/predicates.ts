import { errors } from '../../outcomes.js';
import type { DateValue, NumberValue, Prefix, QuantityValue, TokenValue, ValueTest } from '../model.js';
import { escapeLike, prefixUpperBound } from '../normalize.js';
import type { SqlBuilder } from '../../../storage/sql/builder.js';
import type { Visibility } from '../../../storage/sql/visibility.js';

/**
 * One value test as a SQL predicate over one index row alias (pure). The prefix rules follow FHIR R4
 * search §3.1.1.4 "prefixes" on ranges: a value stands for the range its precision covers.
 */
export interface CompileOptions {
  /** The present instant, for `ap` (approximately) on dates. */
  readonly now: Date;
  /** What the requester may see, applied to every resource row of the query. */
  readonly visibility?: Visibility;
}

export function testPredicate(test: ValueTest, a: string, sql: SqlBuilder, options: CompileOptions): string {
  switch (test.type) {
    case 'token': return tokenPredicate(test.value, a, sql);
    case 'token-list': return tokenListPredicate(test.values, a, sql);
    case 'string': return stringPredicate(test.mode, test.value, a, sql);
    case 'date': return datePredicate(test.value, `${a}.lo`, `${a}.hi`, sql, options);
    case 'number': return numberPredicate(test.value, `${a}.lo`, `${a}.hi`, sql, 'numeric');
    case 'quantity': return quantityPredicate(test.value, a, sql);
    case 'reference':
      return test.targets.length === 1 ? `${a}.target = ${sql.bind(test.targets[0])}` : `${a}.target = ANY(${sql.bind(test.targets, 'text[]')})`;
    case 'reference-identifier': {
      const { system, code } = test.value;
      if (code === undefined) throw errors.invalid(':identifier needs a value');
      return [`${a}.ident_value = ${sql.bind(code)}`, ...systemPredicate(system, `${a}.ident_system`, sql)].join(' AND ');
    }
    case 'uri':
      if (test.mode === 'exact') return `${a}.uri = ${sql.bind(test.value)}`;
      if (test.mode === 'below') return `${a}.uri LIKE ${sql.bind(`${escapeLike(test.value)}%`)}`;
      return `starts_with(${sql.bind(test.value, 'text')}, ${a}.uri)`;
  }
}

function systemPredicate(system: string | null | undefined, column: string, sql: SqlBuilder): string[] {
  if (system === undefined) return [];
  if (system === null) return [`${column} IS NULL`];
  return [`${column} = ${sql.bind(system)}`];
}

function tokenPredicate({ system, code }: TokenValue, a: string, sql: SqlBuilder): string {
  const parts = [...(code !== undefined ? [`${a}.code = ${sql.bind(code)}`] : []), ...systemPredicate(system, `${a}.system`, sql)];
  return parts.length > 0 ? `(${parts.join(' AND ')})` : 'TRUE';
}

/** A long list of codes (an expanded value set): matched with arrays rather than a chain of ORs. */
function tokenListPredicate(values: readonly TokenValue[], a: string, sql: SqlBuilder): string {
  if (values.length === 0) return 'FALSE';
  if (values.length <= 8) return `(${values.map((v) => tokenPredicate(v, a, sql)).join(' OR ')})`;
  const withSystem = values.filter((v) => typeof v.system === 'string' && v.code !== undefined);
  const anySystem = values.filter((v) => v.system === undefined && v.code !== undefined).map((v) => v.code as string);
  const rest = values.filter((v) => !withSystem.includes(v) && v.system !== undefined);
  const parts: string[] = [];
  if (withSystem.length > 0) {
    const codes = sql.bind(withSystem.map((v) => v.code), 'text[]');
    const systems = sql.bind(withSystem.map((v) => v.system), 'text[]');
    parts.push(`(${a}.code = ANY(${codes}) AND (${a}.system, ${a}.code) IN (SELECT * FROM unnest(${systems}, ${codes})))`);
  }
  if (anySystem.length > 0) parts.push(`${a}.code = ANY(${sql.bind(anySystem, 'text[]')})`);
  parts.push(...rest.map((v) => tokenPredicate(v, a, sql)));
  return `(${parts.join(' OR ')})`;
}

function stringPredicate(mode: 'prefix' | 'exact' | 'contains' | 'word' | 'key', value: string, a: string, sql: SqlBuilder): string {
  const prefix = () => `(${a}.norm COLLATE "C" >= ${sql.bind(value)} AND ${a}.norm COLLATE "C" < ${sql.bind(prefixUpperBound(value))})`;
  switch (mode) {
    case 'exact': return `${a}.exact = ${sql.bind(value)}`;
    case 'key': return `${a}.norm = ${sql.bind(value)}`;
    case 'contains': return `${a}.norm LIKE ${sql.bind(`%${escapeLike(value)}%`)}`;
    case 'word': return `(${prefix()} OR ${a}.norm LIKE ${sql.bind(`% ${escapeLike(value)}%`)})`;
    default: return prefix();
  }
}

/**
 * Comparison of a target range [lo, hi) with a search range [s, e), per prefix. `s` and `e` bind their
 * value where used: an unused bind parameter has no type PostgreSQL could infer.
 */
function rangePredicate(prefix: Prefix, lo: string, hi: string, s: () => string, e: () => string): string {
  const within = () => `(${lo} >= ${s()} AND ${hi} <= ${e()})`;
  switch (prefix) {
    case 'eq': return within();
    case 'ne': return `NOT ${within()}`;
    case 'gt': return `${hi} > ${e()}`;
    case 'lt': return `${lo} < ${s()}`;
    case 'ge': return `(${hi} > ${e()} OR ${within()})`;
    case 'le': return `(${lo} < ${s()} OR ${within()})`;
    case 'sa': return `${lo} >= ${e()}`;
    case 'eb': return `${hi} <= ${s()}`;
    case 'ap': return `(${lo} < ${e()} AND ${hi} > ${s()})`;
  }
}

export function datePredicate(value: DateValue, lo: string, hi: string, sql: SqlBuilder, options: CompileOptions): string {
  let { start, end } = value;
  if (value.prefix === 'ap') {
    // "approximately": the range widened by 10% of its distance from now (at least a day).
    const now = options.now.getTime();
    const widen = (t: number) => Math.max(Math.abs(now - t) * 0.1, 86_400_000);
    const s = Date.parse(start);
    const e = Date.parse(end);
    start = new Date(s - widen(s)).toISOString();
    end = new Date(e + widen(e)).toISOString();
  }
  return rangePredicate(value.prefix, lo, hi, () => sql.bind(start, 'timestamptz'), () => sql.bind(end, 'timestamptz'));
}

/**
 * Numbers: `eq`/`ne` use the search value's precision range ([99.5, 100.5) for 100); ordering prefixes
 * compare with the value itself; `ap` is within 10% of it. The target is a point or a Range [lo, hi].
 */
export function numberPredicate(
  value: { prefix: Prefix; value: string | number; lo: string | number; hi: string | number },
  lo: string, hi: string, sql: SqlBuilder, cast: 'numeric' | 'float8',
): string {
  const v = () => sql.bind(String(value.value), cast);
  switch (value.prefix) {
    case 'eq': return `(${lo} >= ${sql.bind(String(value.lo), cast)} AND ${hi} < ${sql.bind(String(value.hi), cast)})`;
    case 'ne': return `NOT (${lo} >= ${sql.bind(String(value.lo), cast)} AND ${hi} < ${sql.bind(String(value.hi), cast)})`;
    case 'gt': return `${hi} > ${v()}`;
    case 'lt': return `${lo} < ${v()}`;
    case 'ge': return `${hi} >= ${v()}`;
    case 'le': return `${lo} <= ${v()}`;
    case 'sa': return `${lo} > ${v()}`;
    case 'eb': return `${hi} < ${v()}`;
    case 'ap': {
      const margin = Math.abs(Number(value.value)) * 0.1;
      return `(${lo} <= ${sql.bind(String(Number(value.value) + margin), cast)} AND ${hi} >= ${sql.bind(String(Number(value.value) - margin), cast)})`;
    }
  }
}

function quantityPredicate(value: QuantityValue, a: string, sql: SqlBuilder): string {
  if (value.canonical) {
    const c = value.canonical;
    const compare = numberPredicate(
      { prefix: value.prefix, value: c.value, lo: c.lo, hi: c.hi },
      `COALESCE(${a}.canon_lo, '-Infinity'::float8)`, `COALESCE(${a}.canon_hi, 'Infinity'::float8)`, sql, 'float8',
    );
    return `(${a}.canon_code = ${sql.bind(c.code)} AND ${compare})`;
  }
  const parts = [numberPredicate(value as NumberValue, `${a}.lo`, `${a}.hi`, sql, 'numeric')];
  if (value.system !== undefined) parts.push(`${a}.system = ${sql.bind(value.system)}`);
  if (value.code !== undefined) {
    const code = sql.bind(value.code);
    parts.push(value.system !== undefined ? `${a}.code = ${code}` : `(${a}.code = ${code} OR ${a}.unit = ${code})`);
  }
  return `(${parts.join(' AND ')})`;
}
