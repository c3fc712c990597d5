import type { Principal } from './principal.js';

/**
 * One person, one record (pure): a token names source Patients (the patient's own, those a proxy acts
 * for, the SMART launch context), but a person is every source record the master patient index links to
 * their Person. The router resolves those links per request (fhir/person-scopes.ts) and widens the
 * principal with this function, so a new link, a merge or an unmerge changes what the token reaches
 * without a new login — and a stale claim can never widen it: the claim only names the anchors, the
 * links always come from the index as it is now.
 */

/** For each anchor Patient id, every source Patient id of the same Person (the anchor itself included). */
export type PersonLinks = ReadonlyMap<string, readonly string[]>;

/** The Patient ids of a principal whose person must be resolved: its own records and its launch context. */
export function personAnchors(principal: Principal): string[] {
  return [...new Set([...principal.patients, ...(principal.launchPatient !== undefined ? [principal.launchPatient] : [])])];
}

/** The source records of `anchor`'s person: from the links, or the anchor alone when the index does not know it. */
export function recordsOfPerson(links: PersonLinks, anchor: string): readonly string[] {
  const linked = links.get(anchor);
  return linked && linked.length > 0 ? (linked.includes(anchor) ? linked : [anchor, ...linked]) : [anchor];
}

/**
 * The principal with its patient context widened to whole persons: `patients` covers every record of
 * each person it named, `launchPatients` every record of the launch patient's person, and `persons`
 * tells, for each of those records, the records of the same person (so that a search naming one of
 * them can be answered for the whole person without mixing two persons a proxy acts for).
 */
export function widenToPersons(principal: Principal, links: PersonLinks): Principal {
  const anchors = personAnchors(principal);
  if (anchors.length === 0) return principal;
  const persons = new Map<string, readonly string[]>();
  for (const anchor of anchors) {
    const records = recordsOfPerson(links, anchor);
    for (const record of records) persons.set(record, records);
  }
  const patients = [...new Set(principal.patients.flatMap((p) => recordsOfPerson(links, p)))];
  return {
    ...principal,
    patients,
    ...(principal.narrowed?.length ? { narrowed: [...new Set(principal.narrowed.flatMap((p) => recordsOfPerson(links, p)))] } : {}),
    claimedPatients: principal.patients,
    ...(principal.launchPatient !== undefined ? { launchPatients: recordsOfPerson(links, principal.launchPatient) } : {}),
    persons,
  };
}

/** The Patient ids the token's patient context (SMART `patient`) reaches: the launch patient's whole person. */
export function contextPatients(principal: Principal): readonly string[] {
  if (principal.launchPatients) return principal.launchPatients;
  return principal.launchPatient !== undefined ? [principal.launchPatient] : [];
}

/**
 * The Patient ids the token itself named (before any widening): what may be kept beyond this request
 * (a Subscription's owner), so that a later unlink is never outlived by a stale, wider set.
 */
export function claimedPatients(principal: Principal): readonly string[] {
  return principal.claimedPatients ?? principal.patients;
}

/** Every source record of the person `patientId` belongs to, as far as the principal's context knows it. */
export function personOfRecord(principal: Principal, patientId: string): readonly string[] | undefined {
  return principal.persons?.get(patientId);
}

/** Whether a patient or proxy reaches this record only narrowed (a minor past the control age, access/minors.ts). */
export function narrowedFor(principal: Principal, patientId: string): boolean {
  return Boolean(principal.narrowed?.includes(patientId));
}

/** Whether `patientId` is one of the user's own records (not one they act for as a proxy). */
export function ownRecord(principal: Principal, patientId: string): boolean {
  if (principal.role !== 'patient' || !principal.fhirUser?.startsWith('Patient/')) return false;
  const self = principal.fhirUser.slice('Patient/'.length);
  return (principal.persons?.get(self) ?? [self]).includes(patientId);
}
