import type { Migration } from './migration.js';

/**
 * $find's index of stored Slots (issue #18, docs/scheduling.md): one row per current Slot with its
 * schedule, time and status, kept by the scheduling write hook in the transaction of every Slot write, so
 * "the free slots of these schedules from this instant, earliest first" is one B-tree range scan with a
 * LIMIT instead of a scan of every Slot's JSON.
 */
export const scheduleSlots: Migration = {
  version: 17,
  name: 'scheduling: index of stored slots by schedule and start ($find)',
  sql: `
    CREATE TABLE schedule_slot (
      slot_id  text PRIMARY KEY,
      -- The Schedule's id (local reference Schedule/<id>).
      schedule text        NOT NULL,
      starts   timestamptz NOT NULL,
      ends     timestamptz NOT NULL,
      status   text        NOT NULL
    );
    CREATE INDEX schedule_slot_free ON schedule_slot (schedule, starts) WHERE status = 'free';

    -- Slots stored before this migration.
    INSERT INTO schedule_slot (slot_id, schedule, starts, ends, status)
    SELECT r.id, substring(c->'schedule'->>'reference' from '(?:^|/)Schedule/([A-Za-z0-9.-]{1,64})(?:/_history/[^/]+)?$'), (c->>'start')::timestamptz, (c->>'end')::timestamptz, c->>'status'
    FROM (SELECT id, content::jsonb AS c FROM resource WHERE resource_type = 'Slot' AND NOT deleted) r
    WHERE substring(c->'schedule'->>'reference' from '(?:^|/)Schedule/([A-Za-z0-9.-]{1,64})(?:/_history/[^/]+)?$') IS NOT NULL
      AND c->>'start' ~ '^\\d{4}-\\d\\d-\\d\\dT' AND c->>'end' ~ '^\\d{4}-\\d\\d-\\d\\dT' AND c->>'status' IS NOT NULL;
  `,
};
