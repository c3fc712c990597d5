import type { FhirContext } from '../fhir/context.js';
import type { FhirRequest } from '../fhir/router/types.js';
import type { Queryable } from '../storage/database.js';
import { agentKey, type Principal } from '../access/principal.js';
import { auditRecord, outcomeOfStatus, type AuditAction, type AuditAgent } from './event.js';
import type { AuditRecord } from './record.js';
import type { AuditTrail } from './trail.js';

/** The AuditEvent of one FHIR interaction, from what its trail collected. */

const ACTION: Record<string, AuditAction> = {
  create: 'C', read: 'R', vread: 'R', 'history-instance': 'R', update: 'U', patch: 'U', delete: 'D',
};

export function principalAgent(principal: Principal | undefined, address: string | undefined): AuditAgent {
  if (!principal) return { key: 'anonymous', ...(address ? { address } : {}) };
  return {
    key: agentKey(principal), display: principal.display, role: principal.role, clientId: principal.clientId,
    ...(principal.fhirUser ? { who: principal.fhirUser } : {}),
    ...(principal.organization ? { organization: principal.organization } : {}),
    ...(address ? { address } : {}),
  };
}

export interface InteractionSummary {
  readonly interaction: string;
  readonly operation?: string;
  readonly resourceType?: string;
  readonly id?: string;
  readonly status: number;
  readonly message?: string;
}

export function interactionRecord(ctx: FhirContext, request: FhirRequest, trail: AuditTrail, summary: InteractionSummary): AuditRecord {
  const principal = request.access?.principal;
  const query = request.query.toString();
  const onBehalfOf = principal?.role === 'proxy' && trail.patients.size === 1 ? `Patient/${[...trail.patients][0]}` : undefined;
  const event = summary.interaction === 'search-type' && !summary.resourceType ? 'search-system' : summary.interaction;
  if (summary.resourceType && summary.id && trail.entities.length === 0) trail.entity(`${summary.resourceType}/${summary.id}`);
  return auditRecord({
    uid: ctx.newId(),
    recorded: ctx.clock().toISOString(),
    event,
    action: ACTION[summary.interaction] ?? 'E',
    outcome: trail.concealed ? outcomeOfStatus(404) : outcomeOfStatus(summary.status),
    ...(summary.status >= 400 && summary.message ? { outcomeDesc: summary.message } : {}),
    ...(trail.concealed && summary.status < 400 ? { outcomeDesc: 'the target is hidden from the requester: answered as absent, nothing written' } : {}),
    agent: principalAgent(principal, request.access?.address),
    ...(trail.purpose ? { purpose: trail.purpose } : {}),
    ...(onBehalfOf ? { onBehalfOf } : {}),
    patients: [...trail.patients],
    entities: trail.entities,
    ...(query || summary.interaction === 'search-type' ? { query: `${request.method} ${request.path}${query ? `?${query}` : ''}` } : {}),
    ...(trail.decisions ? { decision: trail.decisions } : {}),
    ...(trail.breakGlass ? { breakGlass: { reason: trail.breakGlassReason ?? 'access under an active break-the-glass grant', ...(trail.breakGlassExpires ? { expires: trail.breakGlassExpires } : {}) } } : {}),
    details: { status: String(summary.status), ...(summary.operation ? { operation: summary.operation } : {}) },
  });
}

/** Writes the record of a write interaction inside its transaction (so they commit together). */
export async function auditInTransaction(tx: Queryable, ctx: FhirContext, request: FhirRequest, summary: InteractionSummary): Promise<void> {
  const trail = request.audit;
  if (!trail || !ctx.audit || trail.recorded) return;
  await ctx.audit.insert(tx, [interactionRecord(ctx, request, trail, summary)]);
  trail.recorded = true;
}
