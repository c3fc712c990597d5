import type { Migration } from './migration.js';

/**
 * Discarding an HL7 v2 dead letter (issue #20, the workspace's administrators): a dead letter nobody will
 * replay (a test message, a duplicate sent under another control id) is set aside with who and why, and
 * leaves the list; the row, its errors and its raw bytes stay (nothing is deleted). A message sent again
 * after a discard is processed again like any other.
 */
export const hl7v2Discard: Migration = {
  version: 15,
  name: 'hl7v2: discarded dead letters (who, when, why)',
  sql: `
    ALTER TABLE hl7v2_message DROP CONSTRAINT hl7v2_message_status_check;
    ALTER TABLE hl7v2_message ADD CONSTRAINT hl7v2_message_status_check CHECK (status IN ('accepted', 'dead-letter', 'discarded'));
    ALTER TABLE hl7v2_message ADD COLUMN discarded_at timestamptz, ADD COLUMN discarded_by text, ADD COLUMN discard_reason text;
  `,
};
