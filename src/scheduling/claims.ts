import type { Appointment, Slot } from '@medplum/fhirtypes';

/**
 * What an Appointment claims of people's and schedules' time (pure). The write hook stores these claims
 * in `schedule_claim`, whose exclusion constraint refuses two overlapping claims of one actor: that is
 * the database's guarantee of no double booking (docs/scheduling.md).
 */

/** The extension a hold ($hold) carries: the instant it stops holding its slot. */
export const HOLD_EXPIRES_URL = 'urn:carnet:extension:appointment-hold-expires';
/** The extension of a double booking made on purpose by clinic staff (an audited override). */
export const OVERBOOKED_URL = 'urn:carnet:extension:appointment-overbooked';

/**
 * Statuses that hold time. A proposal or a waiting-list entry does not yet; a cancelled, no-show or
 * entered-in-error one no longer does; a fulfilled one is over (and history imported from other systems
 * may overlap: it is not ours to refuse).
 */
export const CLAIMING_STATUSES: ReadonlySet<string> = new Set(['pending', 'booked', 'arrived', 'checked-in']);

/** Slot statuses an appointment may take: a blocked or erroneous slot is not a time anyone can book. */
const BOOKABLE_SLOT_STATUSES: ReadonlySet<string> = new Set(['free', 'busy', 'busy-tentative']);

export interface Claim {
  /** `Schedule/<id>` or `Practitioner/<id>`. */
  readonly actor: string;
  readonly slotId: string | null;
  /** Instants (ISO 8601), half-open [start, end). */
  readonly start: string;
  readonly end: string;
  readonly holdExpires: string | null;
  readonly overbooked: boolean;
}

/** Why an appointment cannot claim what it asks for; the hook turns it into a 400 OperationOutcome. */
export class ClaimError extends Error {}

export interface ClaimInputs {
  readonly appointment: Appointment;
  /** The slots the appointment names, by id (absent when the Slot does not exist or is deleted). */
  readonly slots: ReadonlyMap<string, Slot>;
  /** The practitioner behind each PractitionerRole the appointment names (`PractitionerRole/<id>` → `Practitioner/<id>`). */
  readonly roles: ReadonlyMap<string, string>;
}

/** Local ids of `Type/id` references (relative or absolute) of a given type. */
export function referencedIds(references: readonly (string | undefined)[], type: string): string[] {
  const ids: string[] = [];
  for (const reference of references) {
    const match = reference ? new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?$`).exec(reference) : null;
    if (match?.[1]) ids.push(match[1]);
  }
  return ids;
}

/** The participants whose time the appointment takes: not those who declined nor those only informed. */
export function busyParticipants(appointment: Appointment): string[] {
  return (appointment.participant ?? [])
    .filter((p) => p.status !== 'declined' && p.required !== 'information-only')
    .map((p) => p.actor?.reference)
    .filter((r): r is string => typeof r === 'string');
}

function instantOf(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new ClaimError(`${what} "${value}" is not an instant`);
  return time;
}

function extension(appointment: Appointment, url: string): { valueInstant?: string; valueBoolean?: boolean } | undefined {
  return appointment.extension?.find((e) => e.url === url);
}

export function holdExpiry(appointment: Appointment): string | null {
  if (appointment.status !== 'pending') return null;
  const value = extension(appointment, HOLD_EXPIRES_URL)?.valueInstant;
  if (value === undefined) return null;
  return new Date(instantOf(value, 'The hold expiry') as number).toISOString();
}

export function isOverbooked(appointment: Appointment): boolean {
  return extension(appointment, OVERBOOKED_URL)?.valueBoolean === true;
}

/**
 * The claims of one appointment: one per slot on its Schedule, and one per practitioner participant over
 * the appointment's time (its start/end, else the span of its slots). Throws a ClaimError when the
 * appointment holds time it cannot have (a slot that does not exist or is not bookable, an end before
 * its start).
 */
export function claimsOf({ appointment, slots, roles }: ClaimInputs): Claim[] {
  if (!appointment.status || !CLAIMING_STATUSES.has(appointment.status)) return [];
  const holdExpires = holdExpiry(appointment);
  const overbooked = isOverbooked(appointment);
  const claims: Claim[] = [];
  let first: number | undefined;
  let last: number | undefined;
  for (const slotId of referencedIds((appointment.slot ?? []).map((s) => s.reference), 'Slot')) {
    const slot = slots.get(slotId);
    if (!slot) throw new ClaimError(`Appointment.slot: Slot/${slotId} does not exist`);
    if (!BOOKABLE_SLOT_STATUSES.has(slot.status)) throw new ClaimError(`Slot/${slotId} is ${slot.status}: it cannot be booked`);
    const start = instantOf(slot.start, `Slot/${slotId} start`) as number;
    const end = instantOf(slot.end, `Slot/${slotId} end`) as number;
    if (end <= start) throw new ClaimError(`Slot/${slotId} ends before it starts`);
    const schedule = referencedIds([slot.schedule.reference], 'Schedule')[0];
    if (schedule) {
      claims.push({ actor: `Schedule/${schedule}`, slotId, start: iso(start), end: iso(end), holdExpires, overbooked });
    }
    first = first === undefined ? start : Math.min(first, start);
    last = last === undefined ? end : Math.max(last, end);
  }
  const start = instantOf(appointment.start, 'Appointment.start') ?? first;
  const end = instantOf(appointment.end, 'Appointment.end') ?? last;
  if (start === undefined || end === undefined) return claims;
  if (end <= start) throw new ClaimError('Appointment.end must be after Appointment.start');
  const people = new Set<string>();
  const participants = busyParticipants(appointment);
  for (const id of referencedIds(participants, 'Practitioner')) people.add(`Practitioner/${id}`);
  for (const id of referencedIds(participants, 'PractitionerRole')) {
    // A role stands for its practitioner (one person's time, whichever clinic's role books it); a role
    // without one is a position, whose time is its own.
    people.add(roles.get(`PractitionerRole/${id}`) ?? `PractitionerRole/${id}`);
  }
  for (const actor of people) claims.push({ actor, slotId: null, start: iso(start), end: iso(end), holdExpires, overbooked });
  return claims;
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
