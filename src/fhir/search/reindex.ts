import type { Resource } from '@medplum/fhirtypes';
import type { Database } from '../../storage/database.js';
import { deleteIndex, writeIndex } from '../../storage/search-index.js';
import type { Log } from '../context.js';
import { extractIndex } from './extract/index.js';

/**
 * The search index is derived data: when the extraction rules change (a new parameter, a fixed
 * normalisation), SEARCH_INDEX_VERSION is raised and the index is rebuilt from the stored resources —
 * at startup, or with `carnet reindex`.
 */
export const SEARCH_INDEX_VERSION = 1;

const BATCH = 500;
const LOCK_KEY = 7_240_117_002;

export async function indexVersion(db: Database): Promise<number> {
  const { rows } = await db.query<{ version: number }>('SELECT version FROM search_index_state WHERE id = 1');
  return Number(rows[0]?.version ?? 0);
}

/** Rebuilds the index if it was built by older rules (or `force`). Returns how many resources it indexed. */
export async function ensureSearchIndex(db: Database, baseUrl: string, log: Log, force = false): Promise<number> {
  if (!force && (await indexVersion(db)) >= SEARCH_INDEX_VERSION) return 0;
  return db.transaction(async (tx) => {
    // One process rebuilds; the others wait here, then find the index current.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    const { rows: state } = await tx.query<{ version: number }>('SELECT version FROM search_index_state WHERE id = 1 FOR UPDATE');
    if (!force && Number(state[0]?.version ?? 0) >= SEARCH_INDEX_VERSION) return 0;
    const { rows: total } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE NOT deleted');
    const expected = Number(total[0]?.n ?? 0);
    if (expected > 0) log.info({ resources: expected, version: SEARCH_INDEX_VERSION }, 'rebuilding the search index');
    const started = Date.now();
    let last = '0';
    let done = 0;
    let lastLog = started;
    for (;;) {
      const { rows } = await tx.query<{ rid: string; content: string }>(
        'SELECT rid::text AS rid, content FROM resource WHERE NOT deleted AND rid > $1::bigint ORDER BY rid LIMIT $2',
        [last, BATCH],
      );
      if (rows.length === 0) break;
      const entries = rows.map((row) => ({ rid: row.rid, rows: extractIndex(JSON.parse(row.content) as Resource, baseUrl) }));
      await deleteIndex(tx, entries.map((e) => e.rid));
      await writeIndex(tx, entries);
      done += rows.length;
      last = (rows[rows.length - 1] as { rid: string }).rid;
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log.info({ indexed: done, of: expected }, `search index: ${done}/${expected} resources`);
      }
    }
    await tx.query('UPDATE search_index_state SET version = $1, updated_at = now() WHERE id = 1', [SEARCH_INDEX_VERSION]);
    if (done > 0) log.info({ resources: done, seconds: (Date.now() - started) / 1000 }, 'search index rebuilt');
    return done;
  });
}
