import type { Consent, ConsentProvision } from '@medplum/fhirtypes';

/**
 * The person's privacy choices as Consent resources (pure), in the shapes Carnet enforces (docs/security.md,
 * "Consent"): building a Consent from a choice, and reading an existing Consent back as a choice the page
 * explains in plain words. Anything else is shown as "another choice", never misdescribed.
 */
export const CATEGORIES = ['MH', 'SEX', 'SUD', 'HIV'] as const;
export type Category = (typeof CATEGORIES)[number];

export type Choice =
  | { kind: 'hide-category'; category: Category }
  | { kind: 'open-category'; category: Category }
  | { kind: 'exclude'; actor: string; name?: string }
  /** Hide the whole record from one named professional (a Practitioner): their own sign-in sees nothing. */
  | { kind: 'exclude-professional'; actor: string; name?: string }
  /** Open a sensitive category to one named professional only. */
  | { kind: 'open-category-to'; category: Category; actor: string; name?: string }
  | { kind: 'share-only'; actor: string; name?: string }
  | { kind: 'hide-resource'; resource: string }
  | { kind: 'deny-all' }
  | { kind: 'research-opt-out' };

export type Explained = Choice | { kind: 'other' };

const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const SCOPE = 'http://terminology.hl7.org/CodeSystem/consentscope';
const ROLE = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP', display: 'information recipient' }] };

function isCategory(code: string | undefined): code is Category {
  return code !== undefined && (CATEGORIES as readonly string[]).includes(code);
}

function provisionOf(choice: Choice): ConsentProvision {
  const actor = (ref: string, name?: string) => [{ role: ROLE, reference: { reference: ref, ...(name ? { display: name } : {}) } }];
  switch (choice.kind) {
    case 'hide-category': return { type: 'permit', provision: [{ type: 'deny', securityLabel: [{ system: ACT, code: choice.category }] }] };
    case 'open-category': return { type: 'permit', provision: [{ type: 'permit', securityLabel: [{ system: ACT, code: choice.category }] }] };
    case 'exclude':
    case 'exclude-professional': return { type: 'permit', provision: [{ type: 'deny', actor: actor(choice.actor, choice.name) }] };
    case 'open-category-to': return { type: 'permit', provision: [{ type: 'permit', securityLabel: [{ system: ACT, code: choice.category }], actor: actor(choice.actor, choice.name) }] };
    case 'share-only': return { type: 'deny', provision: [{ type: 'permit', actor: actor(choice.actor, choice.name) }] };
    case 'hide-resource': return { type: 'permit', provision: [{ type: 'deny', data: [{ meaning: 'instance', reference: { reference: choice.resource } }] }] };
    case 'deny-all':
    case 'research-opt-out': return { type: 'deny' };
  }
}

export function consentFor(choice: Choice, patient: string, now: Date): Consent {
  const provision = provisionOf(choice);
  const scope = choice.kind === 'research-opt-out' ? 'research' : 'patient-privacy';
  return {
    resourceType: 'Consent', status: 'active', patient: { reference: patient }, dateTime: now.toISOString(),
    scope: { coding: [{ system: SCOPE, code: scope }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    policyRule: { coding: [{ system: ACT, code: provision.type === 'deny' ? 'OPTOUT' : 'OPTIN' }] },
    provision,
  };
}

/** A stored Consent as the choice it expresses, when it is one of the shapes above. */
export function explain(consent: Consent): Explained {
  const scope = consent.scope?.coding?.find((c) => c.system === SCOPE)?.code;
  const root = consent.provision;
  const nested = root?.provision ?? [];
  if (scope === 'research') return root?.type === 'deny' && nested.length === 0 ? { kind: 'research-opt-out' } : { kind: 'other' };
  if (scope !== 'patient-privacy' || !root) return { kind: 'other' };
  if (root.type === 'deny' && nested.length === 0) return { kind: 'deny-all' };
  const [only] = nested;
  if (nested.length !== 1 || !only || only.period || only.purpose) return { kind: 'other' };
  const label = only.securityLabel?.length === 1 ? only.securityLabel[0]?.code : undefined;
  const actor = only.actor?.length === 1 ? only.actor[0]?.reference : undefined;
  const data = only.data?.length === 1 ? only.data[0]?.reference?.reference : undefined;
  const alone = (n: number) => [only.securityLabel?.length ?? 0, only.actor?.length ?? 0, only.data?.length ?? 0].filter((x) => x > 0).length === n;
  const named = (ref: { reference?: string; display?: string }) => ({ actor: ref.reference as string, ...(ref.display ? { name: ref.display } : {}) });
  if (alone(2) && root.type === 'permit' && only.type === 'permit' && isCategory(label) && actor?.reference?.startsWith('Practitioner/') && !data) {
    return { kind: 'open-category-to', category: label, ...named(actor) };
  }
  if (!alone(1)) return { kind: 'other' };
  if (root.type === 'permit' && only.type === 'deny' && actor?.reference?.startsWith('Practitioner/')) return { kind: 'exclude-professional', ...named(actor) };
  if (root.type === 'permit' && only.type === 'deny' && isCategory(label)) return { kind: 'hide-category', category: label };
  if (root.type === 'permit' && only.type === 'permit' && isCategory(label)) return { kind: 'open-category', category: label };
  if (root.type === 'permit' && only.type === 'deny' && actor?.reference) return { kind: 'exclude', actor: actor.reference, ...(actor.display ? { name: actor.display } : {}) };
  if (root.type === 'deny' && only.type === 'permit' && actor?.reference) return { kind: 'share-only', actor: actor.reference, ...(actor.display ? { name: actor.display } : {}) };
  if (root.type === 'permit' && only.type === 'deny' && data) return { kind: 'hide-resource', resource: data };
  return { kind: 'other' };
}
