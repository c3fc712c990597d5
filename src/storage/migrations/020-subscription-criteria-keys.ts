import type { Migration } from './migration.js';

/**
 * The subscriptions' criteria index by value (issue #17, docs/subscriptions.md, src/subscriptions/criteria-index.ts):
 * a subscription that pins no patient is looked up by the codes or reference targets one of its conditions
 * requires, so a change is matched only against the subscriptions whose values its resource carries.
 * Subscriptions stored before this have no keys and stay candidates of their type until written again.
 */
export const subscriptionCriteriaKeys: Migration = {
  version: 20,
  name: 'subscriptions: criteria index by token and reference values',
  sql: `
    -- t:<param>:<code> and r:<param>:<Type/id> keys (criteria-index.ts); NULL: a candidate of its type alone.
    ALTER TABLE subscription ADD COLUMN criteria_keys text[];
    CREATE INDEX subscription_criteria_idx ON subscription USING gin (criteria_keys) WHERE status IN ('active', 'error') AND patient_keys IS NULL;
  `,
};
