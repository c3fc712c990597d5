import type { Migration } from './migration.js';

export const resourceStore: Migration = {
  version: 1,
  name: 'resource store: current versions, immutable history, patient compartment',
  sql: `
    -- The current version of every resource: one primary-key lookup away.
    CREATE TABLE resource (
      resource_type text        NOT NULL,
      id            text        NOT NULL,
      version_id    integer     NOT NULL,
      last_updated  timestamptz NOT NULL,
      deleted       boolean     NOT NULL,
      -- The Patient compartment this resource belongs to (a Patient belongs to itself); NULL outside any.
      patient_id    text,
      -- The resource JSON exactly as served (meta included); NULL once deleted.
      content       text,
      PRIMARY KEY (resource_type, id)
    );
    CREATE INDEX resource_patient_idx ON resource (patient_id, resource_type) WHERE patient_id IS NOT NULL;
    CREATE INDEX resource_type_updated_idx ON resource (resource_type, last_updated);

    -- Every version ever written, immutable. seq orders all writes of the whole server (system history).
    CREATE TABLE resource_version (
      seq           bigserial   PRIMARY KEY,
      resource_type text        NOT NULL,
      id            text        NOT NULL,
      version_id    integer     NOT NULL,
      last_updated  timestamptz NOT NULL,
      deleted       boolean     NOT NULL,
      method        text        NOT NULL,
      patient_id    text,
      content       text,
      UNIQUE (resource_type, id, version_id)
    );
    CREATE INDEX resource_version_type_seq_idx ON resource_version (resource_type, seq);
    CREATE INDEX resource_version_updated_idx ON resource_version (last_updated);
    CREATE INDEX resource_version_patient_idx ON resource_version (patient_id) WHERE patient_id IS NOT NULL;

    -- Token search index (identifier, code, status, …), written in the same transaction as the resource.
    CREATE TABLE token_index (
      resource_type text NOT NULL,
      id            text NOT NULL,
      param         text NOT NULL,
      system        text,
      code          text
    );
    CREATE INDEX token_index_lookup_idx ON token_index (resource_type, param, code, system);
    CREATE INDEX token_index_resource_idx ON token_index (resource_type, id);
  `,
};
