import type { Bundle, CareTeam, Encounter, Patient } from '@medplum/fhirtypes';
import { nameOf, namOf } from './patient-search.js';

/**
 * "Mes patients" (pure): the patients a clinician has a care relationship with, from what the record says —
 * they are the patient's family doctor (`Patient.generalPractitioner`), on an active CareTeam of the patient,
 * or took part in an encounter of the last RECENT_DAYS days. Consents apply on the server as for any search.
 */
export const RECENT_DAYS = 180;

export type CareReason = 'family-doctor' | 'care-team' | 'encounter';

export interface MyPatient {
  readonly id: string;
  readonly name: string;
  readonly birthDate?: string;
  readonly gender?: string;
  readonly nam?: string;
  readonly reasons: readonly CareReason[];
  /** The start of the latest encounter with this clinician, when there is one. */
  readonly lastSeen?: string;
}

export interface MyPatientQueries {
  readonly familyDoctor: string;
  readonly careTeams: string;
  readonly encounters: string;
}

export function myPatientQueries(fhirUser: string, now: Date): MyPatientQueries {
  const who = encodeURIComponent(fhirUser);
  const since = new Date(now.getTime() - RECENT_DAYS * 86_400_000).toISOString().slice(0, 10);
  return {
    familyDoctor: `Patient?general-practitioner=${who}&_count=100`,
    careTeams: `CareTeam?participant=${who}&status=active&_include=CareTeam:subject&_count=100`,
    encounters: `Encounter?participant=${who}&date=ge${since}&_sort=-date&_include=Encounter:subject&_count=100`,
  };
}

function resources<T>(bundle: Bundle | undefined, type: string): T[] {
  return (bundle?.entry ?? []).map((e) => e.resource).filter((r): r is NonNullable<typeof r> => r?.resourceType === type) as T[];
}

const patientIdOf = (reference: string | undefined): string | undefined => /^Patient\/([^/]+)$/.exec(reference ?? '')?.[1];

/** One row per patient, the most recently seen first, then by name. */
export function myPatientsOf(familyDoctor: Bundle | undefined, careTeams: Bundle | undefined, encounters: Bundle | undefined): MyPatient[] {
  const patients = new Map<string, Patient>();
  for (const bundle of [familyDoctor, careTeams, encounters]) {
    for (const p of resources<Patient>(bundle, 'Patient')) if (p.id && !patients.has(p.id)) patients.set(p.id, p);
  }
  const reasons = new Map<string, Set<CareReason>>();
  const lastSeen = new Map<string, string>();
  const add = (id: string | undefined, reason: CareReason) => {
    if (!id || !patients.has(id)) return; // a subject the search did not include is one the clinician may not see
    reasons.set(id, (reasons.get(id) ?? new Set()).add(reason));
  };
  for (const p of resources<Patient>(familyDoctor, 'Patient')) add(p.id, 'family-doctor');
  for (const team of resources<CareTeam>(careTeams, 'CareTeam')) add(patientIdOf(team.subject?.reference), 'care-team');
  for (const encounter of resources<Encounter>(encounters, 'Encounter')) {
    const id = patientIdOf(encounter.subject?.reference);
    add(id, 'encounter');
    const start = encounter.period?.start ?? encounter.period?.end;
    if (id && start && patients.has(id) && (lastSeen.get(id) ?? '') < start) lastSeen.set(id, start);
  }
  const rows = [...reasons.entries()].map(([id, why]): MyPatient => {
    const p = patients.get(id) as Patient;
    const nam = namOf(p);
    const seen = lastSeen.get(id);
    return {
      id, name: nameOf(p), reasons: (['family-doctor', 'care-team', 'encounter'] as const).filter((r) => why.has(r)),
      ...(p.birthDate ? { birthDate: p.birthDate } : {}), ...(p.gender ? { gender: p.gender } : {}), ...(nam ? { nam } : {}), ...(seen ? { lastSeen: seen } : {}),
    };
  });
  return rows.sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? '') || a.name.localeCompare(b.name, 'fr'));
}
