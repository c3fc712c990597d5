import type { Category } from '../consent/categories.js';
import { consentDecision } from '../consent/decide.js';
import { PURPOSE, type ConsentRule } from '../consent/rules.js';
import { identitiesOf, type Principal } from './principal.js';
import { contextPatients, narrowedFor, ownRecord } from './person-scope.js';
import { keptWhenNarrowed } from './minors.js';
import { isDirectoryType, mayBreakGlass, roleAllows, roleClass } from './roles.js';
import { reachOf, type Permission } from './scopes.js';

/**
 * The policy engine: the single place where access is decided (pure).
 *   decision = f(subject, action, resource, consents, purpose of use) → permit or deny, with the reason.
 * Search applies the same rules as SQL (consent/visibility-sql.ts), proven equal by the property tests.
 */
export type Action = 'read' | 'search' | 'create' | 'update' | 'delete';

export const PERMISSION_OF: Record<Action, Permission> = { read: 'r', search: 's', create: 'c', update: 'u', delete: 'd' };

/** What the policy needs to know about one stored (or about to be stored) resource. */
export interface ResourceFacts {
  readonly type: string;
  readonly id: string;
  readonly patientId: string | null;
  readonly authorOrg: string | null;
  readonly sensitivity: readonly Category[];
  /** A Consent whose scope Carnet enforces (patient-privacy, research): only the patient's side may write it. */
  readonly privacyConsent?: boolean;
}

/** The patient-side facts of a decision: the patient's consent rules and an active break-the-glass grant. */
export interface ConsentFacts {
  readonly rules: readonly ConsentRule[];
  readonly breakGlass: boolean;
}

/** The error categories (fhir/outcomes.ts `ErrorCategory`) a policy denial can carry. */
export type Denial = 'forbidden' | 'not-found';

export interface Decision {
  readonly permit: boolean;
  readonly reason: string;
  /**
   * The error category a denial answers with (fhir/outcomes.ts maps it to a status): `forbidden` when the
   * requester may know the resource exists, `not-found` when not. Undefined when permitted.
   */
  readonly denial: Denial | undefined;
  /** v3 ActReason purpose of use the access is made under. */
  readonly purpose: string;
  readonly breakGlass?: boolean;
  readonly consentId?: string;
}

export const NO_CONSENT: ConsentFacts = { rules: [], breakGlass: false };

export function purposeOf(principal: Principal): string {
  switch (roleClass(principal.role)) {
    case 'own-record': return 'PATRQT';
    case 'professional': return PURPOSE.treatment;
    case 'system': return principal.platform ? PURPOSE.operations : PURPOSE.treatment;
    default: return principal.role === 'researcher' ? PURPOSE.research : PURPOSE.operations;
  }
}

const permit = (reason: string, purpose: string, extra: Partial<Decision> = {}): Decision => ({ permit: true, reason, denial: undefined, purpose, ...extra });
const deny = (denial: Denial, reason: string, purpose: string, extra: Partial<Decision> = {}): Decision => ({ permit: false, reason, denial, purpose, ...extra });

/** Whether a patient or proxy reaches this record for someone else (the audit says `proxy for`). */
export function asProxy(principal: Principal, patientId: string): boolean {
  return principal.role === 'proxy' || (principal.role === 'patient' && Boolean(principal.fhirUser?.startsWith('Patient/')) && !ownRecord(principal, patientId));
}

/** The type-level decision (scopes and role), before any resource is looked at. */
export function decideType(principal: Principal, action: Action, type: string): Decision {
  const purpose = purposeOf(principal);
  const letter = PERMISSION_OF[action];
  if (!reachOf(principal.scopes, type, letter)) return deny('forbidden', `no granted scope allows "${letter}" on ${type}`, purpose);
  const write = action === 'create' || action === 'update' || action === 'delete';
  if (!roleAllows(principal.role, type, write)) return deny('forbidden', `the ${principal.role} role may not ${write ? 'write' : 'read'} ${type}`, purpose);
  return permit(`scope and ${principal.role} role allow ${action} on ${type}`, purpose);
}

/** Whether a patient-less resource is visible: directory data to all, other data to its writer. */
function patientless(principal: Principal, resource: ResourceFacts, purpose: string): Decision {
  if (isDirectoryType(resource.type)) return permit('directory resource', purpose);
  if (principal.platform) return permit('platform client', purpose);
  if (resource.authorOrg !== null && identitiesOf(principal).includes(resource.authorOrg)) return permit('written by the requester\'s organisation', purpose);
  return deny('not-found', `${resource.type} outside any patient record is visible only to the organisation that wrote it`, purpose);
}

