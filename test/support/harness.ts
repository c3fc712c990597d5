import type { AddressInfo } from 'node:net';
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
  /**
   * In-process HTTP request through the real server. By default it carries an access token of the
   * bootstrap system client, obtained through the real client-credentials flow; `token` sends another
   * one, or none (`null`).
   */
  request(method: string, url: string, options?: { body?: unknown; headers?: Record<string, string>; token?: string | null }): Promise<TestResponse>;
  /** The bootstrap (platform) client's current access token. */
  systemToken(): Promise<string>;
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

/** A fresh schema of the DATABASE_URL database: the URL that works inside it, and how to drop it. */
export async function createTestSchema(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('createTestSchema needs DATABASE_URL');
  const schema = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: scoped.toString(),
    drop: async () => {
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
      await cleanup.end();
    },
  };
}

export async function openTestDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  if (!process.env.DATABASE_URL) {
    const db = await openPGlite('memory://');
    return { db, drop: async () => undefined };
  }
  const schema = await createTestSchema('carnet_test');
  return { db: await openPostgres(schema.url, 8), drop: schema.drop };
}

/** Makes a test Carnet listen on a real TCP socket of the loopback; returns its origin (http://127.0.0.1:port). */
export async function listenOnSocket(t: TestCarnet): Promise<string> {
  await t.carnet.server.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.carnet.server.server.address() as AddressInfo).port}`;
}

/** The bootstrap client every test Carnet registers (CARNET_BOOTSTRAP_CLIENT_ID/SECRET). */
export const TEST_BOOTSTRAP = { id: 'test-bootstrap', secret: 'test-bootstrap-secret-0123456789abcdef' };

export interface TestOverrides {
  readonly clock?: () => Date;
  readonly newId?: () => string;
  readonly env?: NodeJS.ProcessEnv;
  /** Wraps the database the Carnet is built on (e.g. to count the statements a request runs). */
  readonly wrapDatabase?: (db: Database) => Database;
}

export async function startTestCarnet(overrides: TestOverrides = {}): Promise<TestCarnet> {
  const opened = await openTestDatabase();
  const { drop } = opened;
  const db = overrides.wrapDatabase ? overrides.wrapDatabase(opened.db) : opened.db;
  const config = loadConfig({
    PORT: '8080', CARNET_BASE_URL: 'http://carnet.test', LOG_LEVEL: 'silent',
    CARNET_BOOTSTRAP_CLIENT_ID: TEST_BOOTSTRAP.id, CARNET_BOOTSTRAP_CLIENT_SECRET: TEST_BOOTSTRAP.secret,
    // Background work is driven by the test (`carnet.background.runOnce()`), deterministic and without
    // sleeping; CARNET_BACKGROUND: 'on' runs the real loops.
    CARNET_BACKGROUND: 'off', ...overrides.env,
  });
  const carnet = await createCarnet(config, {
    db,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(overrides.clock ? { clock: overrides.clock } : {}),
    ...(overrides.newId ? { newId: overrides.newId } : {}),
  });
  let system: { token: string; until: number } | undefined;
  const systemToken = async (): Promise<string> => {
    if (system && system.until > Date.now()) return system.token;
    const response = await carnet.server.inject({
      method: 'POST', url: '/auth/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${TEST_BOOTSTRAP.id}:${TEST_BOOTSTRAP.secret}`).toString('base64')}`,
      },
      payload: 'grant_type=client_credentials&scope=system/*.cruds',
    });
    if (response.statusCode !== 200) throw new Error(`the test harness could not get a token: ${response.statusCode} ${response.body}`);
    const body = JSON.parse(response.body) as { access_token: string; expires_in: number };
    system = { token: body.access_token, until: Date.now() + (body.expires_in - 30) * 1000 };
    return system.token;
  };
  return {
    carnet,
    base: carnet.ctx.fhirBaseUrl,
    systemToken,
    async request(method, url, options = {}) {
      const hasBody = options.body !== undefined;
      const token = options.token === undefined ? await systemToken() : options.token;
      const response = await carnet.server.inject({
        method: method as 'GET',
        url,
        headers: { ...(hasBody ? { 'content-type': 'application/fhir+json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers },
        ...(hasBody ? { payload: typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body) } : {}),
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
