import * as adapterModule from 'fhirclient/lib/adapters/BrowserAdapter';
import type Client from 'fhirclient/lib/Client';
import type { Lang } from './lang.js';

/**
 * Carnet's apps sign in as any SMART on FHIR app would (fhirclient, a well-kept implementation of the SMART
 * App Launch spec): standalone launch, authorization code with PKCE, against Carnet's own authorization
 * server, as the public client Carnet registers for each at startup (src/auth/portal-client.ts):
 * `carnet-portail` for the portal, `carnet-clinique` for the professional workspace.
 *
 * Tokens stay in memory. fhirclient keeps its state in sessionStorage; ours keeps there only what must
 * survive the redirect to the login page (the PKCE verifier and state, single-use) and moves the state to
 * memory once it holds tokens. A reload signs in again, silently while the authorization server's session
 * cookie lasts.
 */
export interface SmartAppOptions {
  readonly clientId: string;
  readonly scope: string;
  /** The app's base path, also its redirect URI (`/portail/`, `/clinique/`). */
  readonly path: string;
  /** More parameters of the authorization request (the portal's `patient_hint`: whose record to open). */
  readonly authorizeParams?: () => Record<string, string>;
}

class MemoryFirstStorage {
  private readonly memory = new Map<string, unknown>();

  async get(key: string): Promise<unknown> {
    if (this.memory.has(key)) return this.memory.get(key);
    const stored = sessionStorage.getItem(key);
    return stored ? (JSON.parse(stored) as unknown) : null;
  }

  async set(key: string, value: unknown): Promise<unknown> {
    this.memory.set(key, value);
    const holdsTokens = typeof value === 'object' && value !== null && Boolean((value as { tokenResponse?: { access_token?: string } }).tokenResponse?.access_token);
    if (holdsTokens) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
    return value;
  }

  async unset(key: string): Promise<boolean> {
    const had = this.memory.delete(key) || sessionStorage.getItem(key) !== null;
    sessionStorage.removeItem(key);
    return had;
  }

  clear(): void {
    this.memory.clear();
  }
}

// fhirclient ships CommonJS (`exports.default = BrowserAdapter`): depending on the bundler's interop the
// class is the namespace's default or that default's default.
type AdapterClass = typeof adapterModule.default;
const interop = adapterModule as unknown as { default: AdapterClass | { default: AdapterClass } };
const BrowserAdapter: AdapterClass = 'default' in interop.default ? interop.default.default : interop.default;

/** fhirclient's browser adapter with memory-first storage; the login page opens in the person's language. */
class AppAdapter extends BrowserAdapter {
  readonly store = new MemoryFirstStorage();

  constructor(private readonly lang: () => Lang, private readonly extra: () => Record<string, string> = () => ({})) {
    super({ replaceBrowserHistory: true, refreshTokenWithCredentials: 'omit' });
  }

  override getStorage(): never {
    return this.store as never;
  }

  override redirect(to: string): void {
    const url = new URL(to, location.href);
    if (url.pathname.endsWith('/auth/authorize')) {
      url.searchParams.set('ui_locales', this.lang() === 'en' ? 'en-CA' : 'fr-CA');
      for (const [k, v] of Object.entries(this.extra())) url.searchParams.set(k, v);
    }
    location.href = url.toString();
  }
}

export type SignIn = { kind: 'signed-in'; client: Client } | { kind: 'redirecting' } | { kind: 'failed'; message: string };

export interface SmartApp {
  signIn(lang: () => Lang): Promise<SignIn>;
  signOut(client: Client): Promise<void>;
  /** Revokes this sign-in's grant without ending the login session (before signing in again, e.g. for another person). */
  release(client: Client): Promise<void>;
}

export function smartApp(options: SmartAppOptions): SmartApp {
  const { clientId, scope, path } = options;
  const revoke = async (client: Client) => {
    const response = client.state.tokenResponse;
    const token = response?.refresh_token ?? response?.access_token;
    if (!token) return;
    const body = new URLSearchParams({ token, client_id: clientId, ...(response?.refresh_token ? { token_type_hint: 'refresh_token' } : {}) });
    await fetch('/auth/revoke', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  };
  const returnKey = `carnet.${path.replace(/\//g, '')}.return`;
  let adapter: AppAdapter | undefined;
  return {
    /**
     * Back from the login page (a code or an error in the URL): completes the sign-in. Otherwise: starts it,
     * remembering where the person was going.
     */
    async signIn(lang) {
      adapter = new AppAdapter(lang, options.authorizeParams);
      const smart = adapter.getSmartApi();
      const params = new URLSearchParams(location.search);
      if (params.has('error')) {
        history.replaceState(null, '', path);
        return { kind: 'failed', message: params.get('error_description') ?? params.get('error') ?? '' };
      }
      if (params.has('code')) {
        try {
          const client = await smart.ready();
          const back = sessionStorage.getItem(returnKey);
          sessionStorage.removeItem(returnKey);
          if (back && back.startsWith(path)) history.replaceState(null, '', back);
          return { kind: 'signed-in', client };
        } catch (error) {
          history.replaceState(null, '', path);
          return { kind: 'failed', message: (error as Error).message };
        }
      }
      sessionStorage.setItem(returnKey, location.pathname + location.search);
      await smart.authorize({ clientId, scope, redirectUri: `${location.origin}${path}`, iss: `${location.origin}/fhir` });
      return { kind: 'redirecting' };
    },

    /**
     * Signing out revokes the grant (RFC 7009: revoking the refresh token, else the access token), ends the
     * authorization server's session, and forgets every token; then the landing page.
     */
    async signOut(client) {
      try {
        await revoke(client);
        await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
      } finally {
        adapter?.store.clear();
        sessionStorage.clear();
        location.assign('/');
      }
    },

    async release(client) {
      try {
        await revoke(client);
      } finally {
        adapter?.store.clear();
      }
    },
  };
}
