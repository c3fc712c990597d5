import type { Attachment, Composition, DiagnosticReport, DocumentReference } from '@medplum/fhirtypes';
import type { useSession } from './session.js';

/**
 * The Rapports page's reading (issue #19): the person's imaging reports (DiagnosticReport, radiology),
 * discharge summaries (Composition) and consultation notes (DocumentReference), each with its text as
 * text — structured data, not a PDF viewer — newest first, through the public FHIR API with the person's
 * token (the server decides what they may see; nothing here filters by patient on its own).
 */
type Client = ReturnType<typeof useSession>['client'];

const LOINC = 'http://loinc.org';
const DISCHARGE_SUMMARY = '18842-5';
const CONSULT_NOTE = '11488-4';
const RADIOLOGY = 'RAD';

export interface ReportView {
  readonly id: string;
  readonly kind: 'imaging' | 'discharge' | 'consult';
  readonly title: string;
  readonly date?: string;
  readonly by?: string;
  readonly where?: string;
  /** The text, in paragraphs or titled sections. */
  readonly sections: readonly { readonly title?: string; readonly text: string }[];
  /** A document whose text is not plain text (e.g. a PDF): named, not shown. */
  readonly unreadable?: boolean;
}

/** An XHTML narrative as plain text: parsed inertly (never inserted as HTML), its text only. */
export function narrativeText(div: string | undefined): string {
  if (!div) return '';
  const doc = new DOMParser().parseFromString(div, 'text/html');
  return (doc.body.textContent ?? '').replace(/[ \t]+/g, ' ').trim();
}

/** A plain-text attachment's words (UTF-8, base64 in `data`), or undefined for anything else. */
export function attachmentText(attachment: Attachment | undefined): string | undefined {
  if (!attachment?.data || !/^text\/plain\b/.test(attachment.contentType ?? 'text/plain')) return undefined;
  const bytes = Uint8Array.from(atob(attachment.data), (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8').decode(bytes).trim();
}

const newestFirst = (a: ReportView, b: ReportView) => (b.date ?? '').localeCompare(a.date ?? '');

export function imagingView(r: DiagnosticReport): ReportView {
  return {
    id: `DiagnosticReport/${r.id}`, kind: 'imaging',
    title: r.code.text ?? r.code.coding?.[0]?.display ?? '—',
    ...(r.effectiveDateTime ?? r.issued ? { date: r.effectiveDateTime ?? r.issued } : {}),
    ...(r.resultsInterpreter?.[0]?.display ? { by: r.resultsInterpreter[0].display } : {}),
    ...(r.performer?.[0]?.display ? { where: r.performer[0].display } : {}),
    sections: r.conclusion ? [{ text: r.conclusion }] : [],
  };
}

export function dischargeView(c: Composition): ReportView {
  return {
    id: `Composition/${c.id}`, kind: 'discharge', title: c.title || (c.type.text ?? '—'), date: c.date,
    ...(c.author?.[0]?.display ? { by: c.author[0].display } : {}),
    ...(c.custodian?.display ? { where: c.custodian.display } : {}),
    sections: (c.section ?? []).map((s) => ({ ...(s.title ? { title: s.title } : {}), text: narrativeText(s.text?.div) })).filter((s) => s.text),
  };
}

export function consultView(d: DocumentReference): ReportView {
  const attachment = d.content[0]?.attachment;
  const text = attachmentText(attachment);
  return {
    id: `DocumentReference/${d.id}`, kind: 'consult',
    title: d.description ?? attachment?.title ?? d.type?.text ?? '—',
    ...(d.date ?? attachment?.creation ? { date: d.date ?? attachment?.creation } : {}),
    ...(d.author?.[0]?.display ? { by: d.author[0].display } : {}),
    ...(d.custodian?.display ? { where: d.custodian.display } : {}),
    sections: text ? [{ text }] : [],
    ...(text === undefined ? { unreadable: true } : {}),
  };
}

/** The person's reports of the three kinds, each list newest first. */
export async function myReports(client: Client, patientId: string): Promise<Record<ReportView['kind'], ReportView[]>> {
  const p = `patient=Patient/${encodeURIComponent(patientId)}`;
  const all = <T>(query: string) => client.request<T[]>(query, { pageLimit: 0, flat: true });
  const [imaging, discharge, consult] = await Promise.all([
    all<DiagnosticReport>(`DiagnosticReport?${p}&category=${RADIOLOGY}&_count=100`),
    all<Composition>(`Composition?${p}&type=${encodeURIComponent(`${LOINC}|${DISCHARGE_SUMMARY}`)}&_count=100`),
    all<DocumentReference>(`DocumentReference?${p}&type=${encodeURIComponent(`${LOINC}|${CONSULT_NOTE}`)}&_count=100`),
  ]);
  return {
    imaging: imaging.filter((r) => r.resourceType === 'DiagnosticReport').map(imagingView).sort(newestFirst),
    discharge: discharge.filter((c) => c.resourceType === 'Composition').map(dischargeView).sort(newestFirst),
    consult: consult.filter((d) => d.resourceType === 'DocumentReference' && d.status !== 'entered-in-error').map(consultView).sort(newestFirst),
  };
}
