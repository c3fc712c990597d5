/**
 * What each role sees in the workspace (pure). The menus follow what the API lets each role do — the
 * server refuses the rest whatever a screen shows (src/access/roles.ts, src/access/route-policies.ts):
 * professionals read patients' records under their consents; privacy officers read the audit trail;
 * administrators steward the master patient index and the HL7 v2 gateway.
 */
export type Section = 'patients' | 'inbox' | 'audit' | 'mpi' | 'hl7' | 'jobs';

export const CLINICIANS = ['physician', 'nurse', 'pharmacist'] as const;

export function sectionsOf(role: string | undefined): Section[] {
  // The notifications inbox keeps its state in Tasks, which a pharmacist's role does not write (yet).
  if (role === 'physician' || role === 'nurse') return ['patients', 'inbox'];
  if (role && (CLINICIANS as readonly string[]).includes(role)) return ['patients'];
  if (role === 'privacy-officer') return ['audit'];
  // Administrators may review the audit trail too (route policy auditReview): the screen shows what the API allows.
  if (role === 'admin') return ['mpi', 'hl7', 'jobs', 'audit'];
  return [];
}

/** The claims of Carnet's access token that the screens use (the server checks the token, not this). */
export interface TokenClaims {
  readonly role?: string;
  readonly name?: string;
  readonly sub?: string;
  readonly fhirUser?: string;
  readonly exp?: number;
}

/** Reads a JWT's payload (base64url JSON) without checking it: only to choose which menus to show. */
export function claimsOf(token: string | undefined): TokenClaims {
  const payload = token?.split('.')[1];
  if (!payload) return {};
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as TokenClaims;
  } catch {
    return {};
  }
}
