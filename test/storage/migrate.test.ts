import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { migrate } from '../../src/storage/migrate.js';
import { MIGRATIONS } from '../../src/storage/migrations/index.js';
import { openTestDatabase } from '../support/harness.js';

describe('migrations (on the configured database)', () => {
  test('apply once, in order, and are idempotent', async () => {
    const { db, drop } = await openTestDatabase();
    try {
      const first = await migrate(db);
      assert.deepEqual(first.applied.map((m) => m.version), MIGRATIONS.map((m) => m.version));
      const second = await migrate(db);
      assert.equal(second.applied.length, 0);
      assert.equal(second.schemaVersion, Math.max(...MIGRATIONS.map((m) => m.version)));
      const tables = ['resource', 'resource_version', 'search_token', 'search_string', 'search_date', 'search_number', 'search_quantity', 'search_reference', 'search_uri', 'search_text'];
      const { rows } = await db.query<{ table_name: string }>('SELECT DISTINCT table_name FROM information_schema.tables WHERE table_name = ANY($1::text[])', [tables]);
      assert.deepEqual(rows.map((r) => r.table_name).sort(), [...tables].sort());
      const { rows: gone } = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'token_index'");
      assert.equal(gone.length, 0, 'migration 2 replaces the token-only index');
    } finally {
      await db.close();
      await drop();
    }
  });

  test('a failing migration leaves nothing behind', async () => {
    const { db, drop } = await openTestDatabase();
    try {
      await migrate(db);
      const broken = [...MIGRATIONS, { version: 999, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT no_such_function()' }];
      await assert.rejects(() => migrate(db, broken));
      const { rows } = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
      assert.equal(rows.length, 0);
      const { rows: versions } = await db.query('SELECT version FROM carnet_migration WHERE version = 999');
      assert.equal(versions.length, 0);
    } finally {
      await db.close();
      await drop();
    }
  });
});
