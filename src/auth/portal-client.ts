import { findClient, updateClientRegistration } from '../storage/auth-store.js';
import type { Queryable } from '../storage/database.js';
import { AccountError, createClient } from './accounts.js';

/**
 * The citizen portal (/portail/) is a SMART on FHIR app like any other: a public client (no secret, PKCE)
 * registered at startup, whose redirect URI follows the configured base URL. It is marked trusted (a
 * first-party app of this Carnet, the person is not asked to approve it), and its scopes are what a person
 * may do with their own record: read everything of their compartment, write their consent choices.
 */
export const PORTAL_CLIENT_ID = 'carnet-portail';
export const PORTAL_SCOPE = 'openid fhirUser profile offline_access online_access launch/patient patient/*.cruds user/*.rs';

export function portalRedirectUri(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/portail/`;
}

export async function ensurePortalClient(db: Queryable, baseUrl: string, now: Date): Promise<void> {
  const redirectUris = [portalRedirectUri(baseUrl)];
  const existing = await findClient(db, PORTAL_CLIENT_ID);
  if (existing) {
    if (existing.redirectUris.join(' ') !== redirectUris.join(' ') || existing.scope !== PORTAL_SCOPE) {
      await updateClientRegistration(db, PORTAL_CLIENT_ID, redirectUris, PORTAL_SCOPE);
    }
    return;
  }
  try {
    await createClient(db, { id: PORTAL_CLIENT_ID, name: 'Mon carnet', kind: 'public', redirectUris, scope: PORTAL_SCOPE, trusted: true }, now);
  } catch (error) {
    // Several processes starting together race to register it: one wins.
    if ((error as { code?: unknown }).code === '23505' || (error instanceof AccountError && (await findClient(db, PORTAL_CLIENT_ID)))) return;
    throw error;
  }
}
