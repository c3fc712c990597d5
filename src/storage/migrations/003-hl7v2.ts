import type { Migration } from './migration.js';

export const hl7v2: Migration = {
  version: 3,
  name: 'HL7 v2 gateway: message log (idempotency by sender and control id) and dead letters',
  sql: `
    -- One row per HL7 v2 message a sender has given us (sender + MSH-10 identify it). An accepted row
    -- commits in the same transaction as the resources it produced: it is what makes a re-sent message
    -- change nothing and get the same ACK. A dead letter keeps the raw bytes so that it can be replayed.
    CREATE TABLE hl7v2_message (
      id            text        PRIMARY KEY,
      sender        text        NOT NULL,
      control_id    text        NOT NULL,
      message_type  text        NOT NULL,
      -- SHA-256 of everything after MSH: a re-sent message keeps it, a different message under a reused
      -- control id does not.
      body_hash     text        NOT NULL,
      status        text        NOT NULL CHECK (status IN ('accepted', 'dead-letter')),
      ack_code      text        NOT NULL,
      ack           text        NOT NULL,
      received_at   timestamptz NOT NULL,
      processed_at  timestamptz NOT NULL,
      attempts      integer     NOT NULL,
      -- JSON list of { code, location, reason } for a dead letter.
      errors        text,
      raw           bytea,
      -- The Binary that keeps the original message of an accepted row, and what the message produced.
      binary_id     text,
      resources     text[],
      replayed_at   timestamptz,
      UNIQUE (sender, control_id)
    );
    CREATE INDEX hl7v2_message_dead_letter_idx ON hl7v2_message (received_at, id) WHERE status = 'dead-letter';
  `,
};
