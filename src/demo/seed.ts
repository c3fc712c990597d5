import { fileURLToPath } from 'node:url';
import type { Carnet } from '../app/app.js';
import { importPaths } from '../import/runner.js';
import { summaryLine } from '../import/progress.js';
import { DEMO_ORGANIZATION, seedDemoDirectory } from './accounts.js';

/** The demo patients shipped with Carnet (see demo/synthea/PROVENANCE.md). */
export const DEMO_DIR = fileURLToPath(new URL('../../../demo/synthea', import.meta.url));

/**
 * On the first start of an empty embedded database, loads the demo patients so that `npm start` shows a
 * living record. Never on PostgreSQL (a production database is not to be filled with demo data), never
 * when CARNET_DEMO=off, never twice.
 */
export async function seedDemoIfEmpty(carnet: Carnet): Promise<boolean> {
  if (!carnet.config.demo || carnet.db.kind !== 'pglite') return false;
  const { rows } = await carnet.db.query('SELECT 1 FROM resource LIMIT 1');
  if (rows.length > 0) return false;
  carnet.log.info({ dir: DEMO_DIR }, 'empty embedded database: loading the demo patients');
  // The demo clinic wrote the demo records: its professionals see them, sensitive categories included.
  await seedDemoDirectory(carnet);
  const summary = await importPaths(carnet.ctx, [DEMO_DIR], undefined, { author: DEMO_ORGANIZATION });
  carnet.log.info({ resources: summary.resources, failedFiles: summary.failedFiles }, `demo data loaded: ${summaryLine(summary)}`);
  return true;
}
