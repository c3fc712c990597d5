import { pino } from 'pino';
import { loadConfig } from '../config/config.js';
import { fhirDefinitions } from '../fhir/definitions.js';
import { ensureSearchIndex } from '../fhir/search/reindex.js';
import { migrate } from '../storage/migrate.js';
import { openDatabase } from '../storage/open-database.js';

/** `carnet reindex`: rebuilds the whole search index from the stored resources. */
export async function reindexCommand(): Promise<number> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, base: { service: 'carnet' } });
  const db = await openDatabase(config);
  try {
    await migrate(db);
    fhirDefinitions();
    const started = Date.now();
    const n = await ensureSearchIndex(db, `${config.baseUrl}/fhir`, log, true);
    console.log(`${db.description}: ${n} resources re-indexed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    await db.close();
  }
}
