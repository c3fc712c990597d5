import type { Category } from './categories.js';
import type { ConsentRule } from './rules.js';

/**
 * The consent decision for one professional or system request on one resource of a patient (pure).
 * visibility-sql.ts compiles exactly the same logic to SQL for searches; a property test keeps them equal.
 */
export interface ConsentRequester {
  /** References designating the requester: its organisation, practitioner, practitioner role. */
  readonly identities: readonly string[];
  /** Purpose of use (v3 ActReason): TREAT, HRESCH, … */
  readonly purpose: string;
}

export interface ConsentResource {
  /** `Type/id` */
  readonly reference: string;
  readonly authorOrg: string | null;
  readonly sensitivity: readonly Category[];
}

export interface ConsentDecision {
  readonly permit: boolean;
  readonly reason: string;
  readonly consentId?: string;
}

function inPeriod(rule: ConsentRule, now: Date): boolean {
  return (rule.start === null || Date.parse(rule.start) <= now.getTime()) && (rule.end === null || now.getTime() < Date.parse(rule.end));
}

const meets = (list: readonly string[] | null, values: readonly string[]) => list === null || list.some((v) => values.includes(v));

export function denyMatches(rule: ConsentRule, requester: ConsentRequester, resource: ConsentResource, now: Date): boolean {
  return rule.effect === 'deny'
    && inPeriod(rule, now)
    && meets(rule.actors, requester.identities)
    && (rule.exceptActors === null || !rule.exceptActors.some((a) => requester.identities.includes(a)))
    && meets(rule.categories, resource.sensitivity)
    && (rule.resources === null || rule.resources.includes(resource.reference))
    && (rule.purposes === null || rule.purposes.includes(requester.purpose));
}

export function opens(rule: ConsentRule, category: Category, requester: ConsentRequester, now: Date): boolean {
  return rule.effect === 'open' && inPeriod(rule, now) && (rule.categories ?? []).includes(category) && meets(rule.actors, requester.identities);
}

function describeDeny(rule: ConsentRule): string {
  const what = [
    rule.resources ? `resource ${rule.resources.join(', ')}` : undefined,
    rule.categories ? `category ${rule.categories.join(', ')}` : undefined,
    rule.actors ? `from ${rule.actors.join(', ')}` : undefined,
    rule.exceptActors ? `from everyone except ${rule.exceptActors.join(', ')}` : undefined,
    rule.purposes ? `for purpose ${rule.purposes.join(', ')}` : undefined,
  ].filter(Boolean);
  return `Consent/${rule.consentId} denies access${what.length ? ` (${what.join('; ')})` : ' (opt-out of sharing)'}`;
}

export function consentDecision(rules: readonly ConsentRule[], requester: ConsentRequester, resource: ConsentResource, now: Date): ConsentDecision {
  for (const rule of rules) {
    if (denyMatches(rule, requester, resource, now)) return { permit: false, reason: describeDeny(rule), consentId: rule.consentId };
  }
  if (resource.sensitivity.length > 0 && !(resource.authorOrg !== null && requester.identities.includes(resource.authorOrg))) {
    for (const category of resource.sensitivity) {
      if (!rules.some((rule) => opens(rule, category, requester, now))) {
        return { permit: false, reason: `sensitive category ${category}: visible only to the organisation that wrote it until the patient opens it` };
      }
    }
    return { permit: true, reason: `sensitive categories ${resource.sensitivity.join(', ')} opened by the patient's consent` };
  }
  return { permit: true, reason: rules.length ? 'no consent rule of the patient denies this access' : 'the patient has no consent restriction' };
}
