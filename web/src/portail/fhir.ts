import type { Bundle, Composition, CompositionSection, HumanName, MedicationStatement, Patient, Resource } from '@medplum/fhirtypes';
import { useQuery } from '@tanstack/react-query';
import { summaryQuery } from './queries.js';
import { useSession } from './session.js';

/** Reads through the public FHIR API with the person's token (fhirclient refreshes it when it expires). */
export function usePatient() {
  const { client, patientId } = useSession();
  return useQuery({ queryKey: ['Patient', patientId], queryFn: () => client.request<Patient>(`Patient/${patientId}`) });
}

/** The person's IPS ($summary): one document across every linked source record, built by the server. */
export function useSummary() {
  const { client, patientId } = useSession();
  return useQuery(summaryQuery(client, patientId));
}

export function nameOf(patient: Patient | undefined): string {
  const names: HumanName[] = patient?.name ?? [];
  const name = names.find((n) => n.use === 'official') ?? names[0];
  if (!name) return '';
  return name.text ?? [...(name.given ?? []), name.family].filter(Boolean).join(' ');
}

const LOINC = 'http://loinc.org';
export const SECTION = { problems: '11450-4', allergies: '48765-2', medications: '10160-0', immunizations: '11369-6', pastIllness: '11348-0' } as const;

export interface SectionView {
  readonly entries: Resource[];
  readonly withheld: boolean;
}

/** A section of the summary with its entries resolved inside the document. */
export function sectionOf(summary: Bundle | undefined, code: string): SectionView {
  const resources = new Map<string, Resource>();
  for (const entry of summary?.entry ?? []) if (entry.fullUrl && entry.resource) resources.set(entry.fullUrl, entry.resource);
  const composition = summary?.entry?.[0]?.resource as Composition | undefined;
  const section: CompositionSection | undefined = composition?.section?.find((s) => s.code?.coding?.some((c) => c.system === LOINC && c.code === code));
  const entries = (section?.entry ?? []).map((ref) => (ref.reference ? resources.get(ref.reference) : undefined)).filter((r): r is Resource => Boolean(r));
  const withheld = Boolean(section?.emptyReason?.coding?.some((c) => c.code === 'withheld')) || /withheld|pas accessibles/.test(section?.text?.div ?? '');
  return { entries, withheld };
}

export interface MedicationView {
  readonly key: string;
  readonly name: string;
  readonly since?: string;
  readonly dosage?: string;
  readonly by?: string;
}

/** Current medications: the summary writes one MedicationStatement per drug, active while in use. */
export function currentMedications(view: SectionView): MedicationView[] {
  return view.entries
    .filter((r): r is MedicationStatement => r.resourceType === 'MedicationStatement' && r.status === 'active')
    .map((m, i) => ({
      key: m.id ?? String(i),
      name: m.medicationCodeableConcept?.text ?? m.medicationCodeableConcept?.coding?.[0]?.display ?? '—',
      ...(m.effectivePeriod?.start ?? m.effectiveDateTime ? { since: m.effectivePeriod?.start ?? m.effectiveDateTime } : {}),
      ...(m.dosage?.[0]?.text ? { dosage: m.dosage[0].text } : {}),
      ...(m.informationSource?.display ? { by: m.informationSource.display } : {}),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Writes a resource (create, or update when it has an id) through the FHIR API with the person's token. */
export function save<T extends Resource>(client: ReturnType<typeof useSession>['client'], resource: T): Promise<T> {
  const update = Boolean(resource.id);
  return client.request<T>({
    url: update ? `${resource.resourceType}/${resource.id}` : resource.resourceType,
    method: update ? 'PUT' : 'POST',
    body: JSON.stringify(resource),
    headers: { 'content-type': 'application/fhir+json' },
  });
}
