import type { Migration } from './migration.js';

/**
 * SMART Health Links (issue #16, docs/documents.md#smart-health-links): a link to a person's IPS and/or health
 * cards. The manifest URL's secret is kept only as its SHA-256 (`token_hash`), the passcode only as an argon2id
 * hash, and the decryption key not at all: the files are stored as the JWE the recipient decrypts.
 */
export const healthLinks: Migration = {
  version: 22,
  name: 'documents: SMART Health Links and their encrypted files',
  sql: `
    CREATE TABLE health_link (
      id             text        PRIMARY KEY,
      token_hash     text        NOT NULL UNIQUE,
      -- The Patient named at creation and every source record of the person then (the access log's patients).
      patient_id     text        NOT NULL,
      patient_ids    text[]      NOT NULL,
      created_by     text        NOT NULL,
      created_by_name text,
      label          text,
      flag           text        NOT NULL,
      contents       text[]      NOT NULL,
      passcode_hash  text,
      attempts_left  integer     NOT NULL,
      expires_at     timestamptz NOT NULL,
      revoked_at     timestamptz,
      revoked_by     text,
      accesses       integer     NOT NULL DEFAULT 0,
      last_access_at timestamptz,
      created_at     timestamptz NOT NULL
    );
    CREATE INDEX health_link_patient_idx ON health_link (patient_id, created_at);
    CREATE TABLE health_link_file (
      link_id        text        NOT NULL REFERENCES health_link (id) ON DELETE CASCADE,
      position       integer     NOT NULL,
      content_type   text        NOT NULL,
      jwe            text        NOT NULL,
      created_at     timestamptz NOT NULL,
      PRIMARY KEY (link_id, position)
    )
  `,
};
