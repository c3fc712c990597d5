import type { Queryable } from '../../storage/database.js';
import { tokenHolders } from '../../storage/lookup-store.js';
import { searchRegistry } from './registry.js';

/**
 * Token lookups for hot paths that resolve many identifiers at once (the HL7 v2 gateway resolving every
 * identifier of a message): one statement over the token index for any number of keys.
 */
export interface TokenKey {
  readonly resourceType: string;
  /** A token search parameter of that type (`identifier`). */
  readonly param: string;
  readonly system: string;
  readonly value: string;
}

/** Current (not deleted) resources carrying each token: `resourceType|system|value` → ids. */
export async function findByTokens(db: Queryable, keys: readonly TokenKey[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const usable = keys.filter((k) => searchRegistry().param(k.resourceType, k.param)?.type === 'token');
  if (usable.length === 0) return found;
  const rows = await tokenHolders(db, usable.map((k) => ({ param: searchRegistry().param(k.resourceType, k.param)?.key as number, system: k.system, value: k.value })));
  for (const row of rows) {
    const key = `${row.resourceType}|${row.system}|${row.code}`;
    const ids = found.get(key) ?? [];
    if (!ids.includes(row.id)) ids.push(row.id);
    found.set(key, ids);
  }
  return found;
}
