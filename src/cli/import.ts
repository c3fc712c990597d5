import { parseArgs } from 'node:util';
import { createCarnet } from '../app/app.js';
import { loadConfig } from '../config/config.js';
import { consoleReporter } from '../import/progress.js';
import { importPaths } from '../import/runner.js';

const USAGE = 'Usage: carnet import <file|dir>...   (FHIR Bundles .json[.gz] — document Bundles filed as documents —, NDJSON .ndjson[.gz], C-CDA .xml)';

/** `carnet import`: loads files into the configured database (DATABASE_URL or embedded CARNET_DATA_DIR). */
export async function importCommand(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help || positionals.length === 0) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const carnet = await createCarnet(config, {}, { background: false });
  try {
    process.stderr.write(`Carnet import into ${carnet.db.description}\n`);
    const summary = await importPaths(carnet.ctx, positionals, consoleReporter());
    return summary.failedFiles > 0 ? 1 : 0;
  } finally {
    await carnet.close();
  }
}
