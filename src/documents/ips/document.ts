import type { Bundle, BundleEntry, Composition, CompositionSection, Organization, Patient, Resource } from '@medplum/fhirtypes';
import { languageTag, type Lang } from '../language.js';
import { LOINC, refOf } from './facts.js';
import { escapeXhtml, sectionNarrative, xhtml } from './narrative.js';
import { nameUuid, referencedTargets, rewriteReferences } from './references.js';
import type { Selection } from './selection.js';
import { LIST_EMPTY_REASON, RFC3986, V3_ACT_CLASS } from '../../fhir/code-systems.js';

/**
 * The IPS document Bundle (type `document`): the Composition first, then the Patient, the sections'
 * entries, the resources they refer to, and the Carnet platform Organization (author and custodian).
 * Pure: the handler gathers the record and the referenced directory resources, this assembles them.
 */
export const IPS = {
  bundle: 'http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips',
  composition: 'http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips',
} as const;

const EMPTY_REASON = LIST_EMPTY_REASON;

export interface DocumentInput {
  readonly patient: Patient;
  /** Every source Patient of the person: references to any of them point at the document's subject. */
  readonly patientIds: readonly string[];
  readonly selection: Selection;
  /** Resources outside any entry that entries refer to (practitioners, organisations, medications, devices). */
  readonly referenced: readonly Resource[];
  readonly lang: Lang;
  readonly now: Date;
  readonly fhirBaseUrl: string;
  /** The new document's id (also the Composition's and the Bundle identifier's). */
  readonly documentId: string;
}

export function carnetOrganization(fhirBaseUrl: string): Organization {
  return {
    resourceType: 'Organization', id: 'carnet',
    identifier: [{ system: RFC3986, value: fhirBaseUrl }],
    name: 'Carnet — dossier de santé partagé',
    alias: ['Carnet shared health record'],
  };
}

const TITLE = { fr: 'Résumé de santé international', en: 'International Patient Summary' };

function personName(patient: Patient): string {
  const n = patient.name?.[0];
  return n?.text ?? [...(n?.given ?? []), n?.family].filter(Boolean).join(' ');
}

function compositionNarrative(input: DocumentInput, sections: readonly CompositionSection[]): string {
  const { lang, patient } = input;
  const fr = lang === 'fr';
  const items = sections.map((s) => `<li>${escapeXhtml(s.title ?? '')} : ${s.entry?.length ?? 0}</li>`).join('');
  return `<h1>${escapeXhtml(TITLE[lang])}</h1><p>${escapeXhtml(personName(patient))}${patient.birthDate ? escapeXhtml(fr ? `, née ou né le ${patient.birthDate}` : `, born ${patient.birthDate}`) : ''}</p>`
    + `<p>${escapeXhtml(fr ? `Produit par Carnet le ${input.now.toISOString().slice(0, 10)} à partir de ${input.patientIds.length} dossier(s) source(s).`
      : `Produced by Carnet on ${input.now.toISOString().slice(0, 10)} from ${input.patientIds.length} source record(s).`)}</p><ul>${items}</ul>`;
}

export function assembleDocument(input: DocumentInput): Bundle {
  const { patient, selection, lang, fhirBaseUrl } = input;
  const urn = (ref: string) => `urn:uuid:${nameUuid(`${fhirBaseUrl}/${ref}`)}`;
  const organization = carnetOrganization(fhirBaseUrl);
  const entries = selection.sections.flatMap((s) => s.entries);
  const members = new Map<string, Resource>();
  for (const r of [...entries, ...selection.supporting, ...input.referenced]) if (!members.has(refOf(r))) members.set(refOf(r), r);
  const fullUrlOf = new Map<string, string>();
  const subjectUrl = urn(refOf(patient));
  for (const id of input.patientIds) fullUrlOf.set(`Patient/${id}`, subjectUrl);
  fullUrlOf.set(refOf(patient), subjectUrl);
  for (const ref of members.keys()) fullUrlOf.set(ref, urn(ref));
  fullUrlOf.set(refOf(organization), urn(refOf(organization)));

  const sections: CompositionSection[] = [];
  for (const content of selection.sections) {
    const { def } = content;
    if (!def.required && content.entries.length === 0 && !content.withheld) continue;
    const section: CompositionSection = {
      title: def.title[lang],
      code: { coding: [{ system: LOINC, code: def.loinc, display: def.display }] },
      text: sectionNarrative(def.key, content.entries, content.withheld, lang),
    };
    if (content.entries.length > 0) section.entry = content.entries.map((e) => ({ reference: fullUrlOf.get(refOf(e)) as string }));
    else section.emptyReason = { coding: [content.withheld
      ? { system: EMPTY_REASON, code: 'withheld', display: 'Information Withheld' }
      : { system: EMPTY_REASON, code: 'unavailable', display: 'Unavailable' }] };
    sections.push(section);
  }
  const orgRef = { reference: fullUrlOf.get(refOf(organization)) as string, display: organization.name as string };
  const composition: Composition = {
    resourceType: 'Composition', id: input.documentId, meta: { profile: [IPS.composition] },
    language: languageTag(lang),
    text: xhtml(compositionNarrative(input, sections)),
    status: 'final',
    type: { coding: [{ system: LOINC, code: '60591-5', display: 'Patient summary Document' }] },
    subject: { reference: subjectUrl, display: personName(patient) },
    date: input.now.toISOString(),
    author: [orgRef],
    title: `${TITLE[lang]} — ${personName(patient)}`,
    custodian: orgRef,
    event: [{ code: [{ coding: [{ system: V3_ACT_CLASS, code: 'PCPR' }] }], period: { end: input.now.toISOString() } }],
    section: sections,
  };
  const entry = (resource: Resource): BundleEntry => ({ fullUrl: fullUrlOf.get(refOf(resource)) ?? subjectUrl, resource: rewriteReferences(resource, fullUrlOf, fhirBaseUrl) });
  return {
    resourceType: 'Bundle', id: input.documentId, meta: { profile: [IPS.bundle] }, language: languageTag(lang),
    identifier: { system: RFC3986, value: `urn:uuid:${input.documentId}` },
    type: 'document',
    timestamp: input.now.toISOString(),
    entry: [
      { fullUrl: `urn:uuid:${input.documentId}`, resource: composition },
      entry(patient),
      ...[...members.values()].map(entry),
      entry(organization),
    ],
  };
}

/** The local `Type/id`s the chosen entries refer to that the Bundle does not hold yet (to be fetched). */
export function missingTargets(resources: readonly Resource[], held: ReadonlySet<string>, fhirBaseUrl: string): string[] {
  const out = new Set<string>();
  for (const r of resources) for (const t of referencedTargets(r, fhirBaseUrl)) if (!held.has(t)) out.add(t);
  return [...out];
}
