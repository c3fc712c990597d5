/**
 * Accumulates bind parameters and fresh table aliases while a query is compiled (pure). Stores build their
 * WHERE clauses with it too: conditions are composed from parts, values are always bound, never spliced,
 * and a filter that is not asked for is left out of the SQL rather than disabled with `$n IS NULL OR …`.
 *
 *     const b = new SqlBuilder();
 *     await q.query(`SELECT … FROM job ${b.where(b.eq('kind', kind), state && b.eq('state', state))}`, b.params);
 */
export type Condition = string | false | null | undefined;

export class SqlBuilder {
  readonly params: unknown[] = [];
  private aliases = 0;

  /** A bind placeholder for `value`, with an explicit cast when the type must not be guessed. */
  bind(value: unknown, cast?: string): string {
    this.params.push(value);
    return cast ? `$${this.params.length}::${cast}` : `$${this.params.length}`;
  }

  alias(prefix: string): string {
    this.aliases += 1;
    return `${prefix}${this.aliases}`;
  }

  /** `column = value` (bound). */
  eq(column: string, value: unknown, cast?: string): string {
    return `${column} = ${this.bind(value, cast)}`;
  }

  /** `column = ANY(values)`, the array bound as `cast[]` (e.g. `text`, `bigint`). */
  any(column: string, values: readonly unknown[], cast: string): string {
    return `${column} = ANY(${this.bind([...values], `${cast}[]`)})`;
  }

  /** The conditions given, joined with AND (left-out ones skipped); `true` when none is left. */
  and(...conditions: Condition[]): string {
    const kept = conditions.filter((c): c is string => typeof c === 'string' && c !== '');
    return kept.length === 0 ? 'true' : kept.length === 1 ? (kept[0] as string) : kept.map((c) => `(${c})`).join(' AND ');
  }

  /** `WHERE …` of the conditions given, or '' when every one is left out. */
  where(...conditions: Condition[]): string {
    const all = this.and(...conditions);
    return all === 'true' ? '' : `WHERE ${all}`;
  }
}
