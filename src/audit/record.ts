/** One row of the audit trail as written: indexed columns and the AuditEvent JSON. */
export interface AuditRecord {
  readonly uid: string;
  readonly recorded: string;
  /** The AuditEvent action (C R U D E) or, for security events, `login`, `login-failed`, … */
  readonly action: string;
  /** `user:<id>`, `client:<id>`, or what a failed login tried. */
  readonly agent: string;
  /** Patient ids whose record the event touched: what their access log lists. */
  readonly patients: readonly string[];
  /** AuditEvent.outcome: 0 success, 4 minor failure (denied, not found), 8 serious, 12 major. */
  readonly outcome: string;
  readonly breakGlass: boolean;
  readonly content: string;
}

/** Where audit records go: durably before an answer is sent, or inside the transaction of a write. */
export interface AuditSink {
  /** Resolves once the record is committed (group commit with others arriving meanwhile). */
  record(record: AuditRecord): Promise<void>;
  /** Inserts records inside an open transaction: they commit, or vanish, with it. */
  insert(tx: import('../storage/database.js').Queryable, records: readonly AuditRecord[]): Promise<void>;
}
