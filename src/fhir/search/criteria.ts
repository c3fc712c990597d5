import type { Queryable } from '../../storage/database.js';
import { errors } from '../outcomes.js';
import { executeSearch, type SearchRow } from './execute.js';
import { parseSearch } from './parse/request.js';
import type { Visibility } from '../../storage/sql/visibility.js';
import type { SearchPlan } from './model.js';

/**
 * The resources matching the criteria of a conditional create, update or delete, or of a conditional
 * reference (`Patient?identifier=…`): the full search engine, strictly parsed, at most `limit` rows.
 */
export async function findByCriteria(
  db: Queryable, resourceType: string, criteria: string,
  options: { baseUrl: string; now: Date; limit?: number; visibility?: Visibility; check?: (plan: SearchPlan) => void },
): Promise<readonly SearchRow[]> {
  const params = [...new URLSearchParams(criteria).entries()];
  const plan = parseSearch(resourceType, params, { baseUrl: options.baseUrl });
  if (plan.conditions.length === 0) throw errors.invalid(`Conditional criteria for ${resourceType} must contain at least one search parameter`);
  // Access control's refusals of what may not be searched by (Consent.data), as a search would refuse it.
  options.check?.(plan);
  const outcome = await executeSearch(db, { ...plan, count: options.limit ?? 2, total: 'none', include: [], revinclude: [], cursor: undefined }, { now: options.now, ...(options.visibility ? { visibility: options.visibility } : {}) });
  return outcome.matches;
}
