import type { AuditEvent } from '@medplum/fhirtypes';

/**
 * Break-the-glass grants as the privacy officer reviews them (pure): the list's address, what a review must
 * say before it is sent, and which grant an audit record was made under (so the trail shows its review).
 */
export interface GrantReview {
  readonly justified: boolean;
  readonly comment: string;
  readonly reviewer: string;
  readonly reviewerName: string | null;
  readonly reviewedAt: string;
}

export interface Grant {
  readonly id: string;
  /** The trail's agent key (`user:…`), the professional's name and fhirUser. */
  readonly agent: string;
  readonly actorName: string | null;
  readonly actorFhirUser: string | null;
  readonly patientId: string;
  readonly reason: string;
  readonly grantedAt: string;
  readonly expiresAt: string;
  readonly accesses: number;
  readonly review: GrantReview | null;
}

export type GrantStatus = 'unreviewed' | 'reviewed' | 'all';

export function grantsPath(status: GrantStatus): string {
  return `/auth/admin/break-glass?status=${status}&_count=200`;
}

/** What is missing before a review can be sent (i18n keys), none when it is complete. */
export function reviewProblems(justified: boolean | undefined, comment: string): ('choose' | 'comment')[] {
  return [...(justified === undefined ? ['choose' as const] : []), ...(comment.trim().length < 5 ? ['comment' as const] : [])];
}

/**
 * The grant a break-the-glass audit record belongs to: same professional (the record's requestor is the
 * grant's fhirUser or agent key), recorded while the grant lasted; among several, the one whose patient
 * the record names.
 */
export function grantOfEvent(event: AuditEvent, grants: readonly Grant[]): Grant | undefined {
  const requestor = (event.agent ?? []).find((a) => a.requestor) ?? event.agent?.[0];
  const when = Date.parse(event.recorded ?? '');
  if (!requestor || Number.isNaN(when)) return undefined;
  const candidates = grants.filter((g) => {
    const same = (g.actorFhirUser !== null && requestor.who?.reference === g.actorFhirUser) || requestor.who?.identifier?.value === g.agent;
    return same && Date.parse(g.grantedAt) <= when && when < Date.parse(g.expiresAt);
  });
  const named = new Set((event.entity ?? []).map((e) => e.what?.reference));
  return candidates.find((g) => named.has(`Patient/${g.patientId}`)) ?? candidates[0];
}
