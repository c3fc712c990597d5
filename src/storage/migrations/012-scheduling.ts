import type { Migration } from './migration.js';

/**
 * Scheduling without double booking (issue #18, docs/scheduling.md): every Appointment that holds time
 * claims it here, in the transaction that writes it, and an exclusion constraint refuses two claims of
 * the same actor (a Schedule, a Practitioner) whose time ranges overlap — whichever path wrote them.
 */
export const scheduling: Migration = {
  version: 12,
  name: 'scheduling: schedule claims under an exclusion constraint (no double booking)',
  sql: `
    -- btree_gist gives GiST the equality on text that the exclusion constraint combines with range overlap.
    -- It is installed in public, not in the current schema: an extension is database-wide, and one in a
    -- schema that is later dropped (the test harness makes a schema per test file) would take every other
    -- schema's constraint with it. The constraint finds the default operator class whatever the search path.
    CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

    -- One row per (appointment, actor, time range) an active Appointment holds: Schedule/<id> over each of
    -- its slots, Practitioner/<id> over the appointment's time. Rewritten by the write hook on every write
    -- of the appointment; deleted with it, or when it is cancelled, marked no-show or fulfilled.
    CREATE TABLE schedule_claim (
      appointment_id text        NOT NULL,
      actor          text        NOT NULL,
      -- The Slot the claim comes from (Schedule claims); NULL for a practitioner's time.
      slot_id        text,
      during         tstzrange   NOT NULL,
      -- A hold ($hold: a pending appointment) stops counting at this instant. The constraint cannot read
      -- the clock, so expired holds are deleted by whoever claims the same actor next (claim time), in
      -- that transaction: an expired hold frees its time without any process running when it expires.
      hold_expires   timestamptz,
      -- A double booking made on purpose by clinic staff (an audited override): recorded, never refused.
      overbooked     boolean     NOT NULL DEFAULT false,
      CONSTRAINT schedule_claim_no_overlap EXCLUDE USING gist (actor WITH =, during WITH &&) WHERE (NOT overbooked)
    );
    CREATE INDEX schedule_claim_appointment ON schedule_claim (appointment_id);
    CREATE INDEX schedule_claim_slot ON schedule_claim (slot_id) WHERE slot_id IS NOT NULL;
  `,
};
