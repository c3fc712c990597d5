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

const base = () => `${location.origin}/auth/grants`;

export async function myGrants(client: Client): Promise<GrantView[]> {
  const body = await client.request<{ grants: GrantView[] }>(base());
  return body.grants;
}

export async function withdraw(client: Client, grant: GrantView): Promise<void> {
  await client.request({ url: `${base()}/${encodeURIComponent(grant.id)}/revoke`, method: 'POST' });
}
