import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalAgent } from '../audit/fhir-audit.js';
import { auditRecord, outcomeOfStatus } from '../audit/event.js';
import type { AuditRecord } from '../audit/record.js';
import type { AuthServices } from '../auth/services.js';

/**
 * Audit of the HTTP routes outside the FHIR API that act on data with a token (the HL7 v2 gateway's HTTP
 * routes, administration): one AuditEvent each, durable before the answer is sent. (FHIR interactions are
 * audited by the FHIR router, logins by the login service.)
 */
export function auditRoutesHook(app: FastifyInstance, auth: AuthServices): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const access = request.routeOptions.config?.access;
    if (typeof access !== 'function' || !request.principal) return payload;
    const path = request.routeOptions.url ?? '';
    await auth.audit.record(auditRecord({
      uid: auth.newId(), recorded: auth.clock().toISOString(), event: 'http', action: request.method === 'GET' ? 'R' : 'E',
      outcome: outcomeOfStatus(reply.statusCode), agent: principalAgent(request.principal, request.ip), patients: [], entities: request.auditEntities ?? [],
      details: { route: `${request.method} ${path}`, status: String(reply.statusCode) },
    }));
    return payload;
  });
}

/** The record of a request whose bearer token was refused (expired, forged or revoked). */
export function rejectedTokenRecord(request: FastifyRequest, now: Date, uid: string): AuditRecord {
  return auditRecord({
    uid, recorded: now.toISOString(), event: 'token-rejected', action: 'E', outcome: '4',
    outcomeDesc: 'an access token was refused (invalid signature, expired, wrong audience or revoked)',
    agent: { key: 'anonymous', address: request.ip }, patients: [], entities: [],
    details: { route: `${request.method} ${request.routeOptions.url ?? ''}` },
  });
}