/** May the principal see this resource (read, vread, history, search result, include)? */
export function decideRead(principal: Principal, resource: ResourceFacts, consent: ConsentFacts, now: Date, action: 'read' | 'search' = 'read'): Decision {
  const typeDecision = decideType(principal, action, resource.type);
  if (!typeDecision.permit) return typeDecision;
  const purpose = typeDecision.purpose;
  if (reachOf(principal.scopes, resource.type, action === 'read' ? 'r' : 's') === 'patient') {
    const inContext = resource.patientId !== null && contextPatients(principal).includes(resource.patientId);
    if (!inContext && !(resource.patientId === null && isDirectoryType(resource.type))) {
      return deny('not-found', 'outside the token\'s patient context', purpose);
    }
  }
  if (resource.patientId === null) {
    return roleClass(principal.role) === 'own-record' || roleClass(principal.role) === 'no-patient-data'
      ? (isDirectoryType(resource.type) ? permit('directory resource', purpose) : deny('not-found', `${resource.type} outside any patient record`, purpose))
      : patientless(principal, resource, purpose);
  }
  switch (roleClass(principal.role)) {
    case 'own-record':
      if (!principal.patients.includes(resource.patientId)) return deny('not-found', 'not the requester\'s own record', purpose);
      if (narrowedFor(principal, resource.patientId) && !keptWhenNarrowed(resource.type)) {
        return deny('not-found', `from the control age the minor Patient/${resource.patientId} controls their record: a proxy keeps their Patient and Appointments only`, purpose);
      }
      return permit(asProxy(principal, resource.patientId) ? `proxy for Patient/${resource.patientId}` : 'the patient\'s own record', purpose);
    case 'no-patient-data':
      if (principal.role === 'privacy-officer' && resource.type === 'Consent') return permit('privacy officer: consents', purpose);
      return deny('forbidden', `the ${principal.role} role has no access to identified patient data`, purpose);
    case 'system':
      if (principal.platform) return permit('platform client (operations, audited)', purpose);
      break;
    case 'professional':
      break;
  }
  if (consent.breakGlass && mayBreakGlass(principal.role)) {
    return permit(`break-the-glass grant for Patient/${resource.patientId}`, PURPOSE.emergency, { breakGlass: true });
  }
  const outcome = consentDecision(
    consent.rules,
    { identities: identitiesOf(principal), purpose },
    { reference: `${resource.type}/${resource.id}`, authorOrg: resource.authorOrg, sensitivity: resource.sensitivity },
    now,
  );
  return outcome.permit
    ? permit(outcome.reason, purpose, outcome.consentId ? { consentId: outcome.consentId } : {})
    : deny('not-found', outcome.reason, purpose, outcome.consentId ? { consentId: outcome.consentId } : {});
}

/**
 * May the principal write this version (create, or the new content of an update)? For an update or a
 * delete the caller also checks `decideRead` on the current version: what one cannot see, one cannot change.
 */
export function decideWrite(principal: Principal, action: 'create' | 'update' | 'delete', resource: ResourceFacts): Decision {
  const typeDecision = decideType(principal, action, resource.type);
  if (!typeDecision.permit) return typeDecision;
  const purpose = typeDecision.purpose;
  const cls = roleClass(principal.role);
  if (reachOf(principal.scopes, resource.type, PERMISSION_OF[action]) === 'patient'
    && (resource.patientId === null || !contextPatients(principal).includes(resource.patientId))) {
    return deny('forbidden', 'patient scopes write only into the token\'s patient record', purpose);
  }
  if (cls === 'own-record') {
    if (resource.patientId === null || !principal.patients.includes(resource.patientId)) {
      return deny('forbidden', 'a patient or proxy writes only into their own record', purpose);
    }
    if (narrowedFor(principal, resource.patientId) && !keptWhenNarrowed(resource.type)) {
      return deny('forbidden', `from the control age the minor Patient/${resource.patientId} controls their record: a proxy may write their Appointments only`, purpose);
    }
    return permit(asProxy(principal, resource.patientId) ? `proxy for Patient/${resource.patientId}` : 'the patient\'s own record', purpose);
  }
  if (resource.privacyConsent && !principal.platform && principal.role !== 'privacy-officer') {
    return deny('forbidden', 'privacy and research consents are managed by the patient, a proxy or a privacy officer', purpose);
  }
  if (cls === 'no-patient-data' && resource.patientId !== null && principal.role !== 'privacy-officer') {
    return deny('forbidden', `the ${principal.role} role has no access to identified patient data`, purpose);
  }
  return permit(typeDecision.reason, purpose);
}

/**
 * Whether the requester may give a new resource its id (update-as-create, a conditional update's body id).
 * An id taken by a resource the requester may not see could not be created, and that refusal would tell
 * the id exists: so only requesters who see every resource of the type choose ids — platform clients, and
 * anyone for directory types (readable by every role). Everyone else creates with POST (the server assigns
 * the id), and their PUT to an id they cannot see answers "does not exist" whether it is free or hidden.
 */
export function mayChooseId(principal: Principal, type: string): boolean {
  return principal.platform || isDirectoryType(type);
}
