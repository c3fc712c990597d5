import type { Database, Queryable, RequestLimits } from './database.js';

/**
 * "Something worth waking for has committed": code that appends change events or enqueues jobs marks
 * its transaction with a topic, and once that transaction commits the database tells its listeners (the
 * background runtime, which then reads at once instead of at its next poll). A rolled-back transaction
 * signals nothing. Marks on a plain query (autocommit) fire at once.
 */
export type CommitTopic = 'events' | 'jobs' | 'persons' | 'subscriptions' | 'owners';
export type CommitListener = (topics: ReadonlySet<CommitTopic>) => void;

export interface SignallingDatabase extends Database {
  /** Called after each commit that carried marks; returns the unsubscribe function. */
  onCommit(listener: CommitListener): () => void;
}

const openTransactions = new WeakMap<Queryable, Set<CommitTopic>>();
const fireNow = new WeakMap<Queryable, (topics: ReadonlySet<CommitTopic>) => void>();

/** Marks `q`'s transaction: its listeners hear `topic` after it commits (at once if `q` is the database). */
export function signalAfterCommit(q: Queryable, topic: CommitTopic): void {
  const marks = openTransactions.get(q);
  if (marks) marks.add(topic);
  else fireNow.get(q)?.(new Set([topic]));
}

export function withCommitSignals(db: Database): SignallingDatabase {
  const listeners = new Set<CommitListener>();
  const fire = (topics: ReadonlySet<CommitTopic>) => {
    for (const listener of listeners) listener(topics);
  };
  const signalling = (over: Database): SignallingDatabase => {
    const view: SignallingDatabase = {
      kind: over.kind,
      description: over.description,
      query: (sql, params) => over.query(sql, params),
      async transaction(work) {
        const marks = new Set<CommitTopic>();
        const result = await over.transaction((tx) => {
          const tracked: Queryable = { query: (sql, params) => tx.query(sql, params) };
          marks.clear(); // a retried attempt starts clean
          openTransactions.set(tracked, marks);
          return work(tracked);
        });
        if (marks.size > 0) fire(marks);
        return result;
      },
      close: () => over.close(),
      ...(over.listen ? { listen: over.listen.bind(over) } : {}),
      // A request's view (statement timeout, cancel on disconnect) signals to the same listeners.
      ...(over.forRequest ? { forRequest: (limits: RequestLimits) => signalling((over.forRequest as (l: RequestLimits) => Database)(limits)) } : {}),
      onCommit(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    fireNow.set(view, fire);
    return view;
  };
  return signalling(db);
}
