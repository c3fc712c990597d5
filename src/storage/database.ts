/**
 * The one database interface the rest of Carnet sees. Two adapters implement it (embedded PGlite and a
 * PostgreSQL pool); no other module knows which one is in use.
 */
export interface QueryResult<R> {
  readonly rows: R[];
  readonly rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

/** The limits of one request's database work (see `Database.forRequest`). */
export interface RequestLimits {
  /** The longest one statement of the request may run, in milliseconds; 0: no limit. */
  readonly statementTimeoutMs: number;
  /** Aborted when the client has gone: the request's running statements are cancelled. */
  readonly signal?: AbortSignal;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** A human description for logs (never contains credentials). */
  readonly description: string;
  /** Runs `work` in one database transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * The same database as one external request uses it (PostgreSQL only): each statement is limited to
   * `statementTimeoutMs` (SQLSTATE 57014 past it), and the statements still running when `signal` aborts
   * are cancelled. Absent: the adapter cannot interrupt a statement (PGlite runs on this thread).
   */
  forRequest?(limits: RequestLimits): Database;
  /**
   * LISTEN on a dedicated connection (PostgreSQL only: with PGlite every writer is in this process).
   * `onNotify` gets each payload; `onReconnect` is called after the connection was lost and restored (a
   * notification may have been missed meanwhile). Resolves to the function that stops listening.
   */
  listen?(channel: string, onNotify: (payload: string) => void, onReconnect: () => void): Promise<() => Promise<void>>;
}

/** SQLSTATE 57014: a statement was cancelled, by its statement timeout or because its client went away. */
export function isCancelledStatement(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57014';
}

/** SQLSTATE codes after which a whole transaction may safely be run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '23505']);

export function isRetryableDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code);
}

/**
 * Runs a transaction, retrying it when PostgreSQL reports a serialization failure, a deadlock or a
 * unique violation caused by a concurrent writer (two clients creating the same id at once).
 */
export async function withRetries<T>(db: Database, work: (tx: Queryable) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryableDatabaseError(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}
