import pg from 'pg';
import type { Database, Queryable, QueryResult, RequestLimits } from './database.js';
import { listenPostgres } from './postgres-listener.js';

// Keep bigint and timestamps as PostgreSQL sends them are handled by callers; int8 counts become numbers.
pg.types.setTypeParser(20, (value: string) => Number(value));

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres (unparseable URL)';
  }
}

function wrap(client: pg.PoolClient): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
      const result = await client.query(sql, params as unknown[]);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    },
  };
}

/**
 * The statement_timeout each pooled connection was last given by a request (absent: the server's default).
 * A request's view sets it on the connections it takes; every other use (migrations, jobs, consumers,
 * exports) resets a connection a request had before running anything on it, so background work is never cut.
 * Set per connection rather than per transaction so that a request's plain queries (its searches) pay no
 * extra round trip while the connection serves requests only.
 */
const sessionTimeout = new WeakMap<pg.PoolClient, number>();

async function checkout(pool: pg.Pool, timeoutMs: number): Promise<pg.PoolClient> {
  const client = await pool.connect();
  if ((sessionTimeout.get(client) ?? 0) !== timeoutMs) {
    try {
      // Outside any transaction: a SET inside one that rolls back would be undone.
      await client.query(timeoutMs > 0 ? `SET statement_timeout = ${Math.floor(timeoutMs)}` : 'RESET statement_timeout');
    } catch (error) {
      client.release(true);
      throw error;
    }
    if (timeoutMs > 0) sessionTimeout.set(client, timeoutMs);
    else sessionTimeout.delete(client);
  }
  return client;
}

/** A failure of the connection itself (no SQLSTATE): the client is not handed out again. */
const broken = (error: unknown): boolean => typeof (error as { code?: unknown } | null)?.code !== 'string';

type Take = () => Promise<pg.PoolClient>;
type Give = (client: pg.PoolClient, broken: boolean) => void;

async function query<R>(take: Take, give: Give, sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
  const client = await take();
  let lost = false;
  try {
    return await wrap(client).query<R>(sql, params);
  } catch (error) {
    lost = broken(error);
    throw error;
  } finally {
    give(client, lost);
  }
}

async function transaction<T>(take: Take, give: Give, work: (tx: Queryable) => Promise<T>): Promise<T> {
  const client = await take();
  let lost = false;
  try {
    await client.query('BEGIN');
    const result = await work(wrap(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      lost = true;
    });
    throw error;
  } finally {
    give(client, lost);
  }
}

/** Cancels the statements the backends `pids` run (pg_cancel_backend), over a connection of its own: the pool may be exhausted. */
async function cancelBackends(url: string, pids: readonly number[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  } catch {
    // The statements end by their timeout anyway.
  } finally {
    await client.end().catch(() => undefined);
  }
}

const processId = (client: pg.PoolClient): number | null => (client as unknown as { processID?: number | null }).processID ?? null;

/**
 * One request's view of the pool: its connections carry the statement timeout, and when the client goes
 * away the statements it still runs are cancelled. A connection in use at that moment is closed rather
 * than returned, so a cancel arriving late can never hit the next request's statement.
 */
function requestView(pool: pg.Pool, url: string, base: Database, limits: RequestLimits): Database {
  const busy = new Set<pg.PoolClient>();
  const { signal } = limits;
  const take: Take = async () => {
    const client = await checkout(pool, limits.statementTimeoutMs);
    busy.add(client);
    return client;
  };
  const give: Give = (client, lost) => {
    busy.delete(client);
    client.release(lost || signal?.aborted === true ? true : undefined);
  };
  signal?.addEventListener('abort', () => {
    const pids = [...busy].map(processId).filter((pid): pid is number => pid !== null);
    if (pids.length > 0) void cancelBackends(url, pids);
  }, { once: true });
  return {
    kind: 'postgres',
    description: base.description,
    query: (sql, params) => query(take, give, sql, params),
    transaction: (work) => transaction(take, give, work),
    // The pool belongs to the database, not to one request.
    close: async () => undefined,
    ...(base.listen ? { listen: base.listen } : {}),
  };
}

/** A real PostgreSQL server through a connection pool. */
export async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => undefined);
  const probe = await pool.connect();
  probe.release();
  const take: Take = () => checkout(pool, 0);
  const give: Give = (client, lost) => client.release(lost ? true : undefined);
  const db: Database = {
    kind: 'postgres',
    description: `PostgreSQL at ${redact(url)} (pool of ${poolSize})`,
    query: (sql, params) => query(take, give, sql, params),
    transaction: (work) => transaction(take, give, work),
    close: () => pool.end(),
    listen: (channel, onNotify, onReconnect) => listenPostgres(url, channel, onNotify, onReconnect),
    forRequest: (limits) => requestView(pool, url, db, limits),
  };
  return db;
}
