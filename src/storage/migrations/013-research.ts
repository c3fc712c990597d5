import type { Migration } from './migration.js';

/**
 * Bulk Data export (issue #21, docs/research.md): one row per export request and one per NDJSON file it
 * writes. The file rows are the export's checkpoint: after each page the file's byte length, line count
 * and the last row id read are committed, so an export whose process died resumes exactly where its last
 * committed page ended (the file is cut back to that length first).
 */
export const research: Migration = {
  version: 13,
  name: 'research: bulk data export requests and their files (checkpoints)',
  sql: `
    CREATE TABLE export_request (
      id               text        PRIMARY KEY,
      client_id        text        NOT NULL,
      -- The requester as the job needs it to decide visibility (client, role, organisation, scopes), JSON.
      principal        text        NOT NULL,
      level            text        NOT NULL CHECK (level IN ('system', 'patient', 'group')),
      group_id         text,
      -- The parsed kick-off parameters (types, since, until, type filters, elements, patients, profile), JSON.
      params           text        NOT NULL,
      request_url      text        NOT NULL,
      status           text        NOT NULL CHECK (status IN ('accepted', 'in-progress', 'completed', 'failed', 'cancelled')),
      transaction_time timestamptz NOT NULL,
      job_id           bigint,
      -- Types finished so far, in the order they are exported.
      types_done       text[]      NOT NULL DEFAULT '{}',
      exported         bigint      NOT NULL DEFAULT 0,
      -- A release report (de-identification), JSON, when the export applied a profile.
      report           text,
      error            text,
      created_at       timestamptz NOT NULL,
      completed_at     timestamptz,
      expires_at       timestamptz
    );
    CREATE INDEX export_request_client_idx ON export_request (client_id, status);
    CREATE INDEX export_request_expires_idx ON export_request (expires_at);

    CREATE TABLE export_file (
      export_id  text    NOT NULL REFERENCES export_request (id) ON DELETE CASCADE,
      kind       text    NOT NULL CHECK (kind IN ('output', 'error')),
      type       text    NOT NULL,
      part       integer NOT NULL,
      name       text    NOT NULL,
      count      bigint  NOT NULL DEFAULT 0,
      bytes      bigint  NOT NULL DEFAULT 0,
      -- Where the scan of this type stood when the file was last checkpointed: phase 0 reads live rows,
      -- phase 1 the rows deleted after the transaction time (their version as of then), by row id.
      phase      smallint NOT NULL DEFAULT 0,
      last_rid   bigint  NOT NULL DEFAULT 0,
      PRIMARY KEY (export_id, kind, type, part)
    );
  `,
};
