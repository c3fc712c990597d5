import type { Queryable } from './database.js';
import { SqlBuilder } from './sql/builder.js';
import { personsOfSql } from './sql/person-records.js';

/**
 * Break-the-glass grants (table `break_glass`, migration 6): the one module that knows their SQL. An active
 * grant lets its actor see one patient's record whatever the consents say, from `granted_at` until
 * `expires_at` (excluded).
 */
export interface BreakGlassGrant {
  readonly id: string;
  /** The principal's subject (`user:…`). */
  readonly actor: string;
  readonly patientId: string;
  readonly reason: string;
  readonly grantedAt: Date;
  readonly expiresAt: Date;
}

/**
 * A subquery of the patients `actor` holds an active grant for at `at`, for use inside a larger statement
 * (the search visibility, consent facts): both arguments are SQL expressions, typically bound parameters.
 */
export function activeGrantPatients(actor: string, at: string): string {
  return `SELECT g.patient_id FROM break_glass g WHERE g.actor = ${actor} AND g.granted_at <= ${at} AND ${at} < g.expires_at`;
}

export async function insertGrant(db: Queryable, grant: BreakGlassGrant): Promise<void> {
  await db.query('INSERT INTO break_glass (id, actor, patient_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [grant.id, grant.actor, grant.patientId, grant.reason, grant.grantedAt.toISOString(), grant.expiresAt.toISOString()]);
}

/** Whether `actor` holds an active grant at `at` for any of these patients' persons (a grant opens the whole person). */
export async function hasActiveGrant(db: Queryable, actor: string, patientIds: readonly string[], at: Date): Promise<boolean> {
  const b = new SqlBuilder();
  const grants = activeGrantPatients(b.bind(actor, 'text'), b.bind(at.toISOString(), 'timestamptz'));
  const { rows } = await db.query(`SELECT 1 FROM (${personsOfSql(grants)}) active ${b.where(b.any('active.patient_id', patientIds, 'text'))} LIMIT 1`, b.params);
  return rows.length > 0;
}
