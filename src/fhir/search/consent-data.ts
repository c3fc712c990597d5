import type { Condition, SearchPlan } from './model.js';
import { containedKey, paramKey } from './registry.js';

/**
 * `Consent?data=<reference>` (pure check): a search on the resources a Consent names would answer, for
 * anyone who sees Consents masked (consent/masking.ts), the very question the masking hides — "is
 * Observation/x hidden from me?". Such requesters may not search by it, whether directly, chained, or in
 * `_has`; they are refused whatever the value, so the refusal says nothing about the data.
 */
const DATA_KEYS = new Set([paramKey('Consent.data'), containedKey(paramKey('Consent.data'))]);

function names(condition: Condition, type: string): boolean {
  switch (condition.kind) {
    case 'index': case 'missing': case 'terminology': case 'patient-links':
      return type === 'Consent' && DATA_KEYS.has(condition.key);
    case 'composite':
      return type === 'Consent' && condition.alternatives.some((a) => a.some((c) => DATA_KEYS.has(c.key)));
    case 'chain':
      return (type === 'Consent' && DATA_KEYS.has(condition.key)) || condition.targets.some((t) => t.inner.some((c) => names(c, t.type)));
    case 'has':
      return (condition.sourceType === 'Consent' && DATA_KEYS.has(condition.key)) || condition.inner.some((c) => names(c, condition.sourceType));
    case 'any':
      return condition.conditions.some((c) => names(c, type));
    default:
      return false;
  }
}

/** Whether the search tests what Consents name (`Consent.data`) at any depth. */
export function searchesConsentData(plan: SearchPlan): boolean {
  return plan.conditions.some((c) => names(c, plan.resourceType));
}
