import type { Migration } from './migration.js';

export const mpi: Migration = {
  version: 4,
  name: 'master patient index: match index, blocking keys, review queue, decision log, merges',
  sql: `
    -- Enterprise person identifiers: never reused, even when a Person is emptied by a merge or unlink.
    CREATE SEQUENCE mpi_enterprise_seq;

    -- One row per Person the MPI manages (the Person resource itself is in the resource store).
    CREATE TABLE mpi_person (
      person_id     text        PRIMARY KEY,
      enterprise_id text        NOT NULL UNIQUE,
      active        boolean     NOT NULL,
      created_at    timestamptz NOT NULL
    );

    -- The match index: one row per source Patient, its normalised demographics (JSON) and its Person.
    CREATE TABLE mpi_record (
      patient_id  text             PRIMARY KEY,
      person_id   text             NOT NULL REFERENCES mpi_person (person_id),
      -- 'auto' (linked by the matcher) or 'manual' (linked or confirmed by a person)
      assurance   text             NOT NULL,
      -- false once the Patient is merged into another one: it stays linked but is never a candidate
      matchable   boolean          NOT NULL,
      source      text,
      features    text             NOT NULL,
      weight      double precision,
      updated_at  timestamptz      NOT NULL
    );
    CREATE INDEX mpi_record_person_idx ON mpi_record (person_id);

    -- Blocking keys: candidate retrieval is an index lookup per key.
    CREATE TABLE mpi_block (
      key        text NOT NULL,
      patient_id text NOT NULL,
      PRIMARY KEY (key, patient_id)
    );
    CREATE INDEX mpi_block_patient_idx ON mpi_block (patient_id);

    -- The review queue: possible matches between thresholds (or held back by a guard), with their comparison.
    CREATE TABLE mpi_candidate (
      id                   bigserial        PRIMARY KEY,
      patient_id           text             NOT NULL,
      person_id            text             NOT NULL,
      candidate_patient_id text             NOT NULL,
      weight               double precision NOT NULL,
      guard                text,
      comparison           text             NOT NULL,
      status               text             NOT NULL,
      created_at           timestamptz      NOT NULL,
      decided_at           timestamptz,
      decided_by           text,
      reason               text
    );
    CREATE UNIQUE INDEX mpi_candidate_open_idx ON mpi_candidate (patient_id, person_id) WHERE status = 'open';
    CREATE INDEX mpi_candidate_status_idx ON mpi_candidate (status, id);

    -- Pairs of records a person declared to be different people: never linked automatically again.
    CREATE TABLE mpi_distinct (
      patient_a text NOT NULL,
      patient_b text NOT NULL,
      PRIMARY KEY (patient_a, patient_b)
    );

    -- Every link decision, automatic or human: who, when, why, what, before and after (AuditEvent source).
    CREATE TABLE mpi_decision (
      seq        bigserial   PRIMARY KEY,
      at         timestamptz NOT NULL,
      actor      text        NOT NULL,
      action     text        NOT NULL,
      reason     text,
      patient_id text,
      person_id  text,
      detail     text        NOT NULL
    );
    CREATE INDEX mpi_decision_patient_idx ON mpi_decision (patient_id, seq);
    CREATE INDEX mpi_decision_person_idx ON mpi_decision (person_id, seq);

    -- Merges (HL7 A40 semantics) with what is needed to undo them.
    CREATE TABLE mpi_merge (
      id          bigserial   PRIMARY KEY,
      source_id   text        NOT NULL,
      target_id   text        NOT NULL,
      state       text        NOT NULL,
      at          timestamptz NOT NULL,
      actor       text        NOT NULL,
      reason      text,
      detail      text        NOT NULL,
      undone_at   timestamptz,
      undone_by   text
    );
    CREATE INDEX mpi_merge_source_idx ON mpi_merge (source_id, id);
    CREATE INDEX mpi_merge_target_idx ON mpi_merge (target_id, id);
  `,
};
