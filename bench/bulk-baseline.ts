import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { resourceRows } from './bundles.js';
import { Progress } from './progress.js';
import { perSecond } from './stats.js';

/**
 * The database's own write limit: the same resources inserted straight into PostgreSQL, with no server in
 * between, as multi-row `INSERT … SELECT * FROM unnest(…)` batches on one connection (each batch its own
 * transaction). Serialising the rows happens before the clock starts.
 */

export interface BaselineResult {
  readonly table: string;
  readonly batchSize: number;
  readonly rows: number;
  readonly batches: number;
  readonly seconds: number;
  readonly resourcesPerSecond: number;
  readonly megabytes: number;
  readonly stoppedByTimeLimit: boolean;
}

export interface BaselineOptions {
  readonly url: string;
  readonly files: readonly string[];
  readonly batchSize: number;
  readonly maxSeconds: number;
}

export async function bulkBaseline(options: BaselineOptions): Promise<BaselineResult> {
  const rows = resourceRows(options.files, randomUUID);
  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  const table = 'bench_bulk_baseline';
  try {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`CREATE TABLE ${table} (resource_type text, id text, content text)`);
    const progress = new Progress('baseline');
    const deadline = performance.now() + options.maxSeconds * 1000;
    let inserted = 0;
    let batches = 0;
    let bytes = 0;
    let stoppedByTimeLimit = false;
    const started = performance.now();
    for (let offset = 0; offset < rows.length; offset += options.batchSize) {
      if (performance.now() > deadline) {
        stoppedByTimeLimit = true;
        break;
      }
      const batch = rows.slice(offset, offset + options.batchSize);
      await client.query(`INSERT INTO ${table} (resource_type, id, content) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`, [
        batch.map((r) => r.resourceType),
        batch.map((r) => r.id),
        batch.map((r) => r.content),
      ]);
      inserted += batch.length;
      batches++;
      for (const r of batch) bytes += r.content.length;
      progress.update(`${inserted.toLocaleString('en-US')}/${rows.length.toLocaleString('en-US')} rows, ${Math.round(perSecond(inserted, performance.now() - started)).toLocaleString('en-US')} rows/s`);
    }
    const ms = performance.now() - started;
    progress.end();
    return {
      table,
      batchSize: options.batchSize,
      rows: inserted,
      batches,
      seconds: ms / 1000,
      resourcesPerSecond: perSecond(inserted, ms),
      megabytes: bytes / 1024 / 1024,
      stoppedByTimeLimit,
    };
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
