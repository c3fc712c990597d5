import type { Appointment, Bundle, Parameters, ParametersParameter, PractitionerRole, Patient } from '@medplum/fhirtypes';
import type { useSession } from './session.js';

/**
 * The Rendez-vous page's calls (docs/scheduling.md): the person's appointments, their family doctor's
 * openings ($find), and booking (hold then book), cancelling and rescheduling through the operations.
 */
type Client = ReturnType<typeof useSession>['client'];

export const VISIT_MODE_URL = 'urn:carnet:extension:visit-mode';

export type Refusal = 'taken' | 'deadline' | 'tooMany' | 'tooSoon' | 'tooFar' | 'past' | 'notAllowed' | 'gone' | 'expired' | 'other';

/** What a refused operation means for the person, from its status and the OperationOutcome's words. */
export function refusalOf(error: unknown): Refusal {
  const e = error as { statusCode?: number; status?: number; body?: unknown; message?: string } | null;
  const status = e?.statusCode ?? e?.status;
  const text = JSON.stringify(e?.body ?? '') + (e?.message ?? '');
  if (status === 401) return 'expired';
  if (status === 409) return 'taken';
  if (status === 403) return 'notAllowed';
  if (status === 404) return 'gone';
  if (status === 422) {
    if (/hours ahead|already started/.test(text)) return 'deadline';
    if (/future appointment/.test(text)) return 'tooMany';
    if (/minutes ahead/.test(text)) return 'tooSoon';
    if (/days ahead/.test(text)) return 'tooFar';
  }
  if (status === 400 && /in the past/.test(text)) return 'past';
  return 'other';
}

export function visitModeOf(a: Appointment): string | undefined {
  return a.extension?.find((e) => e.url === VISIT_MODE_URL)?.valueCode;
}

export function whoOf(a: Appointment): string {
  return a.participant?.find((p) => !p.actor?.reference?.startsWith('Patient/'))?.actor?.display ?? '';
}

/** The person's appointments, soonest first; upcoming (booked or held, not over) and past. */
export async function myAppointments(client: Client, patientId: string): Promise<{ upcoming: Appointment[]; past: Appointment[] }> {
  const all = await client.request<Appointment[]>(`Appointment?patient=Patient/${encodeURIComponent(patientId)}&_count=100`, { pageLimit: 0, flat: true });
  const now = Date.now();
  const live = (a: Appointment) => (a.status === 'booked' || a.status === 'arrived' || a.status === 'checked-in') && Date.parse(a.end ?? a.start ?? '') > now;
  const byStart = (a: Appointment, b: Appointment) => Date.parse(a.start ?? '') - Date.parse(b.start ?? '');
  return {
    upcoming: all.filter(live).sort(byStart),
    past: all.filter((a) => !live(a) && a.status !== 'pending' && a.status !== 'proposed').sort((a, b) => byStart(b, a)),
  };
}

/** The family doctor (Patient.generalPractitioner): the practitioner and clinic of the role, for $find. */
export async function familyDoctor(client: Client, patient: Patient): Promise<{ practitioner?: string; organization?: string; display: string } | undefined> {
  const ref = patient.generalPractitioner?.[0];
  if (!ref?.reference) return undefined;
  if (ref.reference.startsWith('Practitioner/')) return { practitioner: ref.reference, display: ref.display ?? '' };
  if (!ref.reference.startsWith('PractitionerRole/')) return undefined;
  const role = await client.request<PractitionerRole>(ref.reference);
  return {
    ...(role.practitioner?.reference ? { practitioner: role.practitioner.reference } : {}),
    ...(role.organization?.reference ? { organization: role.organization.reference } : {}),
    display: ref.display ?? role.practitioner?.display ?? '',
  };
}

export interface FindCriteria {
  readonly who: 'doctor' | 'clinic';
  readonly from: string;
  readonly to: string;
  readonly mode: '' | 'in-person' | 'virtual';
}

/** Dates (YYYY-MM-DD) are days in Montréal; the server reads them so. */
export async function findOpenings(client: Client, doctor: { practitioner?: string; organization?: string }, c: FindCriteria, count: number): Promise<Appointment[]> {
  const target = c.who === 'clinic' && doctor.organization ? `organization=${doctor.organization}` : doctor.practitioner ? `practitioner=${doctor.practitioner}` : `organization=${doctor.organization}`;
  const end = new Date(Date.parse(`${c.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const query = `${target}&start=${c.from}&end=${end}&_count=${Math.min(100, Math.max(1, count))}${c.mode ? `&visit-mode=${c.mode}` : ''}`;
  const bundle = await client.request<Bundle<Appointment>>(`Appointment/$find?${query}`);
  return (bundle.entry ?? []).map((e) => e.resource).filter((a): a is Appointment => Boolean(a));
}

function operation<T>(client: Client, url: string, parameter: ParametersParameter[]): Promise<T> {
  const body: Parameters = { resourceType: 'Parameters', parameter };
  return client.request<T>({ url, method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/fhir+json' } });
}

const slotOf = (opening: Appointment) => ({ name: 'slot', valueReference: { reference: opening.slot?.[0]?.reference ?? '' } });

/** Hold the slot (a few minutes, nobody else can take it), then confirm the hold. */
export async function holdAndBook(client: Client, patientId: string, opening: Appointment): Promise<Appointment> {
  const held = await operation<Appointment>(client, 'Appointment/$hold', [slotOf(opening), { name: 'patient', valueReference: { reference: `Patient/${patientId}` } }]);
  return operation<Appointment>(client, 'Appointment/$book', [{ name: 'appointment', valueReference: { reference: `Appointment/${held.id}` } }]);
}

export function cancel(client: Client, appointment: Appointment, reason: string): Promise<Appointment> {
  return operation<Appointment>(client, `Appointment/${appointment.id}/$cancel`, reason.trim() ? [{ name: 'reason', valueString: reason.trim() }] : []);
}

export function reschedule(client: Client, appointment: Appointment, opening: Appointment): Promise<Appointment> {
  return operation<Appointment>(client, `Appointment/${appointment.id}/$reschedule`, [slotOf(opening)]);
}

