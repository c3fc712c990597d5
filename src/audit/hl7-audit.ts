import { auditRecord } from './event.js';
import type { AuditRecord } from './record.js';

/**
 * The AuditEvent of an HL7 v2 message stored by the gateway (MLLP or HTTP): who sent it, what it wrote.
 * `uid` and `now` come from the injected id generator and clock.
 */
export function hl7MessageRecord(m: { uid: string; sender: string; controlId: string; messageType: string; resources: readonly string[]; now: Date }): AuditRecord {
  const patients = m.resources.filter((r) => r.startsWith('Patient/')).map((r) => r.slice('Patient/'.length));
  return auditRecord({
    uid: m.uid, recorded: m.now.toISOString(), event: 'hl7v2-message', action: 'C', outcome: '0',
    agent: { key: `hl7:${m.sender}`, display: m.sender }, purpose: 'TREAT', patients, entities: m.resources,
    details: { messageType: m.messageType, controlId: m.controlId },
  });
}
