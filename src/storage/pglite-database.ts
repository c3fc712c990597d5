import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import type { Database, Queryable, QueryResult } from './database.js';

type PGliteLike = Pick<PGlite, 'query'>;

function wrap(target: PGliteLike): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const result = await target.query<R>(sql, params as unknown[]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
  };
}

/** Embedded PostgreSQL (PGlite, WebAssembly). `dataDir` of `memory://` keeps everything in memory. */
export async function openPGlite(dataDir: string): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  // btree_gist backs the scheduling exclusion constraint (migration 012); PGlite loads extensions at start.
  const pglite = await PGlite.create(inMemory ? undefined : dataDir, { extensions: { btree_gist } });
  const root = wrap(pglite);
  return {
    kind: 'pglite',
    description: inMemory ? 'embedded PGlite (in memory)' : `embedded PGlite at ${dataDir}`,
    query: root.query,
    // PGlite is a single connection: its own mutex serialises transactions, so no pool is needed.
    transaction: (work) => pglite.transaction((tx) => work(wrap(tx))),
    close: () => pglite.close(),
  };
}
