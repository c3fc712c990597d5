import type { Migration } from './migration.js';

/**
 * The timeline's facts (documents/record-store.ts `loadTimelineFacts`, issue #16): for each of the person's
 * resources the first clinical date among its type's date parameters, its status and categories. The
 * `(rid, param)` indexes of migration 2 find those rows, but each answer then reads the table's page for the
 * value; these indexes cover the value too, so the clinical date (and the status and category codes) can
 * come from the index alone (index-only scans once the table's pages are all-visible).
 */
export const timelineIndex: Migration = {
  version: 19,
  name: 'documents: covering indexes of the clinical date and status for $timeline',
  sql: `
    CREATE INDEX search_date_rid_lo_idx ON search_date (rid, param, lo);
    CREATE INDEX search_token_rid_code_idx ON search_token (rid, param, code)
  `,
};
