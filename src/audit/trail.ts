/**
 * What one FHIR interaction touched, collected while it runs, for its AuditEvent: the patients whose
 * records it read or wrote, the resources, and the policy decisions' reasons.
 */
export class AuditTrail {
  readonly patients = new Set<string>();
  readonly entities: string[] = [];
  private readonly reasons = new Set<string>();
  breakGlass = false;
  /** Set by $break-the-glass: the professional's stated reason and the grant's end, for the patient's log. */
  breakGlassReason: string | undefined;
  breakGlassExpires: string | undefined;
  purpose: string | undefined;
  /**
   * Set when a write targeted a resource hidden from the requester and was answered as if it were absent:
   * the record says it was refused (the requester never sees the record, so this tells them nothing).
   */
  concealed = false;
  /** Set once the interaction's record was written inside its own transaction. */
  recorded = false;

  entity(reference: string, patientId?: string | null): void {
    // The patients are always complete; the resources are capped to keep a record of a large search small.
    if (this.entities.length < 200) this.entities.push(reference);
    if (patientId) this.patients.add(patientId);
  }

  decision(reason: string, purpose?: string, breakGlass?: boolean): void {
    if (this.reasons.size < 20) this.reasons.add(reason);
    if (purpose) this.purpose = purpose;
    if (breakGlass) this.breakGlass = true;
  }

  get decisions(): string {
    return [...this.reasons].join('; ');
  }
}

/** Rows a search returned, for the trail (the search's patients and resources). */
export function traceRows(trail: AuditTrail | undefined, ...lists: readonly (readonly { resourceType: string; id: string; patientId?: string | null }[])[]): void {
  if (!trail) return;
  for (const list of lists) for (const row of list) trail.entity(`${row.resourceType}/${row.id}`, row.patientId);
}
