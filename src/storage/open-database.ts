import type { CarnetConfig } from '../config/config.js';
import type { Database } from './database.js';
import { openPGlite } from './pglite-database.js';
import { openPostgres } from './postgres-database.js';

export function openDatabase(config: Pick<CarnetConfig, 'databaseUrl' | 'dataDir' | 'databasePoolSize'>): Promise<Database> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, config.databasePoolSize) : openPGlite(config.dataDir);
}
