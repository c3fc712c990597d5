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
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('resource', 'resource_version', 'token_index')");
      assert.equal(Number(rows[0]?.n) >= 3, true);
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
