import type { Attachment, Bundle, DocumentReference } from '@medplum/fhirtypes';

/**
 * A patient's timeline and documents in the workspace (pure): the `$timeline` query and its events
 * (docs/documents.md), the documents of every source record, their attachments, and the note a
 * clinician adds (a DocumentReference they author: entering data stays the job of clinic software).
 */
export const TIMELINE_EVENT = 'urn:carnet:extension:timeline-event';
export const TIMELINE_CATEGORIES = ['encounter', 'appointment', 'result', 'vital-signs', 'device', 'prescription', 'dispense', 'immunization', 'procedure', 'document'] as const;
export type TimelineCategory = (typeof TIMELINE_CATEGORIES)[number];

export interface TimelineFilters {
  readonly categories: readonly TimelineCategory[];
  /** YYYY-MM-DD, inclusive */
  readonly since: string;
  readonly until: string;
}

export const NO_FILTERS: TimelineFilters = { categories: [], since: '', until: '' };

export function timelinePath(patientId: string, f: TimelineFilters, lang: string): string {
  const q = new URLSearchParams();
  if (f.categories.length > 0) q.set('category', f.categories.join(','));
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.since)) q.append('date', `ge${f.since}`);
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.until)) q.append('date', `le${f.until}`);
  q.set('_count', '50');
  q.set('_language', lang);
  return `Patient/${encodeURIComponent(patientId)}/$timeline?${q.toString()}`;
}

export interface TimelineEvent {
  readonly key: string;
  readonly date: string;
  readonly category: TimelineCategory;
  readonly label: string;
  readonly source?: string;
  readonly count?: number;
  /** The resource has no clinical date: its recording date stands in. */
  readonly undated: boolean;
}

export function timelineEvents(bundle: Bundle | undefined): TimelineEvent[] {
  return (bundle?.entry ?? []).flatMap((entry) => {
    const parts = (entry as { extension?: { url: string; extension?: { url: string; valueString?: string; valueCode?: string; valueDateTime?: string; valueBoolean?: boolean; valueInteger?: number; valueReference?: { reference?: string } }[] }[] }).extension
      ?.find((x) => x.url === TIMELINE_EVENT)?.extension ?? [];
    const part = (name: string) => parts.find((p) => p.url === name);
    const date = part('date')?.valueDateTime;
    const category = part('category')?.valueCode as TimelineCategory | undefined;
    if (!date || !category || !entry.resource) return [];
    const source = part('source')?.valueReference?.reference;
    const count = part('count')?.valueInteger;
    return [{
      key: `${entry.resource.resourceType}/${entry.resource.id}`, date, category, label: part('label')?.valueString ?? '',
      ...(source ? { source } : {}), ...(count ? { count } : {}), undated: part('dated')?.valueBoolean === false,
    }];
  });
}

/** The next page's address, relative to the FHIR base (the server's `next` link, or none). */
export function nextPage(bundle: Bundle | undefined, fhirBase: string): string | undefined {
  const next = bundle?.link?.find((l) => l.relation === 'next')?.url;
  if (!next) return undefined;
  const base = fhirBase.replace(/\/+$/, '');
  return next.startsWith(base) ? next.slice(base.length + 1) : next;
}

export function documentsPath(patientId: string): string {
  return `DocumentReference?subject:mdm=Patient/${encodeURIComponent(patientId)}&_sort=-date&_count=100`;
}

export interface DocumentRow {
  readonly id: string;
  readonly title: string;
  readonly date?: string;
  readonly author?: string;
  readonly status: string;
  readonly attachments: readonly Attachment[];
}

export function documentRows(docs: readonly DocumentReference[]): DocumentRow[] {
  return docs.filter((d) => d.status !== 'entered-in-error').map((d) => {
    const author = d.author?.map((a) => a.display ?? a.reference).filter(Boolean).join(', ');
    const date = d.date ?? d.context?.period?.start;
    return {
      id: d.id as string,
      title: d.description ?? d.type?.text ?? d.type?.coding?.[0]?.display ?? d.content?.[0]?.attachment?.title ?? '',
      ...(date ? { date } : {}), ...(author ? { author } : {}),
      status: d.status,
      attachments: (d.content ?? []).map((c) => c.attachment).filter((a): a is Attachment => Boolean(a)),
    };
  });
}

/** How an attachment is shown: its text inline, or a file to open; where its bytes are. */
export function attachmentSource(a: Attachment): { kind: 'inline'; base64: string } | { kind: 'binary'; path: string } | { kind: 'none' } {
  if (a.data) return { kind: 'inline', base64: a.data };
  const binary = a.url?.match(/(?:^|\/)(Binary\/[A-Za-z0-9\-.]{1,64})$/)?.[1];
  if (binary) return { kind: 'binary', path: binary };
  return { kind: 'none' };
}

export function isText(contentType: string | undefined): boolean {
  return /^text\/|^application\/(fhir\+)?json|^application\/xml/.test(contentType ?? '');
}

export function utf8ToBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function base64ToUtf8(data: string): string {
  const binary = atob(data);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export interface NoteInput {
  readonly title: string;
  readonly text: string;
}

export type NoteProblem = 'title' | 'text';

export function noteProblems(n: NoteInput): NoteProblem[] {
  return [...(n.title.trim().length < 3 ? ['title' as const] : []), ...(n.text.trim().length < 5 ? ['text' as const] : [])];
}

/** The note as a DocumentReference the clinician authors: a current, final, plain-text document of the patient. */
export function noteDocument(patientId: string, author: string, n: NoteInput, now: Date, lang = 'fr', authorName = ''): DocumentReference {
  return {
    resourceType: 'DocumentReference', status: 'current', docStatus: 'final',
    type: { text: 'Note clinique' },
    category: [{ text: 'Note' }],
    subject: { reference: `Patient/${patientId}` },
    date: now.toISOString(),
    author: [{ reference: author, ...(authorName ? { display: authorName } : {}) }],
    description: n.title.trim(),
    content: [{ attachment: { contentType: 'text/plain; charset=utf-8', language: lang, title: n.title.trim(), creation: now.toISOString(), data: utf8ToBase64(n.text.trim()) } }],
  };
}
