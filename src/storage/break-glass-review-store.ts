import type { Queryable } from './database.js';
import { SqlBuilder } from './sql/builder.js';
import { bool, int, iso, text, textOrNull, type Row } from './sql/rows.js';

/**
 * Privacy officers' reviews of break-the-glass grants (table `break_glass_review`, migration 25): one per
 * grant, written once — two officers reviewing the same grant at once, the second is told it is done.
 */
export interface GrantReview {
  readonly justified: boolean;
  readonly comment: string;
  /** The reviewer's audit agent key (`user:…`) and name. */
  readonly reviewer: string;
  readonly reviewerName: string | null;
  readonly reviewedAt: string;
}

export interface ReviewedGrant {
  readonly id: string;
  /** The audit trail's agent key of the professional (`user:<id>`), their name and fhirUser when known. */
  readonly agent: string;
  readonly actorName: string | null;
  readonly actorFhirUser: string | null;
  readonly patientId: string;
  readonly reason: string;
  readonly grantedAt: string;
  readonly expiresAt: string;
  /** The audit records flagged break-the-glass by that professional during the grant (the grant itself included). */
  readonly accesses: number;
  readonly review: GrantReview | null;
}

export interface GrantListQuery {
  readonly status: 'unreviewed' | 'reviewed' | 'all';
  /** Keyset: grants strictly older than (grantedAt, id). */
  readonly before?: { readonly grantedAt: string; readonly id: string };
  readonly limit: number;
}

function toGrant(row: Row): ReviewedGrant {
  const reviewed = row.justified !== null && row.justified !== undefined;
  return {
    id: text(row, 'id'), agent: `user:${text(row, 'actor')}`, actorName: textOrNull(row, 'actor_name'), actorFhirUser: textOrNull(row, 'fhir_user'),
    patientId: text(row, 'patient_id'), reason: text(row, 'reason'), grantedAt: iso(row, 'granted_at'), expiresAt: iso(row, 'expires_at'),
    accesses: int(row, 'accesses'),
    review: reviewed ? {
      justified: bool(row, 'justified'), comment: text(row, 'comment'), reviewer: text(row, 'reviewer'),
      reviewerName: textOrNull(row, 'reviewer_name'), reviewedAt: iso(row, 'reviewed_at'),
    } : null,
  };
}

const GRANT_SQL = `SELECT g.id, g.actor, g.patient_id, g.reason, g.granted_at, g.expires_at, u.display_name AS actor_name, u.fhir_user,
    (SELECT count(*)::int FROM audit_event a WHERE a.break_glass AND a.agent = 'user:' || g.actor AND a.recorded >= g.granted_at AND a.recorded < g.expires_at) AS accesses,
    r.justified, r.comment, r.reviewer, r.reviewer_name, r.reviewed_at
  FROM break_glass g LEFT JOIN auth_user u ON u.id = g.actor LEFT JOIN break_glass_review r ON r.grant_id = g.id`;

/** Grants newest first, with their review if any. */
export async function listReviewedGrants(db: Queryable, q: GrantListQuery): Promise<ReviewedGrant[]> {
  const b = new SqlBuilder();
  const where = b.where(
    q.status === 'unreviewed' && 'r.grant_id IS NULL',
    q.status === 'reviewed' && 'r.grant_id IS NOT NULL',
    q.before && `(g.granted_at, g.id) < (${b.bind(q.before.grantedAt, 'timestamptz')}, ${b.bind(q.before.id, 'text')})`,
  );
  const { rows } = await db.query<Row>(`${GRANT_SQL} ${where} ORDER BY g.granted_at DESC, g.id DESC LIMIT ${b.bind(q.limit)}`, b.params);
  return rows.map(toGrant);
}

export async function reviewedGrant(db: Queryable, id: string): Promise<ReviewedGrant | undefined> {
  const { rows } = await db.query<Row>(`${GRANT_SQL} WHERE g.id = $1`, [id]);
  return rows[0] ? toGrant(rows[0]) : undefined;
}

/** Records the review unless the grant is absent or already reviewed (the first review stands). */
export async function insertGrantReview(db: Queryable, grantId: string, review: GrantReview): Promise<'recorded' | 'absent' | 'already-reviewed'> {
  const { rows } = await db.query<Row>(
    `INSERT INTO break_glass_review (grant_id, justified, comment, reviewer, reviewer_name, reviewed_at)
       SELECT g.id, $2, $3, $4, $5, $6 FROM break_glass g WHERE g.id = $1
       ON CONFLICT (grant_id) DO NOTHING RETURNING grant_id`,
    [grantId, review.justified, review.comment, review.reviewer, review.reviewerName, review.reviewedAt],
  );
  if (rows.length > 0) return 'recorded';
  const { rows: exists } = await db.query<Row>('SELECT 1 FROM break_glass WHERE id = $1', [grantId]);
  return exists.length > 0 ? 'already-reviewed' : 'absent';
}
