import type { DrugLine } from '../shared/medications.js';

/**
 * Medication reconciliation (pure), on the lines the portal also shows (shared/medications.ts): what a
 * clinician checks when prescribed and dispensed are put side by side.
 *
 * - `never-dispensed`: a current prescription no pharmacy has filled;
 * - `refill-overdue`: a current medication whose last supply ran out more than 7 days ago;
 * - `no-prescription`: dispensed without any prescription on file here;
 * - `several-pharmacies`: filled at more than one pharmacy (duplicates across pharmacies).
 */
export type Issue = 'never-dispensed' | 'refill-overdue' | 'no-prescription' | 'several-pharmacies';

export interface Reconciled {
  readonly line: DrugLine;
  readonly issues: readonly Issue[];
  readonly pharmacies: readonly string[];
}

const DAY = 86_400_000;

export function reconcile(lines: readonly DrugLine[], now: number): Reconciled[] {
  return lines.map((line) => {
    const issues: Issue[] = [];
    const pharmacies = [...new Set(line.dispenses.map((d) => d.where).filter((w): w is string => Boolean(w)))];
    if (line.current && line.prescriptions.length > 0 && line.dispenses.length === 0) issues.push('never-dispensed');
    if (line.current && line.nextRefill && Date.parse(line.nextRefill) + 7 * DAY < now) issues.push('refill-overdue');
    if (line.dispenses.length > 0 && line.prescriptions.length === 0) issues.push('no-prescription');
    if (pharmacies.length > 1) issues.push('several-pharmacies');
    return { line, issues, pharmacies };
  }).sort((a, b) => Number(b.line.current) - Number(a.line.current) || b.issues.length - a.issues.length || a.line.name.localeCompare(b.line.name));
}
