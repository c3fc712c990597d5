import { ASSERTION_ALGS } from './client-auth.js';
import { SIGNING_ALG } from './keys.js';
import { BULK_EXPORT } from '../research/export/definitions.js';

/** The discovery documents: OpenID Provider metadata and the SMART configuration (pure). */
export interface Endpoints {
  readonly issuer: string;
  readonly fhirBaseUrl: string;
}

export const SCOPES_SUPPORTED = [
  'openid', 'fhirUser', 'profile', 'launch/patient', 'offline_access', 'online_access',
  'patient/*.cruds', 'patient/*.rs', 'user/*.cruds', 'user/*.rs', 'system/*.cruds', 'system/*.rs', 'patient/*.read', 'user/*.read', 'system/*.read',
];

export function endpointsOf(issuer: string) {
  return {
    authorization_endpoint: `${issuer}/auth/authorize`,
    token_endpoint: `${issuer}/auth/token`,
    revocation_endpoint: `${issuer}/auth/revoke`,
    introspection_endpoint: `${issuer}/auth/introspect`,
    userinfo_endpoint: `${issuer}/auth/userinfo`,
    jwks_uri: `${issuer}/auth/jwks`,
  };
}

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];

export function openidConfiguration(e: Endpoints) {
  return {
    issuer: e.issuer,
    ...endpointsOf(e.issuer),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [SIGNING_ALG],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    code_challenge_methods_supported: ['S256'],
    scopes_supported: SCOPES_SUPPORTED,
    claims_supported: ['sub', 'name', 'fhirUser', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce'],
    ui_locales_supported: ['fr-CA', 'en-CA'],
  };
}

export function smartConfiguration(e: Endpoints) {
  return {
    issuer: e.issuer,
    ...endpointsOf(e.issuer),
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    capabilities: [
      'launch-standalone', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric',
      'context-standalone-patient', 'permission-offline', 'permission-online', 'permission-patient', 'permission-user',
      'permission-v1', 'permission-v2', 'sso-openid-connect', 'context-banner',
    ],
    // Not a field of SMART App Launch: what bulk clients look for, the Bulk Data operations and their
    // canonical definitions (the CapabilityStatement declares the same).
    operations: [
      { name: 'export', level: 'system', definition: BULK_EXPORT.system },
      { name: 'patient-export', level: 'Patient', definition: BULK_EXPORT.patient },
      { name: 'group-export', level: 'Group', definition: BULK_EXPORT.group },
    ],
  };
}
