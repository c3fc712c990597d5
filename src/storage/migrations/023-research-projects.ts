import type { Migration } from './migration.js';

/**
 * Approved data access (issue #21, docs/research.md): a researcher's request for a project — purpose,
 * cohort (a Group), resource types, de-identification profile, duration — and the privacy officer's
 * decision. An approved project gets a backend client of its own (`auth_client.project`), whose exports
 * are bounded by the project until it expires; every export names its project.
 */
export const researchProjects: Migration = {
  version: 23,
  name: 'research: data-access projects and their backend clients',
  sql: `
    CREATE TABLE research_project (
      id            text        PRIMARY KEY,
      title         text        NOT NULL,
      purpose       text        NOT NULL,
      -- Who asked: the audit agent key (user:<id>), and their display name as it was then.
      requester     text        NOT NULL,
      requester_name text       NOT NULL,
      group_id      text        NOT NULL,
      types         text[]      NOT NULL,
      profile       text        NOT NULL,
      duration_days integer     NOT NULL CHECK (duration_days > 0),
      -- The public keys of the backend client the project gets once approved (JWKS, JSON).
      jwks          text        NOT NULL,
      status        text        NOT NULL CHECK (status IN ('requested', 'approved', 'refused')),
      client_id     text        UNIQUE,
      decided_by    text,
      decided_at    timestamptz,
      reason        text,
      expires_at    timestamptz,
      created_at    timestamptz NOT NULL
    );
    CREATE INDEX research_project_requester_idx ON research_project (requester, created_at);
    ALTER TABLE auth_client ADD COLUMN project text;
    ALTER TABLE export_request ADD COLUMN project text;
    CREATE INDEX export_request_project_idx ON export_request (project) WHERE project IS NOT NULL;
  `,
};
