import type { ParsedScopes } from './scopes.js';
import type { Role } from './roles.js';

/**
 * Who is asking: what the HTTP adapter hands the FHIR router after verifying an access token. Everything
 * the policy engine needs about the subject is here, so a request costs no database lookup to identify.
 */
export interface Principal {
  readonly kind: 'user' | 'client';
  /** The user id, or the client id for a system. */
  readonly subject: string;
  readonly clientId: string;
  readonly role: Role;
  readonly display: string;
  /** Practitioner/…, Patient/… or RelatedPerson/… (SMART fhirUser), relative. */
  readonly fhirUser?: string;
  /** Organization/… the professional or system acts for. */
  readonly organization?: string;
  readonly practitionerRole?: string;
  /** Patient ids whose record this subject may open as their own (a patient) or for someone (a proxy). */
  readonly patients: readonly string[];
  /**
   * Of `patients`, the minors past the control age a proxy acts for (access/minors.ts): only their Patient
   * and Appointments stay reachable. Widened to the whole person per request like `patients`.
   */
  readonly narrowed?: readonly string[];
  /** The token's patient context (SMART `patient`): patient/ scopes reach only this compartment. */
  readonly launchPatient?: string;
  /**
   * Set per request by the router (access/person-scope.ts): every source record of the launch patient's
   * person, which patient/ scopes then reach. Never in a token.
   */
  readonly launchPatients?: readonly string[];
  /** Set per request with `launchPatients`: for each record the principal covers, its person's records. */
  readonly persons?: ReadonlyMap<string, readonly string[]>;
  /** Set per request when `patients` was widened: the Patient ids the token named. */
  readonly claimedPatients?: readonly string[];
  readonly scopes: ParsedScopes;
  /** A platform client (the bootstrap client): full access for operations, consents do not filter it, all audited. */
  readonly platform: boolean;
  /** The research project of a project's backend client: it may only export, within the project. */
  readonly project?: string;
  readonly tokenId: string;
  readonly grantId?: string;
}

/** The references a consent rule may name to designate this subject (organisation, practitioner, role). */
export function identitiesOf(principal: Principal): string[] {
  return [principal.organization, principal.fhirUser, principal.practitionerRole].filter((v): v is string => Boolean(v));
}

/** A stable text key of the agent, as the audit trail indexes it: `user:<id>` or `client:<id>`. */
export function agentKey(principal: Principal): string {
  return `${principal.kind}:${principal.subject}`;
}
