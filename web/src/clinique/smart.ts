import { smartApp } from '../shared/smart.js';

/**
 * The workspace signs in as the public client `carnet-clinique` that Carnet registers at startup
 * (src/auth/portal-client.ts): authorization code + PKCE, `user/` scopes, the second factor the
 * authorization server requires of professionals. Whether a sign-in is under way is remembered in this tab
 * (never a token), so a reload signs in again silently while the login session lasts.
 */
export const CLIENT_ID = 'carnet-clinique';
export const SCOPE = 'openid fhirUser profile online_access user/*.cruds';
const ACTIVE = 'carnet.clinique.active';

const app = smartApp({ clientId: CLIENT_ID, scope: SCOPE, path: '/clinique/' });
export type { SignIn } from '../shared/smart.js';

export function wasSignedIn(): boolean {
  return sessionStorage.getItem(ACTIVE) === '1' || new URLSearchParams(location.search).has('code') || new URLSearchParams(location.search).has('error');
}

export const signIn: typeof app.signIn = async (lang) => {
  const result = await app.signIn(lang);
  if (result.kind === 'signed-in') sessionStorage.setItem(ACTIVE, '1');
  else if (result.kind === 'failed') sessionStorage.removeItem(ACTIVE);
  return result;
};

export const signOut = app.signOut;

export function startSignIn(lang: Parameters<typeof app.signIn>[0]): void {
  sessionStorage.setItem(ACTIVE, '1');
  void app.signIn(lang);
}
