import type { Migration } from './migration.js';

/**
 * The audit trail answers IHE RESTful ATNA (issue #20): `GET AuditEvent/{id}` finds a record by its uid,
 * and AuditEvents other systems record (ITI-20) join the same trail. Those stored as ordinary resources
 * before this migration are copied into it (unsealed: the audit writer seals them into the hash chain at
 * its next append, in id order); the resource rows stay where they were, unread by the API from now on.
 * Break-the-glass reviews: a privacy officer marks each grant justified or not, with a comment, once.
 */
export const auditEvents: Migration = {
  version: 25,
  name: 'audit: AuditEvent by id, other systems\' AuditEvents in the trail, break-the-glass reviews',
  sql: `
    CREATE INDEX audit_event_uid_idx ON audit_event (uid);
    -- The accesses under a break-the-glass grant (its actor, its window), counted for the review.
    CREATE INDEX audit_event_break_glass_idx ON audit_event (agent, recorded) WHERE break_glass;
    INSERT INTO audit_event (uid, recorded, action, agent, patients, outcome, break_glass, content)
      SELECT r.id, COALESCE((r.content::jsonb->>'recorded')::timestamptz, r.last_updated), COALESCE(r.content::jsonb->>'action', 'E'),
             'stored:AuditEvent', ARRAY(SELECT DISTINCT substring(ref FROM '^Patient/([^/]+)$') FROM (
               SELECT e->'what'->>'reference' AS ref FROM jsonb_array_elements(COALESCE(r.content::jsonb->'entity', '[]'::jsonb)) e
               UNION ALL SELECT a->'who'->>'reference' FROM jsonb_array_elements(COALESCE(r.content::jsonb->'agent', '[]'::jsonb)) a) refs
               WHERE ref ~ '^Patient/[^/]+$'),
             COALESCE(r.content::jsonb->>'outcome', '0'), false, r.content
        FROM resource r WHERE r.resource_type = 'AuditEvent' AND NOT r.deleted AND r.content IS NOT NULL ORDER BY r.last_updated;

    CREATE TABLE break_glass_review (
      grant_id    text        PRIMARY KEY REFERENCES break_glass (id),
      justified   boolean     NOT NULL,
      comment     text        NOT NULL,
      reviewer    text        NOT NULL,
      reviewer_name text,
      reviewed_at timestamptz NOT NULL
    );
  `,
};
