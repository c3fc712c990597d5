import type { useSession } from './session.js';

/**
 * The Applications page's calls (docs/security.md): the apps the person has authorised (their live grants,
 * `GET /auth/grants`) and withdrawing one (`POST /auth/grants/{id}/revoke`) — with the person's token, so
 * only their own grants are ever seen or withdrawn.
 */
type Client = ReturnType<typeof useSession>['client'];

export interface GrantView {
  readonly id: string;
  readonly client: { readonly id: string; readonly name: string; readonly firstParty: boolean };
  readonly scope: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The grant this very page signed in with: withdrawing it is signing out. */
  readonly current: boolean;
}

/** What a grant lets the app do, in words: read only, or read and change (SMART v1 read/write/*, v2 cruds). */
export function reachOf(scope: string): 'read' | 'write' {
  const permissions = scope.split(/\s+/).filter((s) => /^(patient|user)\//.test(s)).map((s) => s.slice(s.lastIndexOf('.') + 1));
  return permissions.some((p) => p === 'write' || p === '*' || (/^[cruds]+$/.test(p) && /[cud]/.test(p))) ? 'write' : 'read';
}

const base = () => `${location.origin}/auth/grants`;

export async function myGrants(client: Client): Promise<GrantView[]> {
  const body = await client.request<{ grants: GrantView[] }>(base());
  return body.grants;
}

export async function withdraw(client: Client, grant: GrantView): Promise<void> {
  await client.request({ url: `${base()}/${encodeURIComponent(grant.id)}/revoke`, method: 'POST' });
}
