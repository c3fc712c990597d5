import type { AuditWriter } from '../audit/writer.js';
import type { AuthConfig } from '../config/config.js';
import type { Authority } from './authority.js';
import type { ClientAuthenticator } from './client-auth.js';
import type { KeyRing } from './keys.js';
import type { LoginService } from './login.js';
import type { SecretBox } from './secrets.js';
import type { TokenService } from './tokens.js';
import type { Database } from '../storage/database.js';

/** The identity side of Carnet, composed once in the composition root and handed to the HTTP plugins. */
export interface AuthServices {
  readonly config: AuthConfig;
  readonly db: Database;
  readonly clock: () => Date;
  /** Ids of the records the authorization server writes (audit records of logins and routes). */
  readonly newId: () => string;
  /** The issuer (the server's base URL); endpoints live under `${issuer}/auth`. */
  readonly issuer: string;
  readonly fhirBaseUrl: string;
  /** Whether cookies get the Secure attribute (the base URL is https). */
  readonly secureCookies: boolean;
  readonly box: SecretBox;
  readonly keys: KeyRing;
  readonly tokens: TokenService;
  readonly authority: Authority;
  readonly clients: ClientAuthenticator;
  readonly login: LoginService;
  readonly audit: AuditWriter;
}
