import { loadConfig } from '../config/config.js';
import { migrate } from '../storage/migrate.js';
import { openDatabase } from '../storage/open-database.js';

export async function migrateCommand(): Promise<number> {
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    const { applied, schemaVersion } = await migrate(db);
    console.log(`${db.description}: ${applied.length} migration(s) applied, schema version ${schemaVersion}`);
    return 0;
  } finally {
    await db.close();
  }
}
