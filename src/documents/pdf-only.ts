import type { Attachment, Coding, DiagnosticReport, DocumentReference, Resource } from '@medplum/fhirtypes';
import { CARNET_DATA_QUALITY } from '../fhir/code-systems.js';
import type { Bilingual } from './language.js';

/**
 * The PDF-only flag (issue #16: shared data "arrived as PDF and was not actionable by a computer"). A
 * DiagnosticReport whose only content is PDF — `presentedForm` PDFs, no `result`, no `conclusionCode` — or a
 * DocumentReference whose every attachment is a PDF carries the tag `pdf-only` of CARNET_DATA_QUALITY, set
 * (and removed, when a corrected version brings structured results) on every write. Pure.
 */
export const PDF_ONLY_CODE = 'pdf-only';
export const PDF_ONLY_TAG: Coding = { system: CARNET_DATA_QUALITY, code: PDF_ONLY_CODE, display: 'Received as PDF only: not actionable by a computer' };
export const PDF_ONLY_LABEL: Bilingual = { fr: 'PDF seulement — non exploitable par un ordinateur', en: 'PDF only — not actionable by a computer' };

const isPdf = (a: Attachment | undefined) => (a?.contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/pdf';

export function isPdfOnly(resource: Resource): boolean {
  if (resource.resourceType === 'DiagnosticReport') {
    const r = resource as DiagnosticReport;
    const forms = r.presentedForm ?? [];
    return forms.length > 0 && forms.every(isPdf) && (r.result ?? []).length === 0 && (r.conclusionCode ?? []).length === 0;
  }
  if (resource.resourceType === 'DocumentReference') {
    const content = (resource as DocumentReference).content ?? [];
    return content.length > 0 && content.every((c) => isPdf(c.attachment));
  }
  return false;
}

export function hasPdfOnlyTag(resource: Resource): boolean {
  return (resource.meta?.tag ?? []).some((t) => t.system === CARNET_DATA_QUALITY && t.code === PDF_ONLY_CODE);
}

/** The resource with the tag when it is PDF-only and without it otherwise (the same object when nothing changes). */
export function flagPdfOnly<T extends Resource>(resource: T): T {
  const want = isPdfOnly(resource);
  const has = hasPdfOnlyTag(resource);
  if (want === has) return resource;
  const others = (resource.meta?.tag ?? []).filter((t) => !(t.system === CARNET_DATA_QUALITY && t.code === PDF_ONLY_CODE));
  const tag = want ? [...others, PDF_ONLY_TAG] : others;
  const { tag: _old, ...meta } = resource.meta ?? {};
  return { ...resource, meta: { ...meta, ...(tag.length > 0 ? { tag } : {}) } };
}
