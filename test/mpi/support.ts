import type { Patient } from '@medplum/fhirtypes';

/** A source Patient as a registration system would send it. */
export function patient(source: string, mrn: string, given: string, family: string, birthDate: string, extra: Partial<Patient> = {}): Patient {
  return {
    resourceType: 'Patient',
    identifier: [{ system: source, value: mrn }],
    name: [{ use: 'official', family, given: given.split(' ') }],
    birthDate,
    gender: 'female',
    ...extra,
  };
}
