import type { Migration } from './migration.js';

/**
 * The search index: one table per parameter type, keyed by the resource's compact row id (`rid`) and a
 * 32-bit parameter key, so that an index row is small and a lookup is one B-tree descent. Replaces the
 * token-only index of migration 1; existing resources are re-indexed at startup (`search_index_state`).
 */
export const searchIndex: Migration = {
  version: 2,
  name: 'search index: every R4 search parameter type, keyed by resource row id',
  sql: `
    ALTER TABLE resource ADD COLUMN rid bigserial;
    CREATE UNIQUE INDEX resource_rid_idx ON resource (rid);
    -- Type scans in row order (the default search order and its keyset paging).
    CREATE INDEX resource_type_rid_idx ON resource (resource_type, rid) WHERE NOT deleted;

    DROP TABLE token_index;

    CREATE TABLE search_token (
      rid bigint NOT NULL, param integer NOT NULL, grp smallint,
      system text, code text
    );
    CREATE INDEX search_token_value_idx ON search_token (param, code, system);
    CREATE INDEX search_token_rid_idx ON search_token (rid, param);

    -- norm: lower case, no accents, no apostrophes, punctuation as spaces; exact: as written.
    CREATE TABLE search_string (
      rid bigint NOT NULL, param integer NOT NULL, grp smallint,
      norm text NOT NULL, exact text NOT NULL
    );
    CREATE INDEX search_string_value_idx ON search_string (param, norm COLLATE "C");
    CREATE INDEX search_string_rid_idx ON search_string (rid, param);

    -- [lo, hi): the instants a date, partial date, Period or Timing covers; open ends are infinite.
    CREATE TABLE search_date (
      rid bigint NOT NULL, param integer NOT NULL, grp smallint,
      lo timestamptz NOT NULL, hi timestamptz NOT NULL
    );
    CREATE INDEX search_date_value_idx ON search_date (param, lo, hi);
    CREATE INDEX search_date_rid_idx ON search_date (rid, param);

    CREATE TABLE search_number (
      rid bigint NOT NULL, param integer NOT NULL, grp smallint,
      lo numeric NOT NULL, hi numeric NOT NULL
    );
    CREATE INDEX search_number_value_idx ON search_number (param, lo);
    CREATE INDEX search_number_rid_idx ON search_number (rid, param);

    -- canon_*: the value in UCUM base units (dimension in canon_code), for unit-independent comparison.
    CREATE TABLE search_quantity (
      rid bigint NOT NULL, param integer NOT NULL, grp smallint,
      system text, code text, unit text,
      lo numeric NOT NULL, hi numeric NOT NULL,
      canon_code text, canon_lo double precision, canon_hi double precision
    );
    CREATE INDEX search_quantity_value_idx ON search_quantity (param, canon_code, canon_lo);
    CREATE INDEX search_quantity_rid_idx ON search_quantity (rid, param);

    -- target: Type/id for local references, the URL otherwise; ident_*: Reference.identifier.
    CREATE TABLE search_reference (
      rid bigint NOT NULL, param integer NOT NULL, grp smallint,
      target text, ident_system text, ident_value text
    );
    CREATE INDEX search_reference_target_idx ON search_reference (target, param);
    CREATE INDEX search_reference_identifier_idx ON search_reference (param, ident_value) WHERE ident_value IS NOT NULL;
    CREATE INDEX search_reference_rid_idx ON search_reference (rid, param);

    CREATE TABLE search_uri (
      rid bigint NOT NULL, param integer NOT NULL, grp smallint,
      uri text NOT NULL
    );
    CREATE INDEX search_uri_value_idx ON search_uri (param, uri);
    CREATE INDEX search_uri_rid_idx ON search_uri (rid, param);

    -- _text (narrative) and _content (all text of the resource), normalised like string search.
    CREATE TABLE search_text (
      rid bigint PRIMARY KEY,
      narrative tsvector NOT NULL,
      content tsvector NOT NULL
    );
    CREATE INDEX search_text_narrative_idx ON search_text USING gin (narrative);
    CREATE INDEX search_text_content_idx ON search_text USING gin (content);

    -- Which version of the extraction rules the index was built with; older means "re-index at startup".
    CREATE TABLE search_index_state (
      id integer PRIMARY KEY CHECK (id = 1),
      version integer NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO search_index_state (id, version) VALUES (1, 0);
  `,
};
