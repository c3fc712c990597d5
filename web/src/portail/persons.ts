import type { useSession } from './session.js';

/**
 * Whom the signed-in person acts for (`GET /auth/persons`, docs/security.md): themselves and the persons
 * their RelatedPersons name, each with the relationship and whether access is narrowed — a minor past the
 * control age (14 in Québec) controls their own record, so a parent keeps only who they are and their
 * appointments. A token reaches one person's record (the SMART patient context): switching signs in again
 * for the person chosen (`patient_hint`), silently while the login session lasts.
 */
type Client = ReturnType<typeof useSession>['client'];

export interface PersonEntry {
  readonly patient: string;
  readonly self: boolean;
  readonly name?: string;
  readonly birthDate?: string;
  readonly relationship?: { readonly code?: string; readonly display?: string; readonly text?: string };
  readonly access: 'full' | 'narrowed';
  readonly narrowedSince?: string;
  readonly current: boolean;
}

export interface Persons {
  readonly controlAge: number;
  readonly persons: readonly PersonEntry[];
}

export async function myPersons(client: Client): Promise<Persons> {
  return client.request<Persons>(`${location.origin}/auth/persons`);
}

/** Whole years on `now` from a FHIR birth date (calendar arithmetic, no time zone shift). */
export function ageOf(birthDate: string | undefined, now: Date): number | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(birthDate ?? '');
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2] ?? 1), Number(m[3] ?? 1)];
  const [ty, tm, td] = [now.getFullYear(), now.getMonth() + 1, now.getDate()];
  return ty - y - (tm < mo || (tm === mo && td < d) ? 1 : 0);
}

/** How the person relates to the one signed in, for the words: themselves, their child, someone in their care. */
export function relationOf(entry: PersonEntry): 'self' | 'child' | 'ward' {
  if (entry.self) return 'self';
  // RelatedPerson.relationship says what the proxy is to the patient: their mother, father, parent…
  const parent = ['MTH', 'FTH', 'PRN', 'NMTH', 'NFTH', 'NPRN', 'STPMTH', 'STPFTH', 'STPPRN', 'ADOPTMTH', 'ADOPTF', 'ADOPTP'];
  return entry.relationship?.code && parent.includes(entry.relationship.code) ? 'child' : 'ward';
}

/** The patient id of an entry (`Patient/x` → `x`). */
export function patientIdOf(entry: PersonEntry): string {
  return entry.patient.replace(/^Patient\//, '');
}
