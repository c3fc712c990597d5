import type { Bundle, Flag, MedicationDispense, MedicationRequest, MedicationStatement, Observation, Patient, Person } from '@medplum/fhirtypes';
import { useQuery } from '@tanstack/react-query';
import { currentLang } from '../shared/i18n.js';
import { groupByPerson, matchInput, searchInput, type Criteria, type Matched } from './patient-search.js';
import { useSession } from './session.js';

/** The workspace's reads, through the public FHIR API with the professional's token. */
const MATCH_GRADE = 'http://hl7.org/fhir/StructureDefinition/match-grade';

export function usePatientSearch(criteria: Criteria | undefined) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['patient-search', criteria],
    enabled: Boolean(criteria),
    queryFn: async () => {
      const c = criteria as Criteria;
      // The plain search brings the Persons of what it finds and their other records (one round trip);
      // only records that $match alone found need a second look-up of their Persons.
      const personsOf = (ids: readonly string[]) => client.request<Bundle<Person | Patient>>(`Person?link=${ids.map((id) => `Patient/${id}`).join(',')}&_include=Person:link&_count=100`)
        // (A pharmacist's role does not read Person: the records then stand alone.)
        .catch(() => ({ resourceType: 'Bundle', type: 'searchset' }) as Bundle<Person | Patient>);
      const [matchBundle, searchBundle] = await Promise.all([
        client.request<Bundle<Patient>>({ url: 'Patient/$match', method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: matchInput(c) }, { name: 'count', valueInteger: 20 }] }) }),
        client.request<Bundle<Patient | Person>>(`${searchInput(c)}&_revinclude=Person:link&_include:iterate=Person:link`).catch(() => client.request<Bundle<Patient | Person>>(searchInput(c))),
      ]);
      const searched = (searchBundle.entry ?? []).map((e) => ({ resource: e.resource, mode: e.search?.mode }));
      const matched: Matched[] = [
        ...(matchBundle.entry ?? []).filter((e) => e.resource).map((e) => ({
          patient: e.resource as Patient,
          ...(e.search?.score !== undefined ? { score: e.search.score } : {}),
          ...(e.search?.extension?.find((x) => x.url === MATCH_GRADE)?.valueCode ? { grade: e.search.extension.find((x) => x.url === MATCH_GRADE)?.valueCode as string } : {}),
        })),
        ...searched.filter((e) => e.resource?.resourceType === 'Patient' && e.mode !== 'include').map((e) => ({ patient: e.resource as Patient })),
      ];
      const ids = [...new Set(matched.map((m) => m.patient.id as string))];
      if (ids.length === 0) return [];
      const resources = searched.map((e) => e.resource).filter((r): r is Person | Patient => Boolean(r));
      const covered = new Set(resources.filter((r): r is Person => r.resourceType === 'Person').flatMap((p) => (p.link ?? []).map((l) => l.target.reference?.replace('Patient/', ''))));
      const missing = ids.filter((id) => !covered.has(id));
      if (missing.length > 0) resources.push(...((await personsOf(missing)).entry ?? []).map((e) => e.resource).filter((r): r is Person | Patient => Boolean(r)));
      return groupByPerson(matched, resources.filter((r): r is Person => r.resourceType === 'Person'), resources.filter((r): r is Patient => r.resourceType === 'Patient'));
    },
  });
}

export function usePatient(id: string) {
  const { client } = useSession();
  return useQuery({ queryKey: ['Patient', id], queryFn: () => client.request<Patient>(`Patient/${encodeURIComponent(id)}`) });
}

/** The IPS of the whole person (the server merges every linked record and applies consent). */
export function useSummary(id: string) {
  const { client } = useSession();
  const lang = currentLang();
  return useQuery({ queryKey: ['summary', id, lang], queryFn: () => client.request<Bundle>(`Patient/${encodeURIComponent(id)}/$summary?_language=${lang}`) });
}

export function useAlerts(id: string) {
  const { client } = useSession();
  // R4 Flag has no status search parameter: active flags are kept here. A pharmacist may not read Flags (none shown).
  return useQuery({
    queryKey: ['Flag', id],
    queryFn: async () => (await client.request<Flag[]>(`Flag?subject:mdm=Patient/${encodeURIComponent(id)}&_count=50`, { pageLimit: 1, flat: true }).catch(() => [] as Flag[])).filter((f) => f.status === 'active'),
  });
}

/** Laboratory results of every source record of the person (`:mdm`). */
export function useLabResults(id: string) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['Observation', 'laboratory', id],
    queryFn: () => client.request<Observation[]>(`Observation?subject:mdm=Patient/${encodeURIComponent(id)}&category=laboratory&_count=200`, { pageLimit: 0, flat: true }),
  });
}

/** Prescriptions, dispenses and statements from every source of the person. */
export function useMedicationSources(id: string) {
  const { client } = useSession();
  const all = <T,>(type: string) => client.request<T[]>(`${type}?subject:mdm=Patient/${encodeURIComponent(id)}&_count=200`, { pageLimit: 0, flat: true });
  return useQuery({
    queryKey: ['medications', id],
    queryFn: async () => {
      const [requests, dispenses, statements] = await Promise.all([
        all<MedicationRequest>('MedicationRequest'), all<MedicationDispense>('MedicationDispense'), all<MedicationStatement>('MedicationStatement'),
      ]);
      return { requests, dispenses, statements };
    },
  });
}
