import type { GrantListQuery } from '../storage/break-glass-review-store.js';

/**
 * The privacy officer's review of break-the-glass accesses (pure): what a review must say, and which grants
 * a list asks for. Errors are sentences for a 400.
 */
export interface ReviewInput {
  readonly justified: boolean;
  readonly comment: string;
}

const MAX_COMMENT = 2000;
const MAX_COUNT = 200;

export function parseReviewInput(body: unknown): ReviewInput | { error: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { error: 'send {"justified": true|false, "comment": "…"}' };
  const { justified, comment } = body as { justified?: unknown; comment?: unknown };
  if (typeof justified !== 'boolean') return { error: 'justified: true (the emergency access was justified) or false' };
  const text = typeof comment === 'string' ? comment.trim() : '';
  if (text.length < 5) return { error: 'comment: say why (at least 5 characters)' };
  if (text.length > MAX_COMMENT) return { error: `comment: at most ${MAX_COMMENT} characters` };
  return { justified, comment: text };
}

/** The keyset cursor of a grant list: the last grant's time and id. */
export function grantCursor(grant: { grantedAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([grant.grantedAt, grant.id]), 'utf8').toString('base64url');
}

function decodeCursor(raw: string): { grantedAt: string; id: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && !Number.isNaN(Date.parse(value[0]))) {
      return { grantedAt: value[0], id: value[1] };
    }
  } catch {
    // not ours
  }
  return undefined;
}

/** `status` (unreviewed, reviewed, all — default unreviewed), `_count` (≤ 200, default 50), `_cursor`. */
export function parseGrantList(query: URLSearchParams): GrantListQuery & { count: number } | { error: string } {
  for (const name of query.keys()) if (!['status', '_count', '_cursor'].includes(name)) return { error: `unknown parameter "${name}" (status, _count, _cursor)` };
  const status = query.get('status') ?? 'unreviewed';
  if (status !== 'unreviewed' && status !== 'reviewed' && status !== 'all') return { error: 'status: unreviewed, reviewed or all' };
  const count = Number(query.get('_count') ?? 50);
  if (!Number.isInteger(count) || count < 1) return { error: '_count must be a positive integer' };
  const raw = query.get('_cursor');
  const before = raw === null ? undefined : decodeCursor(raw);
  if (raw !== null && !before) return { error: '_cursor is not a cursor this server gave' };
  const page = Math.min(count, MAX_COUNT);
  return { status, ...(before ? { before } : {}), limit: page + 1, count: page };
}
