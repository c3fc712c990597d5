import type { Principal } from '../access/principal.js';
import { claimedPatients } from '../access/person-scope.js';
import { isRole } from '../access/roles.js';
import { formatScopes, parseScopes } from '../access/scopes.js';

/**
 * Who a subscription runs as (pure): the principal of the client that last wrote it, kept with the
 * subscription, so that matching and payloads are decided with exactly that principal's access — its
 * role, its scopes, its organisation and the consents that name it.
 */
export type Owner = Omit<Principal, 'scopes' | 'tokenId' | 'grantId'> & {
  /** The granted scopes as text (parsed again when the subscription runs). */
  readonly scope: string;
  /** The SMART grant the token came from: revoking it stops the subscription (standing.ts). */
  readonly grantId?: string;
};

export function ownerOf(p: Principal): Owner {
  return {
    kind: p.kind, subject: p.subject, clientId: p.clientId, role: p.role, display: p.display,
    ...(p.fhirUser ? { fhirUser: p.fhirUser } : {}), ...(p.organization ? { organization: p.organization } : {}),
    // The token's own patients, not this request's person-wide set (a later unlink must narrow it).
    ...(p.practitionerRole ? { practitionerRole: p.practitionerRole } : {}), patients: [...claimedPatients(p)],
    ...(p.launchPatient ? { launchPatient: p.launchPatient } : {}), scope: formatScopes(p.scopes), platform: p.platform,
    ...(p.grantId ? { grantId: p.grantId } : {}),
  };
}

export function principalOfOwner(o: Owner): Principal {
  if (!isRole(o.role)) throw new Error(`subscription owner has an unknown role "${String(o.role)}"`);
  return {
    kind: o.kind, subject: o.subject, clientId: o.clientId, role: o.role, display: o.display,
    ...(o.fhirUser ? { fhirUser: o.fhirUser } : {}), ...(o.organization ? { organization: o.organization } : {}),
    ...(o.practitionerRole ? { practitionerRole: o.practitionerRole } : {}), patients: [...o.patients],
    ...(o.launchPatient ? { launchPatient: o.launchPatient } : {}), scopes: parseScopes(o.scope), platform: o.platform, tokenId: '',
  };
}
