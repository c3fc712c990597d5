import { errors } from './outcomes.js';

/** Page sizes and opaque keyset cursors shared by search and history (pure). */

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export function pageSize(query: URLSearchParams): number {
  const raw = query.get('_count');
  if (raw === null) return DEFAULT_PAGE_SIZE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw errors.invalid(`_count must be a non-negative integer (got "${raw}")`);
  return Math.min(n, MAX_PAGE_SIZE);
}

/** Link URL of the same request with some parameters replaced. */
export function pageLink(base: string, query: URLSearchParams, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) next.delete(key);
    else next.set(key, value);
  }
  const text = next.toString();
  return text ? `${base}?${text}` : base;
}

export function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

export function decodeCursor(raw: string | null): string | undefined {
  if (raw === null) return undefined;
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  if (!text || encodeCursor(text) !== raw.replace(/=+$/, '')) throw errors.invalid('_cursor is not a cursor this server issued');
  return text;
}
