import type { Migration } from './migration.js';

/**
 * IHE ITI-81 searches of the audit trail by `entity=`, `agent=`, `type=`, `subtype=`, `action`'s codings…
 * test what the AuditEvent contains (`content::jsonb @> …`, src/storage/audit-store.ts): without an index
 * they read the whole trail (`entity=` alone: 5.3 s over 100,000 records, docs/workspace.md). A GIN index
 * of the content as jsonb (`jsonb_path_ops`: containment only, the smallest GIN opclass) on exactly the
 * expression those conditions use lets the planner find the few records that contain the reference. The
 * text→jsonb cast is immutable, so the expression may be indexed; nothing else changes.
 */
export const auditEventContentIndex: Migration = {
  version: 26,
  name: 'audit: GIN index of AuditEvent content for ITI-81 entity=/agent= searches',
  sql: `
    CREATE INDEX audit_event_content_idx ON audit_event USING gin ((content::jsonb) jsonb_path_ops);
  `,
};
