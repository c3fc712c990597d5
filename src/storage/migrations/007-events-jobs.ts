import type { Migration } from './migration.js';

/**
 * Change events and durable jobs (issue #12, docs/events-and-jobs.md): the transactional outbox every
 * committed change appends to, the durable cursors of its consumers, and the job queue.
 */
export const eventsJobs: Migration = {
  version: 7,
  name: 'events and jobs: change-event outbox, consumer cursors, job queue',
  sql: `
    -- One row per committed change, appended in the writing transaction. xid is that transaction's id: a
    -- consumer's position is a snapshot (pg_snapshot), and it reads the events of the transactions that
    -- became visible since, so an event that commits late (a long transaction) is read when it commits,
    -- never skipped, and holds nothing else back.
    CREATE TABLE change_event (
      seq                 bigserial   NOT NULL,
      xid                 xid8        NOT NULL DEFAULT pg_current_xact_id(),
      -- create, update, delete (resource versions); mpi-link, mpi-merge, mpi-unmerge (the MPI's own rows)
      kind                text        NOT NULL,
      resource_type       text        NOT NULL,
      resource_id         text        NOT NULL,
      version_id          integer,
      -- The Patient compartment of the version (of the deleted version for a delete).
      patient_id          text,
      -- The compartment of the version before, when there was one: a move or a delete needs both.
      previous_patient_id text,
      sensitivity         text[],
      author_org          text,
      at                  timestamptz NOT NULL,
      -- JSON for kinds that are not resource versions (the MPI's persons and merges).
      detail              text,
      PRIMARY KEY (xid, seq)
    );

    -- A named consumer's durable position: it has handled every event of the transactions visible in
    -- base_snapshot; while it works through what became visible up to target_snapshot, also those with
    -- seq <= after_seq. A process handles a consumer only while it holds this row's lock (SKIP LOCKED).
    CREATE TABLE event_consumer (
      name            text        PRIMARY KEY,
      base_snapshot   text        NOT NULL,
      target_snapshot text,
      after_seq       bigint      NOT NULL DEFAULT 0,
      handled         bigint      NOT NULL DEFAULT 0,
      failures        integer     NOT NULL DEFAULT 0,
      last_error      text,
      last_handled_at timestamptz,
      created_at      timestamptz NOT NULL
    );

    CREATE TABLE job (
      id               bigserial   PRIMARY KEY,
      kind             text        NOT NULL,
      -- Idempotency key: one job per (kind, key) while the row is kept.
      key              text,
      payload          text        NOT NULL,
      -- pending, running, done, dead, cancelled
      state            text        NOT NULL,
      run_at           timestamptz NOT NULL,
      attempts         integer     NOT NULL DEFAULT 0,
      max_attempts     integer     NOT NULL,
      lease_owner      text,
      lease_until      timestamptz,
      cancel_requested boolean     NOT NULL DEFAULT false,
      progress         text,
      result           text,
      last_error       text,
      -- A periodic job's schedule (JSON): it runs again at the next slot instead of finishing.
      schedule         text,
      created_at       timestamptz NOT NULL,
      started_at       timestamptz,
      finished_at      timestamptz
    );
    CREATE UNIQUE INDEX job_key_idx ON job (kind, key) WHERE key IS NOT NULL;
    CREATE INDEX job_due_idx ON job (run_at, id) WHERE state = 'pending';
    CREATE INDEX job_lease_idx ON job (lease_until) WHERE state = 'running';
    CREATE INDEX job_state_idx ON job (state, id);

    -- The MPI's link rows are not resources: triggers give their changes events of their own, in the
    -- same transaction, on every path that changes them.
    CREATE FUNCTION carnet_mpi_link_event() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO change_event (kind, resource_type, resource_id, patient_id, previous_patient_id, at, detail)
        VALUES ('mpi-link', 'Patient', OLD.patient_id, OLD.patient_id, OLD.patient_id, statement_timestamp(),
                json_build_object('person', NULL, 'previousPerson', OLD.person_id)::text);
      ELSIF TG_OP = 'INSERT' OR NEW.person_id IS DISTINCT FROM OLD.person_id OR NEW.matchable IS DISTINCT FROM OLD.matchable
            OR NEW.assurance IS DISTINCT FROM OLD.assurance THEN
        INSERT INTO change_event (kind, resource_type, resource_id, patient_id, previous_patient_id, at, detail)
        VALUES ('mpi-link', 'Patient', NEW.patient_id, NEW.patient_id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.patient_id END, NEW.updated_at,
                json_build_object('person', NEW.person_id, 'previousPerson', CASE WHEN TG_OP = 'UPDATE' THEN OLD.person_id END,
                                  'assurance', NEW.assurance, 'matchable', NEW.matchable)::text);
      END IF;
      RETURN NULL;
    END
    $$;
    CREATE TRIGGER mpi_record_change_event AFTER INSERT OR UPDATE OR DELETE ON mpi_record
      FOR EACH ROW EXECUTE FUNCTION carnet_mpi_link_event();

    CREATE FUNCTION carnet_mpi_merge_event() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
        INSERT INTO change_event (kind, resource_type, resource_id, patient_id, at, detail)
        VALUES (CASE WHEN NEW.state = 'unmerged' THEN 'mpi-unmerge' ELSE 'mpi-merge' END, 'Patient', NEW.source_id, NEW.source_id,
                COALESCE(NEW.undone_at, NEW.at), json_build_object('merge', NEW.id, 'source', NEW.source_id, 'target', NEW.target_id)::text);
      END IF;
      RETURN NULL;
    END
    $$;
    CREATE TRIGGER mpi_merge_change_event AFTER INSERT OR UPDATE ON mpi_merge
      FOR EACH ROW EXECUTE FUNCTION carnet_mpi_merge_event();
  `,
};
