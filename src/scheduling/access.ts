import type { Principal } from '../access/principal.js';
import { roleClass } from '../access/roles.js';
import { asProxy } from '../access/policy.js';
import { reachOf } from '../access/scopes.js';

/**
 * Who may book, hold, cancel and mark appointments (pure), issue #18:
 *   - a patient only for themselves, a proxy only for the persons they act for, only in slots open to the
 *     public, within the clinic's rules;
 *   - clinic staff (physicians, nurses, administrators of the clinic's organisation) for anyone, in their
 *     clinic's schedules, not bound by the patients' rules, and they alone may override (double-book on
 *     purpose, audited) and mark a no-show;
 *   - platform clients and Carnet's own calls everywhere.
 */
export type Booker =
  | { readonly kind: 'patient'; readonly patients: readonly string[]; readonly proxy: boolean; /** Of `patients`, the booker's own records (a parent also books for themselves). */ readonly self?: readonly string[] }
  | { readonly kind: 'staff'; readonly organization: string | undefined; readonly everywhere: boolean };

export type BookingAction = 'find' | 'write';

/** The booker a principal is, or why it may not schedule at all. */
export function bookerOf(principal: Principal | undefined, action: BookingAction): Booker | string {
  if (!principal) return { kind: 'staff', organization: undefined, everywhere: true };
  const needed = action === 'find' ? reachOf(principal.scopes, 'Slot', 's') : reachOf(principal.scopes, 'Appointment', 'c') && reachOf(principal.scopes, 'Appointment', 'u');
  if (!needed) return action === 'find' ? 'no granted scope allows searching Slot' : 'no granted scope allows writing Appointment';
  if (principal.platform) return { kind: 'staff', organization: undefined, everywhere: true };
  const cls = roleClass(principal.role);
  if (cls === 'own-record') {
    const self = principal.patients.filter((p) => !asProxy(principal, p));
    return { kind: 'patient', patients: principal.patients, proxy: self.length < principal.patients.length, self };
  }
  if (principal.role === 'physician' || principal.role === 'nurse' || principal.role === 'admin' || (principal.kind === 'client' && principal.role === 'system')) {
    if (!principal.organization) return 'clinic staff act for an organisation: this account names none';
    return { kind: 'staff', organization: principal.organization, everywhere: false };
  }
  return `the ${principal.role} role does not schedule appointments`;
}

export interface BookingTarget {
  /** The patient the appointment is for (`Patient/<id>` local id). */
  readonly patientId: string;
  /** The organisations whose schedule it is (the organisations of its practitioner roles). */
  readonly clinics: readonly string[];
  readonly publicBooking: boolean;
}

/** Why this booker may not act on this appointment, or undefined. */
export function bookingRefusal(booker: Booker, target: BookingTarget): string | undefined {
  if (booker.kind === 'patient') {
    if (!booker.patients.includes(target.patientId)) {
      return booker.proxy ? 'a proxy books only for the persons they act for' : 'a patient books only for themselves';
    }
    if (!target.publicBooking) return 'this schedule is not open to online booking: call the clinic';
    return undefined;
  }
  if (booker.everywhere) return undefined;
  if (!booker.organization || !target.clinics.includes(booker.organization)) return 'clinic staff book only in their own clinic\'s schedules';
  return undefined;
}

/** Only staff may double-book on purpose, mark a no-show, or act outside the clinic's patient rules. */
export function isStaff(booker: Booker): boolean {
  return booker.kind === 'staff';
}

/** Whether a patient-side booker may see this schedule's openings in $find. */
export function mayFindIn(booker: Booker, clinics: readonly string[], publicBooking: boolean): boolean {
  if (booker.kind === 'patient') return publicBooking;
  return booker.everywhere || (booker.organization !== undefined && clinics.includes(booker.organization)) || publicBooking;
}

/** Whether a patient-side booker acts on this person's appointment for someone else (the audit says `proxy for`). */
export function booksAsProxy(booker: Booker, patientId: string): boolean {
  return booker.kind === 'patient' && (booker.self ? !booker.self.includes(patientId) : booker.proxy);
}
