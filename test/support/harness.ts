import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { createCarnet, type Carnet } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { Database } from '../../src/storage/database.js';
import { openPGlite } from '../../src/storage/pglite-database.js';
import { openPostgres } from '../../src/storage/postgres-database.js';

/**
 * A real Carnet for tests: embedded PGlite in memory by default, or — when DATABASE_URL is set — a fresh
 * schema of that PostgreSQL database, dropped at close, so test files never see each other's data.
 */
export interface TestCarnet {
  readonly carnet: Carnet;
  readonly base: string;
  /** In-process HTTP request through the real server. */
  request(method: string, url: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly text: string;
}

export const usingPostgres = Boolean(process.env.DATABASE_URL);

export async function openTestDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = await openPGlite('memory://');
    return { db, drop: async () => undefined };
  }
  const schema = `carnet_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const db = await openPostgres(scoped.toString(), 8);
  return {
    db,
    drop: async () => {
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
      await cleanup.end();
    },
  };
}

export async function startTestCarnet(overrides: { clock?: () => Date; newId?: () => string; env?: NodeJS.ProcessEnv } = {}): Promise<TestCarnet> {
  const { db, drop } = await openTestDatabase();
  const config = loadConfig({ PORT: '8080', CARNET_BASE_URL: 'http://carnet.test', LOG_LEVEL: 'silent', ...overrides.env });
  const carnet = await createCarnet(config, {
    db,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(overrides.clock ? { clock: overrides.clock } : {}),
    ...(overrides.newId ? { newId: overrides.newId } : {}),
  });
  return {
    carnet,
    base: carnet.ctx.fhirBaseUrl,
    async request(method, url, options = {}) {
      const hasBody = options.body !== undefined;
      const response = await carnet.server.inject({
        method: method as 'GET',
        url,
        headers: { ...(hasBody ? { 'content-type': 'application/fhir+json' } : {}), ...options.headers },
        ...(hasBody ? { payload: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
      });
      let body: unknown;
      try {
        body = response.body ? JSON.parse(response.body) : undefined;
      } catch {
        body = undefined;
      }
      return { status: response.statusCode, headers: response.headers, body, text: response.body };
    },
    async close() {
      await carnet.close();
      await drop();
    },
  };
}
