import type { IndexRows } from './sql/index-rows.js';
import type { Queryable } from './database.js';
import { SqlBuilder } from './sql/builder.js';
import { int, type Row } from './sql/rows.js';

/**
 * Writes and removes search index rows. Each call is one SQL statement whatever the number of resources
 * and tables (data-modifying CTEs over `unnest` arrays), so indexing a 300-resource Bundle costs one
 * round trip.
 */
export interface IndexedResource {
  readonly rid: string;
  readonly rows: IndexRows;
  /** More rows of the same resource, serialized off the event loop (`serializeIndex`): written as they are. */
  readonly serialized?: SerializedIndex;
}

const INDEX_TABLES = [
  'search_token', 'search_string', 'search_date', 'search_number', 'search_quantity', 'search_reference', 'search_uri', 'search_text',
] as const;

/** Removes every index row of these resources (before re-indexing an update, or after a delete). */
export async function deleteIndex(db: Queryable, rids: readonly string[]): Promise<void> {
  if (rids.length === 0) return;
  const b = new SqlBuilder();
  const of = b.where(`rid = ANY(${b.bind(rids, 'bigint[]')})`);
  const ctes = INDEX_TABLES.map((table, i) => `d${i} AS (DELETE FROM ${table} ${of})`);
  await db.query(`WITH ${ctes.join(', ')} SELECT 1`, b.params);
}

type Field<T> = readonly [name: string, type: string, get: (row: T) => unknown];

interface TableSpec<T> {
  readonly table: string;
  readonly pick: (rows: IndexRows) => readonly T[];
  /** The columns after `rid`; every index row carries its parameter key and composite group first. */
  readonly fields: readonly Field<T>[];
}

function spec<T extends { param: number; grp: number | null }>(table: string, pick: (rows: IndexRows) => readonly T[], own: readonly Field<T>[]): TableSpec<T> {
  return { table, pick, fields: [['param', 'int', (r) => r.param], ['grp', 'smallint', (r) => r.grp], ...own] };
}

/** The row tables and their columns: the one definition both ways of writing rows use. */
const TABLES: readonly TableSpec<never>[] = [
  spec('search_token', (r) => r.tokens, [['system', 'text', (r) => r.system], ['code', 'text', (r) => r.code]]),
  spec('search_string', (r) => r.strings, [['norm', 'text', (r) => r.norm], ['exact', 'text', (r) => r.exact]]),
  spec('search_date', (r) => r.dates, [['lo', 'timestamptz', (r) => r.lo], ['hi', 'timestamptz', (r) => r.hi]]),
  spec('search_number', (r) => r.numbers, [['lo', 'numeric', (r) => r.lo], ['hi', 'numeric', (r) => r.hi]]),
  spec('search_quantity', (r) => r.quantities, [
    ['system', 'text', (r) => r.system], ['code', 'text', (r) => r.code], ['unit', 'text', (r) => r.unit],
    ['lo', 'numeric', (r) => r.lo], ['hi', 'numeric', (r) => r.hi],
    ['canon_code', 'text', (r) => r.canonCode], ['canon_lo', 'float8', (r) => r.canonLo], ['canon_hi', 'float8', (r) => r.canonHi],
  ]),
  spec('search_reference', (r) => r.references, [
    ['target', 'text', (r) => r.target], ['ident_system', 'text', (r) => r.identSystem], ['ident_value', 'text', (r) => r.identValue],
  ]),
  spec('search_uri', (r) => r.uris, [['uri', 'text', (r) => r.uri]]),
] as unknown as readonly TableSpec<never>[];

