import type { Resource } from '@medplum/fhirtypes';
import type { Database } from '../../storage/database.js';
import { contentsAfterRid, countCurrent } from '../../storage/resource-store.js';
import { deleteIndex, indexStateVersion, setIndexStateVersion, writeIndex } from '../../storage/search-index.js';
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
  return indexStateVersion(db);
}

/** Rebuilds the index if it was built by older rules (or `force`). Returns how many resources it indexed. */
export async function ensureSearchIndex(db: Database, baseUrl: string, log: Log, force = false): Promise<number> {
  if (!force && (await indexVersion(db)) >= SEARCH_INDEX_VERSION) return 0;
  return db.transaction(async (tx) => {
    // One process rebuilds; the others wait here, then find the index current.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    if (!force && (await indexStateVersion(tx, true)) >= SEARCH_INDEX_VERSION) return 0;
    const expected = await countCurrent(tx);
    if (expected > 0) log.info({ resources: expected, version: SEARCH_INDEX_VERSION }, 'rebuilding the search index');
    const started = Date.now();
    let last = '0';
    let done = 0;
    let lastLog = started;
    for (;;) {
      const rows = await contentsAfterRid(tx, last, BATCH);
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
    await setIndexStateVersion(tx, SEARCH_INDEX_VERSION);
    if (done > 0) log.info({ resources: done, seconds: (Date.now() - started) / 1000 }, 'search index rebuilt');
    return done;
  });
}
