/**
 * Typed readers of result rows (pure): the one place that knows how the two drivers hand back each SQL
 * type. node-postgres returns `bigint` and `numeric` as strings and PGlite as numbers; both return
 * `timestamptz` as a Date; `jsonb` arrives parsed, JSON kept in `text` columns does not. Every store maps
 * its rows with these instead of casting `row.x as …`.
 *
 * A reader without `OrNull` throws when the column is NULL or missing: a NOT NULL column that is not
 * there is a bug in the query, better loud than `undefined` or NaN downstream.
 */

export type Row = Readonly<Record<string, unknown>>;

function present(row: Row, column: string): unknown {
  const value = row[column];
  if (value === null || value === undefined) throw new Error(`row column "${column}" is ${value === null ? 'NULL' : 'missing'}`);
  return value;
}

function nullable<T>(read: (row: Row, column: string) => T): (row: Row, column: string) => T | null {
  return (row, column) => (row[column] === null || row[column] === undefined ? null : read(row, column));
}

/** A time value (Date or timestamp text) as an ISO 8601 string. */
export function isoOf(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** `text`, `varchar`, enums, `xid::text`. */
export function text(row: Row, column: string): string {
  return String(present(row, column));
}

/** `int`, `bigint`, `numeric`, `count(*)` as a JavaScript number (ids and counts stay below 2^53); not rounded. */
export function int(row: Row, column: string): number {
  const n = Number(present(row, column));
  if (Number.isNaN(n)) throw new Error(`row column "${column}" is not a number`);
  return n;
}

/** `double precision`, `real` (a fraction: not rounded). */
export const num: (row: Row, column: string) => number = int;

export function bool(row: Row, column: string): boolean {
  const value = present(row, column);
  return value === true || value === 't' || value === 'true';
}

/** `timestamptz` as an ISO 8601 string (UTC, milliseconds). */
export function iso(row: Row, column: string): string {
  return isoOf(present(row, column) as Date | string);
}

/** `timestamptz` as a Date. */
export function date(row: Row, column: string): Date {
  return new Date(iso(row, column));
}

/** `jsonb` (already parsed by the driver) or JSON kept in a `text` column. */
export function json<T = unknown>(row: Row, column: string): T {
  const value = present(row, column);
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** `text[]`; NULL reads as no elements. */
export function texts(row: Row, column: string): string[] {
  const value = row[column];
  return value === null || value === undefined ? [] : (value as unknown[]).map(String);
}

export const textOrNull = nullable(text);
export const intOrNull = nullable(int);
export const numOrNull = nullable(num);
export const boolOrNull = nullable(bool);
/** `text[]` where NULL means something else than no elements. */
export const textsOrNull = nullable(texts);
export const isoOrNull = nullable(iso);
export const dateOrNull = nullable(date);
export const jsonOrNull: <T = unknown>(row: Row, column: string) => T | null = nullable(json) as never;