/** A PostgreSQL array literal of these values, exactly as node-postgres would send a JS array (pure). */
export function arrayLiteral(values: readonly unknown[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    parts[i] = v === null || v === undefined ? 'NULL' : `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  }
  return `{${parts.join(',')}}`;
}

/**
 * The index rows of one resource (but its full text) as the statement's parameters: per table, one array
 * literal per column. Built off the event loop for large bodies (a 100,000-name Patient has 800,000 string
 * rows: building the arrays took seconds of the loop), handed over as strings, which cost a copy only.
 */
export interface SerializedIndex {
  readonly tables: readonly { readonly table: string; readonly count: number; readonly columns: readonly string[] }[];
}

export function serializeIndex(rows: IndexRows): SerializedIndex {
  const tables = TABLES.flatMap((t) => {
    const picked = t.pick(rows);
    if (picked.length === 0) return [];
    return [{ table: t.table, count: picked.length, columns: t.fields.map(([, , get]) => arrayLiteral(picked.map(get))) }];
  });
  return { tables };
}

/** One array literal of the elements of several (`{a,b}` + `{}` + `{c}` → `{a,b,c}`). */
export function joinLiterals(literals: readonly string[]): string {
  if (literals.length === 1) return literals[0] as string;
  return `{${literals.map((l) => l.slice(1, -1)).filter((l) => l.length > 0).join(',')}}`;
}

interface Column {
  readonly name: string;
  readonly type: string;
  readonly values: unknown[];
}

class Statement {
  readonly params: unknown[] = [];
  readonly ctes: string[] = [];

  insert(table: string, columns: readonly Column[], select?: string): void {
    if ((columns[0]?.values.length ?? 0) === 0) return;
    const refs = columns.map((c) => this.bind(c.values, c.type));
    const names = columns.map((c) => c.name).join(', ');
    this.ctes.push(`i${this.ctes.length} AS (INSERT INTO ${table} (${names}) SELECT ${select ?? '*'} FROM unnest(${refs.join(', ')}) AS u(${names}))`);
  }

  /**
   * Rows whose columns (but rid) are array literals already: per table one INSERT for all the resources,
   * their literals joined and the rid column made by repeating each resource's rid (string work only).
   */
  insertSerialized(entries: readonly { rid: string; serialized: SerializedIndex }[]): void {
    for (const t of TABLES) {
      const parts = entries.flatMap((e) => e.serialized.tables.filter((x) => x.table === t.table).map((x) => ({ rid: e.rid, ...x })));
      if (parts.length === 0) continue;
      for (const part of parts) {
        if (part.columns.length !== t.fields.length) throw new Error(`serialized index rows of ${t.table} do not match its columns`);
      }
      const rids = joinLiterals(parts.map((p) => `{${`"${p.rid}",`.repeat(p.count).slice(0, -1)}}`));
      const refs = [this.bind(rids, 'bigint'), ...t.fields.map(([, type], i) => this.bind(joinLiterals(parts.map((p) => p.columns[i] as string)), type))];
      const names = ['rid', ...t.fields.map(([name]) => name)].join(', ');
      this.ctes.push(`i${this.ctes.length} AS (INSERT INTO ${t.table} (${names}) SELECT * FROM unnest(${refs.join(', ')}) AS u(${names}))`);
    }
  }

  private bind(value: unknown, type: string): string {
    this.params.push(value);
    return `$${this.params.length}::${type}[]`;
  }
}

/** Column arrays of one table, rid first. */
function collect<T>(entries: readonly IndexedResource[], t: TableSpec<T>): Column[] {
  const columns: Column[] = [{ name: 'rid', type: 'bigint', values: [] }, ...t.fields.map(([name, type]) => ({ name, type, values: [] as unknown[] }))];
  for (const entry of entries) {
    for (const row of t.pick(entry.rows)) {
      (columns[0] as Column).values.push(entry.rid);
      t.fields.forEach(([, , get], i) => (columns[i + 1] as Column).values.push(get(row)));
    }
  }
  return columns;
}

/** Inserts the index rows of freshly written resources (their old rows must already be gone). */
export async function writeIndex(db: Queryable, entries: readonly IndexedResource[]): Promise<void> {
  if (entries.length === 0) return;
  const s = new Statement();
  for (const t of TABLES) s.insert(t.table, collect(entries, t));
  s.insertSerialized(entries.flatMap((e) => (e.serialized ? [{ rid: e.rid, serialized: e.serialized }] : [])));
  const texts = entries.filter((e) => e.rows.text);
  s.insert(
    'search_text',
    [
      { name: 'rid', type: 'bigint', values: texts.map((e) => e.rid) },
      { name: 'narrative', type: 'text', values: texts.map((e) => e.rows.text?.narrative ?? '') },
      { name: 'content', type: 'text', values: texts.map((e) => e.rows.text?.content ?? '') },
    ],
    `rid, to_tsvector('simple', narrative), to_tsvector('simple', content)`,
  );
  if (s.ctes.length === 0) return;
  await db.query(`WITH ${s.ctes.join(', ')} SELECT 1`, s.params);
}

/** The version of the extraction rules the index was built with (0: never built); `lock` holds the row until the transaction ends. */
export async function indexStateVersion(db: Queryable, lock = false): Promise<number> {
  const { rows } = await db.query<Row>(`SELECT version FROM search_index_state WHERE id = 1${lock ? ' FOR UPDATE' : ''}`);
  return rows[0] ? int(rows[0], 'version') : 0;
}

export async function setIndexStateVersion(db: Queryable, version: number): Promise<void> {
  const b = new SqlBuilder();
  await db.query(`UPDATE search_index_state SET version = ${b.bind(version, 'int')}, updated_at = now() WHERE id = 1`, b.params);
}
