/** Accumulates bind parameters and fresh table aliases while a query is compiled (pure). */
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
}
