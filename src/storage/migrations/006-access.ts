import type { Migration } from './migration.js';

/**
 * Identity, consent and audit (issue #5): who wrote each version and its sensitive categories, the OAuth
 * authorization server's state, consent rules compiled from Consent resources, break-the-glass grants,
 * and the append-only, hash-chained audit trail.
 */
export const access: Migration = {
  version: 6,
  name: 'access: users, clients, keys, tokens, consent rules, break-the-glass, hash-chained audit trail',
  sql: `
    -- The organisation whose user or system wrote the version, and the sensitive categories (v3 ActCode
    -- MH, SEX, SUD, HIV) its meta.security carries; NULL when none. Visibility filters read these columns.
    ALTER TABLE resource ADD COLUMN author_org text;
    ALTER TABLE resource ADD COLUMN sensitivity text[];
    ALTER TABLE resource_version ADD COLUMN author_org text;
    ALTER TABLE resource_version ADD COLUMN sensitivity text[];

    CREATE TABLE auth_user (
      id             text        PRIMARY KEY,
      username       text        NOT NULL UNIQUE,
      display_name   text        NOT NULL,
      role           text        NOT NULL,
      password_hash  text        NOT NULL,
      -- Practitioner/…, Patient/… or RelatedPerson/… this account is (SMART fhirUser).
      fhir_user      text,
      organization   text,
      practitioner_role text,
      licence        text,
      -- A proxy's RelatedPerson resources (each names the patient it may act for).
      proxy_for      text[]      NOT NULL DEFAULT '{}',
      -- TOTP secret, encrypted with CARNET_SECRET.
      totp_secret    text,
      totp_last_step bigint,
      failed_logins  integer     NOT NULL DEFAULT 0,
      locked_until   timestamptz,
      disabled       boolean     NOT NULL DEFAULT false,
      created_at     timestamptz NOT NULL,
      last_login     timestamptz
    );

    CREATE TABLE auth_client (
      id             text        PRIMARY KEY,
      name           text        NOT NULL,
      -- public (PKCE only), confidential (client secret), backend (private_key_jwt)
      kind           text        NOT NULL CHECK (kind IN ('public', 'confidential', 'backend')),
      secret_hash    text,
      jwks           text,
      jwks_uri       text,
      redirect_uris  text[]      NOT NULL DEFAULT '{}',
      -- The scopes this registration permits; a token never gets more.
      scope          text        NOT NULL,
      organization   text,
      -- Platform clients (the bootstrap client) are not filtered by consents; everything they do is audited.
      platform       boolean     NOT NULL DEFAULT false,
      -- First-party apps: no approval screen.
      trusted        boolean     NOT NULL DEFAULT false,
      disabled       boolean     NOT NULL DEFAULT false,
      created_at     timestamptz NOT NULL
    );

    -- Token signing keys; the private key is encrypted with CARNET_SECRET. Retired keys stay published
    -- until every token they signed has expired.
    CREATE TABLE auth_signing_key (
      kid          text        PRIMARY KEY,
      alg          text        NOT NULL,
      public_jwk   text        NOT NULL,
      private_jwk  text        NOT NULL,
      created_at   timestamptz NOT NULL,
      retired_at   timestamptz
    );

    -- Browser sessions of the login pages (the cookie holds the id; only its hash is stored).
    CREATE TABLE auth_session (
      id_hash     text        PRIMARY KEY,
      user_id     text        NOT NULL,
      auth_time   timestamptz NOT NULL,
      expires_at  timestamptz NOT NULL
    );

    -- An authorization request between /authorize and the redirect: its parameters, the user once known,
    -- then the code (hashed) until it is redeemed once.
    CREATE TABLE auth_request (
      id          text        PRIMARY KEY,
      client_id   text        NOT NULL,
      params      text        NOT NULL,
      user_id     text,
      patient     text,
      step        text        NOT NULL,
      code_hash   text        UNIQUE,
      auth_time   timestamptz,
      grant_id    text,
      created_at  timestamptz NOT NULL,
      expires_at  timestamptz NOT NULL
    );

    -- What a user or client was granted; refresh tokens rotate within a grant, and revoking the grant
    -- ends every token issued under it.
    CREATE TABLE auth_grant (
      id          text        PRIMARY KEY,
      client_id   text        NOT NULL,
      user_id     text,
      scope       text        NOT NULL,
      patient     text,
      claims      text        NOT NULL,
      created_at  timestamptz NOT NULL,
      expires_at  timestamptz NOT NULL,
      revoked_at  timestamptz
    );
    CREATE TABLE auth_refresh_token (
      token_hash  text        PRIMARY KEY,
      grant_id    text        NOT NULL,
      issued_at   timestamptz NOT NULL,
      expires_at  timestamptz NOT NULL,
      used_at     timestamptz
    );
    CREATE INDEX auth_refresh_token_grant_idx ON auth_refresh_token (grant_id);

    -- Revoked access tokens (jti:…) and grants (grant:…), kept until the tokens would have expired.
    CREATE TABLE auth_revocation (
      key         text        PRIMARY KEY,
      revoked_at  timestamptz NOT NULL,
      expires_at  timestamptz NOT NULL
    );
    CREATE INDEX auth_revocation_time_idx ON auth_revocation (revoked_at);

    -- Client assertions already used (a jti is accepted once until it expires).
    CREATE TABLE auth_assertion (
      client_id   text        NOT NULL,
      jti         text        NOT NULL,
      expires_at  timestamptz NOT NULL,
      PRIMARY KEY (client_id, jti)
    );

    -- The rules of every active patient-privacy or research Consent (src/consent/rules.ts), rewritten in
    -- the transaction that writes the Consent; searches read them inside their own statement.
    CREATE TABLE consent_rule (
      patient_id    text        NOT NULL,
      consent_id    text        NOT NULL,
      effect        text        NOT NULL CHECK (effect IN ('deny', 'open')),
      actors        text[],
      except_actors text[],
      categories    text[],
      resources     text[],
      purposes      text[],
      period_start  timestamptz,
      period_end    timestamptz
    );
    CREATE INDEX consent_rule_patient_idx ON consent_rule (patient_id, effect);
    CREATE INDEX consent_rule_consent_idx ON consent_rule (consent_id);

    -- Break-the-glass grants: a professional, a patient, a stated reason, a time limit.
    CREATE TABLE break_glass (
      id          text        PRIMARY KEY,
      actor       text        NOT NULL,
      patient_id  text        NOT NULL,
      reason      text        NOT NULL,
      granted_at  timestamptz NOT NULL,
      expires_at  timestamptz NOT NULL
    );
    CREATE INDEX break_glass_actor_idx ON break_glass (actor, patient_id, expires_at);

    -- The audit trail: one AuditEvent per access or change. Rows are appended, then sealed into the hash
    -- chain (chain_seq, prev_hash, hash) by the audit writer; a sealed row never changes.
    CREATE TABLE audit_event (
      id          bigserial   PRIMARY KEY,
      -- The AuditEvent id (a random UUID; not indexed: records are found by patient or by position).
      uid         text        NOT NULL,
      recorded    timestamptz NOT NULL,
      action      text        NOT NULL,
      agent       text        NOT NULL,
      patients    text[]      NOT NULL,
      outcome     text        NOT NULL,
      break_glass boolean     NOT NULL,
      content     text        NOT NULL,
      chain_seq   bigint      UNIQUE,
      prev_hash   text,
      hash        text
    );
    CREATE INDEX audit_event_patients_idx ON audit_event USING gin (patients);
    CREATE INDEX audit_event_unsealed_idx ON audit_event (id) WHERE chain_seq IS NULL;
    -- Append-only: a sealed row is never updated, no row is ever deleted (the hash chain shows it if
    -- someone with the rights to drop these rules does it anyway).
    CREATE RULE audit_event_no_delete AS ON DELETE TO audit_event DO INSTEAD NOTHING;
    CREATE RULE audit_event_sealed AS ON UPDATE TO audit_event WHERE OLD.chain_seq IS NOT NULL DO INSTEAD NOTHING
  `,
};
