import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from '@medplum/fhirtypes';
import type { AuditRecord } from './record.js';
import { AUDIT_ENTITY_TYPE, AUDIT_EVENT_TYPE, CARNET_AGENT, CARNET_AUDIT_EVENT, CARNET_CLIENT, CARNET_ROLE, DICOM_DCM, OBJECT_ROLE, RESTFUL_INTERACTION, SECURITY_SOURCE_TYPE, V3_ACT_REASON, V3_PARTICIPATION_TYPE } from '../fhir/code-systems.js';

/**
 * AuditEvent resources shaped after IHE Basic Audit Log Patterns (BALP) (pure): RESTful reads, queries,
 * writes (Create/Read/Update/Delete/Query), logins and logouts, consent changes and break-the-glass.
 * Who (user and client app), on behalf of whom, which patients, what, when, purpose, from where,
 * outcome, and the policy decision's reason (entity.detail "decision").
 */
const DCM = DICOM_DCM;
const REST = RESTFUL_INTERACTION;
const EVENT_TYPE = AUDIT_EVENT_TYPE;
const ENTITY_TYPE = AUDIT_ENTITY_TYPE;
const PURPOSE = V3_ACT_REASON;
const PARTICIPATION = V3_PARTICIPATION_TYPE;
const BALP = 'https://profiles.ihe.net/ITI/BALP/StructureDefinition';
export const CARNET_EVENTS = CARNET_AUDIT_EVENT;

export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';
export type AuditOutcome = '0' | '4' | '8' | '12';

export interface AuditAgent {
  /** `user:<id>` or `client:<id>` (or what a failed login tried). */
  readonly key: string;
  readonly display?: string;
  /** Practitioner/…, Patient/…, RelatedPerson/… */
  readonly who?: string;
  readonly role?: string;
  readonly clientId?: string;
  readonly organization?: string;
  readonly address?: string;
}

export interface AuditFacts {
  readonly uid: string;
  readonly recorded: string;
  /** A RESTful interaction code (read, search-type, create, …) or a Carnet event (login, break-the-glass, …). */
  readonly event: string;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  readonly outcomeDesc?: string;
  readonly agent: AuditAgent;
  readonly purpose?: string;
  /** The patient the agent acts for when a proxy acts (RelatedPerson → Patient). */
  readonly onBehalfOf?: string;
  readonly patients: readonly string[];
  /** Resources involved (`Type/id` or `Type/id/_history/n`). */
  readonly entities: readonly string[];
  readonly query?: string;
  /** The policy decision's reason(s). */
  readonly decision?: string;
  readonly breakGlass?: { readonly reason: string; readonly expires?: string };
  readonly details?: Readonly<Record<string, string>>;
}

