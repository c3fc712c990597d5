import type { Consent, ConsentProvision, Reference, Resource } from '@medplum/fhirtypes';
import { FhirError, issue } from '../fhir/outcomes.js';
import { parseLocalReference } from '../fhir/references.js';
import { ACT_CODE, categoryOfCode, type Category } from './categories.js';
import { CONSENT_SCOPE, V3_ACT_REASON } from '../fhir/code-systems.js';

/**
 * A patient's Consent resources, compiled into flat rules that the pure decision (decide.ts) and the SQL
 * visibility (visibility-sql.ts) both evaluate. A Consent whose scope is `patient-privacy` or `research` is
 * enforced, so Carnet refuses (422) one it could not enforce exactly rather than silently ignore a clause.
 *
 *   deny  — hides what it matches (actors, categories, resources, purposes, period: all that are set must
 *           match; each list matches any of its values); `exceptActors` are spared (a deny with nested
 *           permit provisions naming actors: "share only with …").
 *   open  — opens sensitive categories (a permit provision with security labels), to everyone or to actors.
 */
export interface ConsentRule {
  readonly consentId: string;
  readonly effect: 'deny' | 'open';
  readonly actors: readonly string[] | null;
  readonly exceptActors: readonly string[] | null;
  readonly categories: readonly Category[] | null;
  readonly resources: readonly string[] | null;
  readonly purposes: readonly string[] | null;
  readonly start: string | null;
  readonly end: string | null;
}

export { CONSENT_SCOPE };
/** Purpose of use codes (v3 ActReason) Carnet uses. */
export const PURPOSE = { treatment: 'TREAT', emergency: 'ETREAT', research: 'HRESCH', operations: 'HOPERAT' } as const;
const PURPOSE_SYSTEM = V3_ACT_REASON;

export type ConsentKind = 'privacy' | 'research';

/** Whether Carnet enforces this Consent (its scope is patient-privacy or research). */
export function consentKind(resource: Resource): ConsentKind | undefined {
  if (resource.resourceType !== 'Consent') return undefined;
  const codes = (resource as Consent).scope?.coding?.filter((c) => !c.system || c.system === CONSENT_SCOPE).map((c) => c.code) ?? [];
  if (codes.includes('patient-privacy')) return 'privacy';
  if (codes.includes('research')) return 'research';
  return undefined;
}

/** The patient id a Consent is about, if it names a local Patient. */
export function consentPatient(consent: Consent, baseUrl?: string): string | undefined {
  const ref = consent.patient?.reference ? parseLocalReference(consent.patient.reference, baseUrl) : undefined;
  return ref?.resourceType === 'Patient' ? ref.id : undefined;
}

function unenforceable(text: string, path: string): FhirError {
  return new FhirError('unprocessable', text, [issue('error', 'business-rule', `Carnet cannot enforce this Consent: ${text}`, [path])]);
}

/** A period bound as an instant (a date is read in UTC: its start, or for an end, the start of the next day). */
function instant(value: string | undefined, bound: 'start' | 'end'): string | null {
  if (!value) return null;
  const dateOnly = /^\d{4}(-\d{2}(-\d{2})?)?$/.test(value);
  const parsed = Date.parse(dateOnly ? `${value.padEnd(10, value.length === 4 ? '-01-01' : '-01').slice(0, 10)}T00:00:00Z` : value);
  if (Number.isNaN(parsed)) throw unenforceable(`the period ${bound} "${value}" is not a date`, `Consent.provision.period.${bound}`);
  const date = new Date(parsed);
  if (dateOnly && bound === 'end') {
    if (value.length === 4) date.setUTCFullYear(date.getUTCFullYear() + 1);
    else if (value.length === 7) date.setUTCMonth(date.getUTCMonth() + 1);
    else date.setUTCDate(date.getUTCDate() + 1);
  }
  return date.toISOString();
}

const ACTOR_TYPES = new Set(['Organization', 'Practitioner', 'PractitionerRole', 'RelatedPerson']);

function actorsOf(p: ConsentProvision, path: string, baseUrl?: string): string[] | null {
  if (!p.actor?.length) return null;
  return p.actor.map((a, i) => {
    const ref = a.reference?.reference ? parseLocalReference(a.reference.reference, baseUrl) : undefined;
    if (!ref || !ACTOR_TYPES.has(ref.resourceType)) {
      throw unenforceable('an actor must refer to an Organization, Practitioner, PractitionerRole or RelatedPerson of this server', `${path}.actor[${i}].reference`);
    }
    return `${ref.resourceType}/${ref.id}`;
  });
}

function categoriesOfProvision(p: ConsentProvision, path: string): Category[] | null {
  if (!p.securityLabel?.length) return null;
  return [...new Set(p.securityLabel.map((label, i) => {
    const category = label.system === ACT_CODE ? categoryOfCode(label.code) : undefined;
    if (!category) throw unenforceable('a security label must be one of the v3 ActCode categories MH, SEX, SUD or HIV', `${path}.securityLabel[${i}]`);
    return category;
  }))].sort();
}

