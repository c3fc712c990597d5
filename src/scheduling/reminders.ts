import type { Appointment, Communication } from '@medplum/fhirtypes';
import type { Background } from '../app/background.js';
import type { FhirContext } from '../fhir/context.js';
import type { WrittenVersion } from '../fhir/write/hooks.js';
import { executeWrites } from '../fhir/write/engine.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Queryable } from '../storage/database.js';
import { currentContent } from '../storage/resource-store.js';
import { referencedIds } from './claims.js';
import { CLINIC_TIME_ZONE } from './time-zone.js';

/**
 * Appointment reminders (issue #18): each booked appointment has one delayed durable job (kind
 * `appointment.remind`, key the appointment's id) due 24 h before its start (booked later than that: 2 h
 * before, or right away; see reminderDue), enqueued by the scheduling
 * write hook in the transaction that books it, whatever the path; moving the appointment re-arms it at the
 * new time, cancelling (or deleting, or marking it anything but booked) cancels it. When it runs and the
 * appointment is still booked at that time, the job writes a `Communication` (category
 * appointment-reminder, subject and recipient the patient, about the appointment): a change event like any
 * other, which the Subscription topic `urn:carnet:SubscriptionTopic/appointment-reminder` delivers.
 */

export const REMINDER_KIND = 'appointment.remind';
export const REMINDER_LEAD_MS = 24 * 3_600_000;
/** Booked less than 24 h ahead: reminded this long before instead, or right away when even that has passed. */
export const SHORT_NOTICE_LEAD_MS = 2 * 3_600_000;
export const REMINDER_CATEGORY = { system: 'urn:carnet:communication-category', code: 'appointment-reminder', display: 'Appointment reminder' } as const;

interface ReminderPayload {
  readonly appointment: string;
  /** The start (epoch ms) the reminder is for: a reminder of a time the appointment no longer has does nothing. */
  readonly start: number;
}

/**
 * When to remind of an appointment starting at `start` (pure): 24 h before; booked less than 24 h ahead,
 * 2 h before; less than 2 h ahead, right away — a clinic booking by telephone, or a proxy, may be the one
 * who booked, and the patient must still hear of it. Nothing for a start already past.
 */
export function reminderDue(start: number, now: number): number | undefined {
  if (!(start > now)) return undefined;
  if (start - REMINDER_LEAD_MS > now) return start - REMINDER_LEAD_MS;
  if (start - SHORT_NOTICE_LEAD_MS > now) return start - SHORT_NOTICE_LEAD_MS;
  return now;
}

/** In the write's transaction: arm, move or cancel the reminders of the appointments written. */
export async function keepReminders(tx: Queryable, jobs: Jobs | undefined, versions: readonly WrittenVersion[], now: Date): Promise<void> {
  if (!jobs) return;
  for (const version of versions) {
    const appointment = version.content && !version.deleted ? (JSON.parse(version.content) as Appointment) : undefined;
    const start = appointment?.start ? Date.parse(appointment.start) : NaN;
    const due = reminderDue(start, now.getTime());
    if (appointment?.status === 'booked' && patientOf(appointment) && due !== undefined) {
      const existing = version.versionId > 1 ? await jobs.keyed(tx, REMINDER_KIND, version.id) : undefined;
      const payload: ReminderPayload = { appointment: version.id, start };
      // One reminder per time: an edit that does not move the appointment re-sends nothing (the reminder
      // of this start was sent, or is due already); a move re-arms it for the new time.
      const same = (existing?.payload as ReminderPayload | undefined)?.start === start;
      if (same && existing && (existing.state === 'done' || existing.state === 'running' || existing.state === 'pending')) continue;
      await jobs.enqueueOrRearm(tx, { kind: REMINDER_KIND, key: version.id, runAt: new Date(due), payload });
    } else if (version.versionId > 1 || version.deleted) {
      await jobs.cancelKeyed(tx, REMINDER_KIND, version.id);
    }
  }
}

function patientOf(appointment: Appointment): string | undefined {
  return referencedIds((appointment.participant ?? []).map((p) => p.actor?.reference), 'Patient')[0];
}

/** The reminder's words, French first: the date and time in the clinic's zone, nothing of the visit's reason. */
export function reminderText(start: number): string {
  const when = (locale: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short', timeZone: CLINIC_TIME_ZONE }).format(start);
  return `Rappel : vous avez un rendez-vous le ${when('fr-CA')}. / Reminder: you have an appointment on ${when('en-CA')}.`;
}

export function registerReminders(ctx: FhirContext, background: Background): void {
  background.jobs.define<ReminderPayload>(REMINDER_KIND, async ({ job, complete }) => {
    const { appointment: id, start } = job.payload;
    await ctx.db.transaction(async (tx) => {
      const content = await currentContent(tx, 'Appointment', id);
      const appointment = content ? (JSON.parse(content) as Appointment) : undefined;
      const patient = appointment ? patientOf(appointment) : undefined;
      // Nothing for a time the appointment no longer has, nor once it has begun (the job ran late).
      if (!appointment || appointment.status !== 'booked' || !patient || Date.parse(appointment.start ?? '') !== start || start <= ctx.clock().getTime()) {
        await complete(tx, { reminded: false });
        return;
      }
      const reminder: Communication = {
        resourceType: 'Communication', status: 'completed',
        category: [{ coding: [REMINDER_CATEGORY] }],
        subject: { reference: `Patient/${patient}` }, recipient: [{ reference: `Patient/${patient}` }],
        about: [{ reference: `Appointment/${id}` }], sent: ctx.clock().toISOString(),
        payload: [{ contentString: reminderText(start) }],
      };
      await executeWrites(tx, ctx, [{ kind: 'create', resource: reminder }], { transaction: false });
      await complete(tx, { reminded: true });
    });
  }, { maxAttempts: 10 });
}
