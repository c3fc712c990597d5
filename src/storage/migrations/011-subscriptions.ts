import type { Migration } from './migration.js';

/**
 * Subscriptions (issue #17, docs/subscriptions.md): what Carnet derives from each Subscription resource to
 * match change events quickly and deliver in order, and the numbered notifications of each subscription.
 */
export const subscriptions: Migration = {
  version: 11,
  name: 'subscriptions: the criteria index, delivery state and numbered notifications',
  sql: `
    -- One row per stored Subscription, written in the transaction of its resource's version.
    CREATE TABLE subscription (
      id                 text        PRIMARY KEY,
      -- The criteria's resource type: the index the matcher looks candidates up by.
      resource_type      text        NOT NULL,
      -- The criteria's query string (after the "?"); for a topic-based subscription, the topic's and the filters'.
      criteria           text        NOT NULL,
      -- The topic's canonical URL (Subscriptions R5 Backport); NULL for a classic R4 criteria subscription.
      topic              text,
      -- The patients the criteria pin (Patient/id values of patient/subject), NULL when it names none:
      -- the second key of the index, so a change is matched only against the subscriptions of its patient.
      patient_keys       text[],
      -- requested, active, error, off (Carnet's view; the resource's status follows it).
      status             text        NOT NULL,
      -- Who the subscription runs as (JSON: the owner's principal when it was last written by a client).
      owner              text,
      -- JSON: endpoint, headers, payload.
      channel            text        NOT NULL,
      -- Notifications numbered so far (eventsSinceSubscriptionStart) and the highest delivered.
      events_since_start bigint      NOT NULL DEFAULT 0,
      delivered_through  bigint      NOT NULL DEFAULT 0,
      -- A delivery job is pending or running for this subscription (one at a time: in order).
      in_flight          boolean     NOT NULL DEFAULT false,
      -- Bumped when delivery is restarted (a client reactivates it), so the new job gets a new key.
      round              integer     NOT NULL DEFAULT 0,
      -- Consecutive failed delivery attempts, and the last reason.
      failures           integer     NOT NULL DEFAULT 0,
      last_error         text,
      -- Bumped on each status change, so the job that mirrors it into the resource has its own key.
      status_version     integer     NOT NULL DEFAULT 0,
      ends_at            timestamptz,
      -- Heartbeats (backport heartbeatPeriod, seconds) and when the endpoint was last sent anything.
      heartbeat_seconds  integer,
      last_sent_at       timestamptz,
      updated_at         timestamptz NOT NULL
    );
    CREATE INDEX subscription_type_idx ON subscription (resource_type) WHERE status IN ('active', 'error') AND patient_keys IS NULL;
    CREATE INDEX subscription_patient_idx ON subscription USING gin (patient_keys) WHERE status IN ('active', 'error');

    -- Each match of a subscription, numbered from 1 in event order; delivered in that order.
    CREATE TABLE subscription_notification (
      subscription_id text        NOT NULL REFERENCES subscription (id) ON DELETE CASCADE,
      number          bigint      NOT NULL,
      event_seq       bigint      NOT NULL,
      kind            text        NOT NULL,
      resource_type   text        NOT NULL,
      resource_id     text        NOT NULL,
      version_id      integer     NOT NULL,
      patient_id      text,
      at              timestamptz NOT NULL,
      delivered_at    timestamptz,
      PRIMARY KEY (subscription_id, number)
    );
  `,
};