function resourcesOf(p: ConsentProvision, path: string, baseUrl?: string): string[] | null {
  if (!p.data?.length) return null;
  return p.data.map((d, i) => {
    if (d.meaning !== 'instance') throw unenforceable('data.meaning must be "instance" (a single resource)', `${path}.data[${i}].meaning`);
    const ref = parseLocalReference((d.reference as Reference | undefined)?.reference ?? '', baseUrl);
    if (!ref) throw unenforceable('data.reference must refer to a resource of this server', `${path}.data[${i}].reference`);
    return `${ref.resourceType}/${ref.id}`;
  });
}

function purposesOf(p: ConsentProvision, path: string): string[] | null {
  if (!p.purpose?.length) return null;
  return p.purpose.map((c, i) => {
    if (c.system !== PURPOSE_SYSTEM || !c.code) throw unenforceable('a purpose must be a v3 ActReason code', `${path}.purpose[${i}]`);
    return c.code;
  });
}

const UNSUPPORTED: readonly (keyof ConsentProvision)[] = ['action', 'class', 'code', 'dataPeriod'];

function checkSupported(p: ConsentProvision, path: string): void {
  for (const key of UNSUPPORTED) {
    if (p[key] !== undefined) throw unenforceable(`provision.${key} is not supported (use actor, securityLabel, data, purpose and period)`, `${path}.${key}`);
  }
}

/**
 * The rules of a Consent: undefined when Carnet does not enforce its scope, [] when it is not active,
 * a FhirError (422) when it cannot be enforced exactly.
 */
export function consentRulesOf(resource: Resource, baseUrl?: string): ConsentRule[] | undefined {
  const kind = consentKind(resource);
  if (!kind) return undefined;
  const consent = resource as Consent;
  if (!consentPatient(consent, baseUrl)) throw unenforceable('Consent.patient must refer to a Patient of this server', 'Consent.patient');
  const root = consent.provision;
  if (!root?.type) throw unenforceable('Consent.provision.type (deny or permit) is required', 'Consent.provision');
  if (consent.status !== 'active') return [];
  const id = consent.id ?? '';
  const rules: ConsentRule[] = [];
  const period = (p: ConsentProvision) => ({ start: instant(p.period?.start, 'start'), end: instant(p.period?.end, 'end') });

  if (kind === 'research') {
    checkSupported(root, 'Consent.provision');
    if (root.provision?.length) throw unenforceable('a research consent has no nested provisions', 'Consent.provision.provision');
    if (root.type === 'deny') {
      rules.push({
        consentId: id, effect: 'deny', actors: actorsOf(root, 'Consent.provision', baseUrl), exceptActors: null,
        categories: categoriesOfProvision(root, 'Consent.provision'), resources: resourcesOf(root, 'Consent.provision', baseUrl),
        purposes: [PURPOSE.research], ...period(root),
      });
    }
    return rules;
  }

  const compile = (p: ConsentProvision, path: string, nested: boolean): void => {
    checkSupported(p, path);
    const categories = categoriesOfProvision(p, path);
    if (p.type === 'deny') {
      const exceptActors: string[] = [];
      for (const [i, child] of (p.provision ?? []).entries()) {
        const childPath = `${path}.provision[${i}]`;
        checkSupported(child, childPath);
        const onlyActor = child.type === 'permit' && child.actor?.length && !child.securityLabel && !child.data && !child.purpose && !child.period && !child.provision;
        if (!onlyActor) throw unenforceable('inside a deny provision, nested provisions may only permit actors', childPath);
        exceptActors.push(...(actorsOf(child, childPath, baseUrl) ?? []));
      }
      rules.push({
        consentId: id, effect: 'deny', actors: actorsOf(p, path, baseUrl), exceptActors: exceptActors.length ? exceptActors : null,
        categories, resources: resourcesOf(p, path, baseUrl), purposes: purposesOf(p, path), ...period(p),
      });
      return;
    }
    // permit
    if (p.data?.length || p.purpose?.length) throw unenforceable('a permit provision may name actors and security labels only', path);
    if (categories) {
      rules.push({ consentId: id, effect: 'open', actors: actorsOf(p, path, baseUrl), exceptActors: null, categories, resources: null, purposes: null, ...period(p) });
    } else if (p.actor?.length && nested) {
      // Permitting an actor that is not denied changes nothing: accepted, no rule.
      actorsOf(p, path, baseUrl);
    }
    for (const [i, child] of (p.provision ?? []).entries()) {
      if (nested) throw unenforceable('provisions nest at most one level deep', `${path}.provision[${i}]`);
      compile(child, `${path}.provision[${i}]`, true);
    }
  };
  compile(root, 'Consent.provision', false);
  return rules;
}
