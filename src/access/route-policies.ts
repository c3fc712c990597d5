import type { Principal } from './principal.js';
import { reachOf } from './scopes.js';

/**
 * Access policies of HTTP routes outside the FHIR API (see src/http/auth-hook.ts): each returns why a
 * principal is refused, or undefined to let it in.
 */

/** HL7 v2 over HTTP writes resources of every type: a system client allowed to create and update any type. */
export function hl7Feed(principal: Principal): string | undefined {
  if (principal.kind !== 'client') return 'the HL7 v2 gateway is for source systems (a client-credentials token)';
  if (reachOf(principal.scopes, '*', 'c') !== 'all' || reachOf(principal.scopes, '*', 'u') !== 'all') {
    return 'the HL7 v2 gateway needs system/*.cu (it writes resources of every type)';
  }
  return undefined;
}

/**
 * The HL7 v2 dead letters and message log (list, inspect, replay): the source systems that feed the
 * gateway, and administrators, who unblock failed messages from the workspace.
 */
export function hl7Stewardship(principal: Principal): string | undefined {
  if (principal.kind === 'user') return principal.role === 'admin' ? undefined : 'only administrators handle HL7 v2 dead letters';
  return hl7Feed(principal);
}

/** Administration of users and clients: administrators and platform clients. */
export function administration(principal: Principal): string | undefined {
  return principal.role === 'admin' || principal.platform ? undefined : 'only administrators manage accounts and clients';
}

/** Audit trail verification: privacy officers, administrators and platform clients. */
export function auditReview(principal: Principal): string | undefined {
  return principal.role === 'privacy-officer' || principal.role === 'admin' || principal.platform ? undefined : 'only privacy officers and administrators review the audit trail';
}

/**
 * The audit trail as FHIR (IHE RESTful ATNA, `GET AuditEvent?…`, `GET AuditEvent/{id}`): privacy officers
 * (with a user scope reading AuditEvent, which `user/*.rs` is), platform clients, and system clients
 * registered for it by name (`system/AuditEvent.rs`: a wildcard `system/*.rs` reaches the clinical record,
 * not who looked at it). Administrators keep `/auth/admin/audit`; clinicians and patients are refused.
 */
export function auditTrailReader(permission: 'r' | 's'): (principal: Principal) => string | undefined {
  return (principal) => {
    if (principal.platform) return undefined;
    if (principal.kind === 'user' && principal.role === 'privacy-officer') {
      return reachOf(principal.scopes, 'AuditEvent', permission) === 'all' ? undefined : 'no granted user scope reads AuditEvent';
    }
    if (principal.kind === 'client' && principal.role === 'system') {
      const named = principal.scopes.resources.some((s) => s.context === 'system' && s.type === 'AuditEvent' && s.permissions.has(permission));
      return named ? undefined : 'a system reads the audit trail with system/AuditEvent.rs (named, not a wildcard)';
    }
    return 'only privacy officers and authorised systems read the audit trail';
  };
}

/** Reviewing break-the-glass accesses (justified or not): privacy officers and platform clients. */
export function breakGlassReview(principal: Principal): string | undefined {
  return principal.role === 'privacy-officer' || principal.platform ? undefined : 'only privacy officers review break-the-glass accesses';
}

/** Background jobs and change-event consumers (list, inspect, retry, cancel, lag): administrators, privacy officers, platform clients. */
export function backgroundOperations(principal: Principal): string | undefined {
  return principal.role === 'admin' || principal.role === 'privacy-officer' || principal.platform ? undefined : 'only administrators and privacy officers operate background jobs';
}

/**
 * Stewardship of the master patient index — links, merges, the review queue and its decision log:
 * administrators and platform clients. Matching itself ($match) is a search, decided like one.
 */
export function mpiStewardship(principal: Principal): string | undefined {
  return principal.role === 'admin' || principal.platform ? undefined : 'only administrators decide links and merges of patient records';
}

/**
 * Bulk Data export (kick-off, status, download): SMART Backend Services clients — a client-credentials
 * token with a system/ scope that reads. Which types it may export is bounded by those scopes.
 */
export function bulkExporter(principal: Principal): string | undefined {
  if (principal.kind !== 'client' || principal.role !== 'system') return 'bulk export is for SMART Backend Services clients (a client-credentials token)';
  if (!principal.scopes.resources.some((s) => s.context === 'system' && s.permissions.has('r'))) return 'bulk export needs a system/ scope that reads (system/*.read, system/Patient.r, …)';
  return undefined;
}

/** Data-access projects: researchers ask (and see their own), privacy officers decide (and see all). */
export function researchAccess(principal: Principal): string | undefined {
  if (principal.platform || (principal.kind === 'user' && ['researcher', 'privacy-officer'].includes(principal.role))) return undefined;
  return 'only researchers and privacy officers use data-access projects';
}

/** Approving or refusing a data-access project: privacy officers (and platform clients). */
export function privacyReview(principal: Principal): string | undefined {
  return principal.platform || (principal.kind === 'user' && principal.role === 'privacy-officer') ? undefined : 'only privacy officers decide data-access projects';
}

/** Data-quality reports (counts per source organisation, no patient data): administrators, privacy officers, platform clients. */
export function dataQualityReview(principal: Principal): string | undefined {
  return principal.role === 'admin' || principal.role === 'privacy-officer' || principal.platform ? undefined : 'only administrators and privacy officers read data-quality reports';
}
