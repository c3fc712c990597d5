import type { Extension, Schedule, Slot } from '@medplum/fhirtypes';
import type { AvailabilityRules, Interval, WeeklyWindow } from './availability.js';
import { CLINIC_TIME_ZONE, isTimeZone } from './time-zone.js';

/**
 * What a Schedule publishes (pure): its recurring availability, whether patients may book it online,
 * and its visit mode. Carried by extensions of the Schedule (R4 has no availability on Schedule; the
 * sub-extensions reuse the names of R4's PractitionerRole.availableTime / notAvailable).
 */

/** Recurring availability: availableTime (daysOfWeek, availableStartTime, availableEndTime)*, notAvailable (valuePeriod)*, visitMinutes, bufferMinutes, timeZone. */
export const AVAILABILITY_URL = 'urn:carnet:extension:schedule-availability';
/** valueBoolean: patients may book this schedule's slots online (on a Slot: overrides its schedule). */
export const PUBLIC_BOOKING_URL = 'urn:carnet:extension:public-booking';
/** valueCode in-person | virtual (on a Schedule, or a Slot overriding it; default in-person). */
export const VISIT_MODE_URL = 'urn:carnet:extension:visit-mode';

export type VisitMode = 'in-person' | 'virtual';
export const VISIT_MODES: readonly VisitMode[] = ['in-person', 'virtual'];

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function sub(ext: Extension, url: string): Extension[] {
  return (ext.extension ?? []).filter((e) => e.url === url);
}

function minuteOf(time: string | undefined): number | undefined {
  const m = time ? /^(\d{2}):(\d{2})(?::\d{2})?$/.exec(time) : null;
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

function period(value: { start?: string; end?: string } | undefined): Interval | undefined {
  const start = value?.start ? Date.parse(value.start) : -Infinity;
  const end = value?.end ? Date.parse(value.end) : Infinity;
  return Number.isNaN(start) || Number.isNaN(end) || end <= start ? undefined : { start, end };
}

/** The schedule's recurring availability, or undefined when it publishes only Slots. */
export function availabilityOf(schedule: Schedule): AvailabilityRules | undefined {
  const ext = schedule.extension?.find((e) => e.url === AVAILABILITY_URL);
  if (!ext) return undefined;
  const windows: WeeklyWindow[] = [];
  for (const time of sub(ext, 'availableTime')) {
    const days = sub(time, 'daysOfWeek').map((d) => DAYS.indexOf(d.valueCode ?? '')).filter((d) => d >= 0);
    const startMinute = minuteOf(sub(time, 'availableStartTime')[0]?.valueTime);
    const endMinute = minuteOf(sub(time, 'availableEndTime')[0]?.valueTime);
    if (days.length > 0 && startMinute !== undefined && endMinute !== undefined && endMinute > startMinute) windows.push({ days, startMinute, endMinute });
  }
  const blocked = sub(ext, 'notAvailable').map((e) => period(e.valuePeriod)).filter((p): p is Interval => p !== undefined);
  const visitMinutes = sub(ext, 'visitMinutes')[0]?.valuePositiveInt ?? 20;
  const bufferMinutes = sub(ext, 'bufferMinutes')[0]?.valueUnsignedInt ?? 0;
  const zoneCode = sub(ext, 'timeZone')[0]?.valueCode;
  const zone = zoneCode && isTimeZone(zoneCode) ? zoneCode : CLINIC_TIME_ZONE;
  const horizon = period(schedule.planningHorizon);
  return { zone, windows, visitMinutes, bufferMinutes, blocked, ...(horizon ? { horizon } : {}) };
}

function flag(resource: { extension?: Extension[] } | undefined, url: string): Extension | undefined {
  return resource?.extension?.find((e) => e.url === url);
}

/** Whether patients may book this slot (or this schedule's openings) themselves. */
export function isPublic(schedule: Schedule, slot?: Slot): boolean {
  const own = flag(slot, PUBLIC_BOOKING_URL)?.valueBoolean;
  return own ?? flag(schedule, PUBLIC_BOOKING_URL)?.valueBoolean ?? false;
}

export function visitModeOf(schedule: Schedule, slot?: Slot): VisitMode {
  const code = flag(slot, VISIT_MODE_URL)?.valueCode ?? flag(schedule, VISIT_MODE_URL)?.valueCode;
  return code === 'virtual' ? 'virtual' : 'in-person';
}
