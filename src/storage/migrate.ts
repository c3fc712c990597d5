import type { Database } from './database.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

// Any fixed 64-bit number; it keeps two servers starting at once from migrating together.
const MIGRATION_LOCK_KEY = 7_240_117_001;

export interface MigrationReport {
  readonly applied: readonly Migration[];
  readonly schemaVersion: number;
}

/** Applies the migrations the database has not seen yet, in order. */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS carnet_migration (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM carnet_migration');
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: Migration[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO carnet_migration (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration);
    }
    const schemaVersion = Math.max(0, ...done, ...applied.map((m) => m.version));
    return { applied, schemaVersion };
  });
}

/**
 * Comments are dropped first; our migrations hold no semicolons inside literals, so a split on semicolons
 * is exact — except inside dollar-quoted bodies (`$$ … $$`: trigger functions), which stay whole.
 */
function splitStatements(sql: string): string[] {
  const parts = sql.replace(/--.*$/gm, '').split(/(\$\$[\s\S]*?\$\$)/);
  const statements: string[] = [''];
  for (const [i, part] of parts.entries()) {
    if (i % 2 === 1) {
      statements[statements.length - 1] += part;
      continue;
    }
    const pieces = part.split(';');
    statements[statements.length - 1] += pieces[0];
    statements.push(...pieces.slice(1));
  }
  return statements.map((part) => part.trim()).filter((part) => part.length > 0);
}
