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
    const refs = columns.map((c) => {
      this.params.push(c.values);
      return `$${this.params.length}::${c.type}[]`;
    });
    const names = columns.map((c) => c.name).join(', ');
    this.ctes.push(`i${this.ctes.length} AS (INSERT INTO ${table} (${names}) SELECT ${select ?? '*'} FROM unnest(${refs.join(', ')}) AS u(${names}))`);
  }
}

type Field<T> = readonly [name: string, type: string, get: (row: T) => unknown];

/** Column arrays of one table; every index row also carries its parameter key and composite group. */
function collect<T extends { param: number; grp: number | null }>(
  entries: readonly IndexedResource[], pick: (rows: IndexRows) => readonly T[], own: readonly Field<T>[],
): Column[] {
  const fields: Field<T>[] = [['param', 'int', (r) => r.param], ['grp', 'smallint', (r) => r.grp], ...own];
  const columns: Column[] = [{ name: 'rid', type: 'bigint', values: [] }, ...fields.map(([name, type]) => ({ name, type, values: [] as unknown[] }))];
  for (const entry of entries) {
    for (const row of pick(entry.rows)) {
      (columns[0] as Column).values.push(entry.rid);
      fields.forEach(([, , get], i) => (columns[i + 1] as Column).values.push(get(row)));
    }
  }
  return columns;
}

/** Inserts the index rows of freshly written resources (their old rows must already be gone). */
export async function writeIndex(db: Queryable, entries: readonly IndexedResource[]): Promise<void> {
  if (entries.length === 0) return;
  const s = new Statement();
  s.insert('search_token', collect(entries, (r) => r.tokens, [['system', 'text', (r) => r.system], ['code', 'text', (r) => r.code]]));
  s.insert('search_string', collect(entries, (r) => r.strings, [['norm', 'text', (r) => r.norm], ['exact', 'text', (r) => r.exact]]));
  s.insert('search_date', collect(entries, (r) => r.dates, [['lo', 'timestamptz', (r) => r.lo], ['hi', 'timestamptz', (r) => r.hi]]));
  s.insert('search_number', collect(entries, (r) => r.numbers, [['lo', 'numeric', (r) => r.lo], ['hi', 'numeric', (r) => r.hi]]));
  s.insert('search_quantity', collect(entries, (r) => r.quantities, [
    ['system', 'text', (r) => r.system], ['code', 'text', (r) => r.code], ['unit', 'text', (r) => r.unit],
    ['lo', 'numeric', (r) => r.lo], ['hi', 'numeric', (r) => r.hi],
    ['canon_code', 'text', (r) => r.canonCode], ['canon_lo', 'float8', (r) => r.canonLo], ['canon_hi', 'float8', (r) => r.canonHi],
  ]));
  s.insert('search_reference', collect(entries, (r) => r.references, [
    ['target', 'text', (r) => r.target], ['ident_system', 'text', (r) => r.identSystem], ['ident_value', 'text', (r) => r.identValue],
  ]));
  s.insert('search_uri', collect(entries, (r) => r.uris, [['uri', 'text', (r) => r.uri]]));
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
