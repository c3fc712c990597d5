/**
 * A minor's record and the adults who act for them (pure). In Québec a minor of 14 or more consents alone
 * to their care and controls who sees their record (Civil Code art. 14, 17; the age is configurable:
 * CARNET_MINOR_CONTROL_AGE). From that birthday a parent's or guardian's proxy access **narrows**: they
 * keep what they need to help — who the person is (Patient) and their appointments (Appointment, to book
 * and move them) — and no longer see the clinical record. Adults a proxy acts for (a caregiver, a mandate)
 * are not narrowed. The narrowed records travel in the token (`narrowed`) and are recomputed at every
 * refresh, so a birthday takes effect within one access token's lifetime.
 */
export const DEFAULT_MINOR_CONTROL_AGE = 14;
export const MAJORITY_AGE = 18;

/** What a narrowed proxy still reads (and, for appointments, writes). */
export const NARROWED_PROXY_TYPES: readonly string[] = ['Patient', 'Appointment'];

/** Whole years between a FHIR birth date (YYYY, YYYY-MM or YYYY-MM-DD) and a day, as a calendar does. */
export function ageOn(birthDate: string, at: Date): number | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(birthDate);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2] ?? 1), Number(m[3] ?? 1)];
  const ty = at.getUTCFullYear();
  const tm = at.getUTCMonth() + 1;
  const td = at.getUTCDate();
  return ty - y - (tm < mo || (tm === mo && td < d) ? 1 : 0);
}

/** The day a minor takes control of their record (their control-age birthday), YYYY-MM-DD when known. */
export function controlDay(birthDate: string, controlAge = DEFAULT_MINOR_CONTROL_AGE): string | undefined {
  const m = /^(\d{4})(-\d{2}-\d{2})?/.exec(birthDate);
  if (!m) return undefined;
  return `${Number(m[1]) + controlAge}${m[2] ?? '-01-01'}`;
}

/** Whether a proxy's access to this person narrows on `at`: a minor aged between the control age and majority. */
export function proxyNarrows(birthDate: string | undefined, at: Date, controlAge = DEFAULT_MINOR_CONTROL_AGE): boolean {
  if (!birthDate) return false;
  const age = ageOn(birthDate, at);
  return age !== undefined && age >= controlAge && age < MAJORITY_AGE;
}

/** Whether a narrowed proxy keeps this resource type. */
export function keptWhenNarrowed(type: string): boolean {
  return NARROWED_PROXY_TYPES.includes(type);
}
