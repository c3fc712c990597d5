import type { Database, Queryable } from '../../src/storage/database.js';

/** A database that notes every statement run through it, in transactions too (HAPI's query-count tests). */
export interface CountingDatabase {
  readonly db: Database;
  /** The statements run since the last `reset()`, in order. */
  readonly statements: string[];
  reset(): void;
}

export function countingDatabase(inner: Database): CountingDatabase {
  const statements: string[] = [];
  const counted = (q: Queryable): Queryable => ({
    query<R>(sql: string, params?: readonly unknown[]) {
      statements.push(sql);
      return q.query<R>(sql, params);
    },
  });
  const db: Database = {
    kind: inner.kind,
    description: inner.description,
    query: counted(inner).query,
    // BEGIN and COMMIT are round trips too.
    transaction: async (work) => {
      statements.push('BEGIN');
      const result = await inner.transaction((tx) => work(counted(tx)));
      statements.push('COMMIT');
      return result;
    },
    close: () => inner.close(),
    ...(inner.listen ? { listen: inner.listen.bind(inner) } : {}),
  };
  return { db, statements, reset: () => statements.splice(0) };
}
