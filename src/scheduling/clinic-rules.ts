import type { Extension, Organization } from '@medplum/fhirtypes';

/**
 * A clinic's booking rules (pure): how long a hold lasts, how far ahead and how late patients may book,
 * until when they may cancel, how many future appointments one patient may have. Clinic staff are not
 * bound by them (they book by phone, at the desk); patients and proxies are.
 */
export interface ClinicRules {
  /** A patient cancels at the latest this many hours before the appointment. */
  readonly cancelDeadlineHours: number;
  /** Patients book at most this many days ahead. */
  readonly bookingHorizonDays: number;
  /** Patients book at least this many minutes ahead. */
  readonly minimumLeadMinutes: number;
  /** Future appointments (booked or held) one patient may have at this clinic. */
  readonly maxFutureAppointments: number;
  /** How long $hold keeps a slot. */
  readonly holdMinutes: number;
}

export const DEFAULT_CLINIC_RULES: ClinicRules = {
  cancelDeadlineHours: 24, bookingHorizonDays: 90, minimumLeadMinutes: 60, maxFutureAppointments: 2, holdMinutes: 5,
};

/** The extension on the clinic's Organization whose sub-extensions (named like the fields) override the defaults. */
export const CLINIC_RULES_URL = 'urn:carnet:extension:clinic-scheduling-rules';

const FIELDS: readonly (keyof ClinicRules)[] = ['cancelDeadlineHours', 'bookingHorizonDays', 'minimumLeadMinutes', 'maxFutureAppointments', 'holdMinutes'];

export function clinicRulesOf(clinic: Pick<Organization, 'extension'> | undefined): ClinicRules {
  const ext = clinic?.extension?.find((e) => e.url === CLINIC_RULES_URL);
  if (!ext) return DEFAULT_CLINIC_RULES;
  const rules: Record<string, number> = { ...DEFAULT_CLINIC_RULES };
  for (const field of FIELDS) {
    const value = numberOf(ext.extension?.find((e) => e.url === field));
    if (value !== undefined && Number.isInteger(value) && value >= 0) rules[field] = value;
  }
  return rules as unknown as ClinicRules;
}

function numberOf(e: Extension | undefined): number | undefined {
  return e?.valueInteger ?? e?.valueUnsignedInt ?? e?.valuePositiveInt;
}

const HOUR = 3_600_000;

/** Why a patient may not book a slot starting at `start`, or undefined. */
export function bookingRefusal(rules: ClinicRules, start: number, now: number, futureAppointments: number): string | undefined {
  if (start < now) return 'the slot is in the past';
  if (start < now + rules.minimumLeadMinutes * 60_000) return `appointments are booked at least ${rules.minimumLeadMinutes} minutes ahead`;
  if (start > now + rules.bookingHorizonDays * 24 * HOUR) return `appointments are booked at most ${rules.bookingHorizonDays} days ahead`;
  if (futureAppointments >= rules.maxFutureAppointments) {
    return `a patient may have at most ${rules.maxFutureAppointments} future appointment(s) at this clinic`;
  }
  return undefined;
}

/** Why a patient may no longer cancel an appointment starting at `start`, or undefined. */
export function cancelRefusal(rules: ClinicRules, start: number, now: number): string | undefined {
  if (start <= now) return 'the appointment has already started';
  if (start - now < rules.cancelDeadlineHours * HOUR) {
    return `appointments are cancelled online at least ${rules.cancelDeadlineHours} hours ahead; call the clinic`;
  }
  return undefined;
}
