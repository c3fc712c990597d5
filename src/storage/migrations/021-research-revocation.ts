import type { Migration } from './migration.js';

/**
 * A privacy officer revokes an approved data-access project (issue #21, docs/research.md): who revoked it,
 * when and why. A row here makes the project `revoked` (its client is disabled and its exports cancelled
 * in the same transaction). A table of its own, so it needs nothing of migration 23 (applied after it on a
 * new database).
 */
export const researchRevocation: Migration = {
  version: 21,
  name: 'research: revocation of data-access projects',
  sql: `
    CREATE TABLE research_project_revocation (
      project_id text        PRIMARY KEY,
      revoked_by text        NOT NULL,
      revoked_at timestamptz NOT NULL,
      reason     text        NOT NULL
    );
  `,
};
