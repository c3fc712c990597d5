import type { SearchPlan } from '../fhir/search/model.js';
import type { IndexRows } from '../storage/sql/index-rows.js';

/**
 * The criteria index's value keys (pure). A subscription that pins no patient — a laboratory's
 * `DiagnosticReport?performer=Organization/lab`, a clinic's `Appointment?actor=Practitioner/x`,
 * `Observation?code=2823-3` — would otherwise be a candidate for every change of its type.
 * Its keys are the values of one of its conditions that every match must carry in the search index: a
 * token parameter's codes (`t:<param>:<code>`) or a reference parameter's local targets
 * (`r:<param>:<Type/id>`). A change is a candidate only when its resource's index rows carry one of them
 * (resourceKeys; the matcher asks the same of the stored index rows in SQL, match-store.ts), and the real
 * search then decides.
 *
 * That is exact: such a condition is "some index row under this parameter has one of these codes (or
 * targets)" — the search compares the row's code (target) with the value as given (sql/predicates.ts) —
 * so a resource that matches has a row with one of the keys. Conditions that are negated, on a system
 * alone (`system|`), on identifiers, terminology (`:in`, `:below`), chains, `_has`, composites or
 * anything else give no keys; a subscription whose conditions all are such stays a candidate of its type.
 */

export function tokenKey(param: number, code: string): string {
  return `t:${param}:${code}`;
}

export function referenceKey(param: number, target: string): string {
  return `r:${param}:${target}`;
}

/** The keys of one condition of the plan, or undefined when it gives none. */
function conditionKeys(condition: SearchPlan['conditions'][number]): string[] | undefined {
  if (condition.kind !== 'index' || condition.negate || condition.tests.length === 0) return undefined;
  if (condition.table === 'search_token') {
    const codes: string[] = [];
    for (const test of condition.tests) {
      if (test.type === 'token' && test.value.code !== undefined) codes.push(test.value.code);
      else if (test.type === 'token-list' && test.values.length > 0 && test.values.every((v) => v.code !== undefined)) codes.push(...test.values.map((v) => v.code as string));
      else return undefined;
    }
    return codes.map((code) => tokenKey(condition.key, code));
  }
  if (condition.table === 'search_reference') {
    const targets: string[] = [];
    for (const test of condition.tests) {
      if (test.type !== 'reference' || test.targets.length === 0) return undefined;
      targets.push(...test.targets);
    }
    return targets.map((target) => referenceKey(condition.key, target));
  }
  return undefined;
}

/**
 * The keys a subscription is indexed by: those of its condition with the fewest keys (any one is exact;
 * fewer keys, fewer candidates), sorted, or undefined when no condition gives keys.
 */
export function criteriaKeys(plan: Pick<SearchPlan, 'conditions'>): string[] | undefined {
  let best: string[] | undefined;
  for (const condition of plan.conditions) {
    const keys = conditionKeys(condition);
    if (keys && (!best || new Set(keys).size < best.length)) best = [...new Set(keys)].sort();
  }
  return best;
}

/** The keys a resource carries, from its search index rows (what match-store.ts reads in SQL for a batch). */
export function resourceKeys(rows: Pick<IndexRows, 'tokens' | 'references'>): Set<string> {
  const keys = new Set<string>();
  for (const t of rows.tokens) if (t.code !== null) keys.add(tokenKey(t.param, t.code));
  for (const r of rows.references) if (r.target !== null) keys.add(referenceKey(r.param, r.target));
  return keys;
}

/** Whether a subscription indexed by `keys` (undefined: by its type alone) is a candidate for a resource carrying `carried`. */
export function isCandidate(keys: readonly string[] | undefined, carried: ReadonlySet<string>): boolean {
  return keys === undefined || keys.some((k) => carried.has(k));
}
