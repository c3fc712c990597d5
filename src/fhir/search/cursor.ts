import { createHash } from 'node:crypto';
import { errors } from '../outcomes.js';
import type { SortKey } from './model.js';

/**
 * Opaque keyset cursors for search paging (pure). A cursor holds the sort values and row id of the row a
 * page starts after (`next`) or before (`prev`), and a fingerprint of the sort order it belongs to, so a
 * cursor is never applied to a different ordering.
 */
export interface Cursor {
  readonly direction: 'next' | 'prev';
  readonly values: readonly (string | null)[];
  readonly rid: string;
}

export function sortFingerprint(resourceType: string, sort: readonly SortKey[]): string {
  const text = `${resourceType}:${sort.map((k) => `${k.descending ? '-' : ''}${k.by === 'param' ? k.param.code : k.by}`).join(',')}`;
  return createHash('sha256').update(text).digest('base64url').slice(0, 8);
}

export function encodeSearchCursor(cursor: Cursor, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ d: cursor.direction === 'next' ? 'n' : 'p', v: cursor.values, r: cursor.rid, f: fingerprint })).toString('base64url');
}

export function decodeSearchCursor(raw: string, fingerprint: string, keys: number): Cursor {
  let parsed: { d?: unknown; v?: unknown; r?: unknown; f?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw errors.invalid('_cursor is not a cursor this server issued');
  }
  const values = parsed.v;
  if (
    (parsed.d !== 'n' && parsed.d !== 'p') || typeof parsed.r !== 'string' || !/^\d{1,19}$/.test(parsed.r)
    || !Array.isArray(values) || values.length !== keys || values.some((v) => v !== null && typeof v !== 'string')
  ) {
    throw errors.invalid('_cursor is not a cursor this server issued');
  }
  if (parsed.f !== fingerprint) throw errors.invalid('_cursor belongs to a search with another _sort; start again from the first page');
  return { direction: parsed.d === 'n' ? 'next' : 'prev', values: values as (string | null)[], rid: parsed.r };
}
