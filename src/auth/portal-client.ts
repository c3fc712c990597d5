import { findClient, updateClientRegistration } from '../storage/auth-store.js';
import type { Queryable } from '../storage/database.js';
import { AccountError, createClient } from './accounts.js';

/**
 * Carnet's own browser apps are SMART on FHIR apps like any other: public clients (no secret, PKCE)
 * registered at startup, whose redirect URI follows the configured base URL. They are marked trusted
 * (first-party apps of this Carnet: the person is not asked to approve them).
 *
 * - the citizen portal (/portail/): what a person may do with their own record — read everything of
 *   their compartment, write their consent choices;
 * - the professional workspace (/clinique/): `user/` scopes, which the signed-in professional's role,
 *   the patients' consents and the route policies narrow (a privacy officer's or an administrator's
 *   token reaches what their role reaches, nothing more).
 */
export const PORTAL_CLIENT_ID = 'carnet-portail';
export const PORTAL_SCOPE = 'openid fhirUser profile offline_access online_access launch/patient patient/*.cruds user/*.rs';
export const CLINIC_CLIENT_ID = 'carnet-clinique';
export const CLINIC_SCOPE = 'openid fhirUser profile online_access user/*.cruds';

interface FirstPartyApp {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  readonly scope: string;
}

const APPS: readonly FirstPartyApp[] = [
  { id: PORTAL_CLIENT_ID, name: 'Mon carnet', path: 'portail', scope: PORTAL_SCOPE },
  { id: CLINIC_CLIENT_ID, name: 'Espace clinique', path: 'clinique', scope: CLINIC_SCOPE },
];

export function portalRedirectUri(baseUrl: string): string {
  return appRedirectUri(baseUrl, 'portail');
}

export function appRedirectUri(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path}/`;
}

/** Registers (or brings up to date) the portal's and the workspace's clients. */
export async function ensurePortalClient(db: Queryable, baseUrl: string, now: Date): Promise<void> {
  for (const app of APPS) await ensureAppClient(db, app, baseUrl, now);
}

async function ensureAppClient(db: Queryable, app: FirstPartyApp, baseUrl: string, now: Date): Promise<void> {
  const redirectUris = [appRedirectUri(baseUrl, app.path)];
  const existing = await findClient(db, app.id);
  if (existing) {
    if (existing.redirectUris.join(' ') !== redirectUris.join(' ') || existing.scope !== app.scope) {
      await updateClientRegistration(db, app.id, redirectUris, app.scope);
    }
    return;
  }
  try {
    await createClient(db, { id: app.id, name: app.name, kind: 'public', redirectUris, scope: app.scope, trusted: true }, now);
  } catch (error) {
    // Several processes starting together race to register it: one wins.
    if ((error as { code?: unknown }).code === '23505' || (error instanceof AccountError && (await findClient(db, app.id)))) return;
    throw error;
  }
}