const REST_EVENTS = new Set(['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'history-system', 'create', 'search-type', 'search-system', 'transaction', 'batch', 'operation', 'capabilities']);

function profileOf(facts: AuditFacts): string | undefined {
  if (!REST_EVENTS.has(facts.event)) return undefined;
  const patient = facts.patients.length > 0 ? 'Patient' : '';
  switch (facts.action) {
    case 'C': return `${BALP}/IHE.BasicAudit.${patient}Create`;
    case 'R': return `${BALP}/IHE.BasicAudit.${patient}Read`;
    case 'U': return `${BALP}/IHE.BasicAudit.${patient}Update`;
    case 'D': return `${BALP}/IHE.BasicAudit.${patient}Delete`;
    default: return `${BALP}/IHE.BasicAudit.${patient}Query`;
  }
}

/** DICOM's event type of a Carnet event: authentication, data sent out of Carnet (a notification), or a security alert. */
function eventType(event: string): Coding {
  if (event.startsWith('login') || event === 'logout' || event === 'token') return { system: DCM, code: '110114', display: 'User Authentication' };
  if (event === 'subscription-notification' || event === 'health-link-access') return { system: DCM, code: '110106', display: 'Export' };
  return { system: DCM, code: '110113', display: 'Security Alert' };
}

export function buildAuditEvent(facts: AuditFacts): AuditEvent {
  const rest = REST_EVENTS.has(facts.event);
  const type: Coding = rest ? { system: EVENT_TYPE, code: 'rest', display: 'RESTful Operation' } : eventType(facts.event);
  const agent: AuditEventAgent[] = [{
    type: { coding: [{ system: PARTICIPATION, code: 'IRCP', display: 'information recipient' }] },
    who: facts.agent.who ? { reference: facts.agent.who, ...(facts.agent.display ? { display: facts.agent.display } : {}) } : { identifier: { system: CARNET_AGENT, value: facts.agent.key }, ...(facts.agent.display ? { display: facts.agent.display } : {}) },
    requestor: true,
    ...(facts.agent.role ? { role: [{ coding: [{ system: CARNET_ROLE, code: facts.agent.role }] }] } : {}),
    ...(facts.agent.address ? { network: { address: facts.agent.address, type: '2' as const } } : {}),
    ...(facts.purpose ? { purposeOfUse: [{ coding: [{ system: PURPOSE, code: facts.purpose }] }] } : {}),
  }];
  if (facts.agent.clientId) {
    agent.push({ type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] }, who: { identifier: { system: CARNET_CLIENT, value: facts.agent.clientId } }, requestor: false });
  }
  if (facts.agent.organization) {
    agent.push({ type: { coding: [{ system: PARTICIPATION, code: 'PROV', display: 'healthcare provider' }] }, who: { reference: facts.agent.organization }, requestor: false });
  }
  if (facts.onBehalfOf) {
    agent.push({ type: { coding: [{ system: PARTICIPATION, code: 'RESP', display: 'responsible party' }] }, who: { reference: facts.onBehalfOf }, requestor: false });
  }
  const entity: AuditEventEntity[] = [];
  for (const patient of facts.patients) {
    entity.push({ what: { reference: `Patient/${patient}` }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: OBJECT_ROLE, code: '1', display: 'Patient' } });
  }
  for (const reference of facts.entities.slice(0, 1000)) {
    entity.push({ what: { reference }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' } });
  }
  const detail = [
    ...(facts.decision ? [{ type: 'decision', valueString: facts.decision }] : []),
    ...(facts.breakGlass ? [{ type: 'break-the-glass-reason', valueString: facts.breakGlass.reason }] : []),
    ...(facts.breakGlass?.expires ? [{ type: 'break-the-glass-expires', valueString: facts.breakGlass.expires }] : []),
    ...Object.entries(facts.details ?? {}).map(([type, valueString]) => ({ type, valueString })),
  ];
  if (facts.query !== undefined || detail.length > 0) {
    entity.push({
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '24', display: 'Query' },
      ...(facts.query !== undefined ? { query: Buffer.from(facts.query, 'utf8').toString('base64') } : {}),
      ...(detail.length ? { detail } : {}),
    });
  }
  const profile = profileOf(facts);
  return {
    resourceType: 'AuditEvent',
    id: facts.uid,
    ...(profile ? { meta: { profile: [profile] } } : {}),
    type,
    subtype: [rest ? { system: REST, code: facts.event } : { system: CARNET_EVENTS, code: facts.event }],
    action: facts.action,
    recorded: facts.recorded,
    outcome: facts.outcome,
    ...(facts.outcomeDesc ? { outcomeDesc: facts.outcomeDesc } : {}),
    ...(facts.breakGlass ? { purposeOfEvent: [{ coding: [{ system: PURPOSE, code: 'ETREAT', display: 'emergency treatment' }] }] } : facts.purpose ? { purposeOfEvent: [{ coding: [{ system: PURPOSE, code: facts.purpose }] }] } : {}),
    agent,
    source: { observer: { display: 'Carnet' }, type: [{ system: SECURITY_SOURCE_TYPE, code: '4', display: 'Application Server' }] },
    ...(entity.length ? { entity } : {}),
  };
}

export function auditRecord(facts: AuditFacts): AuditRecord {
  return {
    uid: facts.uid, recorded: facts.recorded, action: REST_EVENTS.has(facts.event) ? facts.action : facts.event, agent: facts.agent.key,
    patients: [...new Set(facts.patients)].sort(), outcome: facts.outcome, breakGlass: Boolean(facts.breakGlass),
    content: JSON.stringify(buildAuditEvent(facts)),
  };
}

/** The AuditEvent outcome of an HTTP status. */
export function outcomeOfStatus(status: number): AuditOutcome {
  if (status < 400) return '0';
  if (status < 500) return '4';
  return '8';
}
